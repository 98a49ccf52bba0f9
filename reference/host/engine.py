"""The event loop of a source plugin, with the 0.3.0 engine's next_batch semantics.

Clauses NEXT-BATCH-EMPTY-SUCCESS, NEXT-BATCH-DEFERRED-RC, EVT-NUM-FROM-ONE and TS-NOW.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import NamedTuple

from reference.contract.v0_3 import TS_NOW, Event, ReturnCode
from reference.errors import PluginCallError
from reference.host.loader import LoadedPlugin


class AttributedEvent(NamedTuple):
    """The 0.3.0 `ss_plugin_event` (`data`, `ts`, `evtnum`, as `Event`) with what the host knows
    besides: the ID of the plugin whose event it is and its source, which a 3.x extraction input
    carries (V3-EXTRACT-ONE-FIELD)."""

    data: bytes
    ts: int
    evtnum: int
    plugin_id: int = 0
    source: str = ""


class PluginEvent(NamedTuple):
    """An event as the framework holds it (PPME_PLUGINEVENT_E): numbered, stamped, attributed.

    A named tuple, the lightest immutable record: the stream makes one per event.
    """

    num: int
    ts: int
    plugin_id: int
    source: str
    data: bytes
    #: The timestamp of the first event of the stream (capture or live), for evt.reltime; None: this one's.
    first_ts: int | None = None

    def as_plugin_input(self) -> Event:
        """The `ss_plugin_event` extract_fields receives: payload, timestamp and event number."""
        return AttributedEvent(self.data, self.ts, self.num, self.plugin_id, self.source)


# Read for every batch: Python 3.11 looks an enum member up through a descriptor, a module name is not.
_SUCCESS = ReturnCode.SUCCESS

#: The event number under the name of `ss_plugin_event`, whose `data` and `ts` a PluginEvent has
#: too: a native 0.3.0 extraction reads the three from the host's event directly. (The field's
#: own accessor, so that reading it costs no Python call.)
PluginEvent.evtnum = PluginEvent.num


class EventStream:
    """Pulls events from an open source plugin, one at a time.

    A batch is delivered whole before the return code that came with it takes effect: EOF with
    events means "these are the last", TIMEOUT with events means "these, then one timeout".
    """

    def __init__(self, plugin: LoadedPlugin, clock=time.time_ns):
        self.plugin = plugin
        self.clock = clock
        #: events numbered so far (those of the current batch included)
        self.count = 0
        # The rest of the current batch, numbered; an iterator, so that taking the next event moves nothing.
        self._batch: Iterator[PluginEvent] = iter(())
        self._deferred = _SUCCESS
        self.ended = False
        self.first_ts: int | None = None
        # A loaded plugin's info never changes, so the attribution is read once, not per event.
        self._plugin_id, self._source = plugin.info.id, plugin.info.event_source

    def next(self) -> PluginEvent | None:
        """The next event; None on a timeout (try again). Raises PluginCallError on failure."""
        if self.ended:
            return None
        event = next(self._batch, None)
        if event is not None:
            return event
        if self._deferred != _SUCCESS:
            rc, self._deferred = self._deferred, _SUCCESS
            return self._settle(rc)
        rc, events = self.plugin.next_batch()
        if not events:
            if rc == _SUCCESS:
                raise PluginCallError(f"unexpected 0 size event returned by plugin {self.plugin.name}")
            return self._settle(rc)
        self._batch = iter(self._numbered(events))
        self._deferred = rc
        return next(self._batch)

    def _numbered(self, events: list[Event]) -> list[PluginEvent]:
        """A batch as the framework holds it, made at once: each event numbered (from 1 for the
        stream), stamped (now, for TS_NOW) and attributed."""
        if self.first_ts is None:  # the stream's first event: its time is every event's reference
            data, ts, evtnum = events[0]
            if ts == TS_NOW:
                ts = self.clock()
                events = [(data, ts, evtnum), *events[1:]]
            self.first_ts = ts
        first_num, first_ts, clock = self.count + 1, self.first_ts, self.clock
        self.count += len(events)
        plugin_id, source, new = self._plugin_id, self._source, tuple.__new__
        # PluginEvent(...) made as the tuple it is (its constructor is a Python function, run per event).
        return [new(PluginEvent, (num, clock() if ts == TS_NOW else ts, plugin_id, source,
                                  data if type(data) is bytes else bytes(data), first_ts))
                for num, (data, ts, _evtnum) in enumerate(events, first_num)]

    def _settle(self, rc: ReturnCode) -> None:
        if rc == ReturnCode.EOF:
            self.ended = True
            return None
        if rc == ReturnCode.TIMEOUT:
            return None
        message = self.plugin.last_error() if rc == ReturnCode.FAILURE else f"return code {rc.name}"
        raise PluginCallError(f"plugin {self.plugin.name}: next_batch failed: {message}")

    def __iter__(self) -> Iterator[PluginEvent]:
        while not self.ended:
            event = self.next()
            if event is not None:
                yield event
                yield from self._batch  # the rest of its batch, as next() would give it, with no call per event
