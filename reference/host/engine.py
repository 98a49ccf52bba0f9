"""The event loop of a source plugin, with the 0.3.0 engine's next_batch semantics.

Clauses NEXT-BATCH-EMPTY-SUCCESS, NEXT-BATCH-DEFERRED-RC, EVT-NUM-FROM-ONE and TS-NOW.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from reference.contract.v0_3 import TS_NOW, Event, ReturnCode
from reference.errors import PluginCallError
from reference.host.loader import LoadedPlugin


@dataclass(frozen=True)
class AttributedEvent(Event):
    """The 0.3.0 `ss_plugin_event` with what the host knows besides: the ID of the plugin whose
    event it is and its source, which a 3.x extraction input carries (V3-EXTRACT-ONE-FIELD)."""

    plugin_id: int = 0
    source: str = ""


@dataclass(frozen=True)
class PluginEvent:
    """An event as the framework holds it (PPME_PLUGINEVENT_E): numbered, stamped, attributed."""

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


class EventStream:
    """Pulls events from an open source plugin, one at a time.

    A batch is delivered whole before the return code that came with it takes effect: EOF with
    events means "these are the last", TIMEOUT with events means "these, then one timeout".
    """

    def __init__(self, plugin: LoadedPlugin, clock=time.time_ns):
        self.plugin = plugin
        self.clock = clock
        self.count = 0
        self._batch: list = []
        self._deferred = ReturnCode.SUCCESS
        self.ended = False
        self.first_ts: int | None = None

    def next(self) -> PluginEvent | None:
        """The next event; None on a timeout (try again). Raises PluginCallError on failure."""
        if self.ended:
            return None
        if not self._batch:
            if self._deferred != ReturnCode.SUCCESS:
                rc, self._deferred = self._deferred, ReturnCode.SUCCESS
                return self._settle(rc)
            rc, events = self.plugin.next_batch()
            if not events:
                if rc == ReturnCode.SUCCESS:
                    raise PluginCallError(f"unexpected 0 size event returned by plugin {self.plugin.name}")
                return self._settle(rc)
            self._batch = list(events)
            self._deferred = rc
        raw = self._batch.pop(0)
        self.count += 1
        info = self.plugin.info
        ts = self.clock() if raw.ts == TS_NOW else raw.ts
        if self.first_ts is None:
            self.first_ts = ts
        return PluginEvent(self.count, ts, info.id, info.event_source, bytes(raw.data), self.first_ts)

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
