"""The floor of CPython + ctypes on the benchmark's job: what W1 and W2 cost with no framework at all.

    python benchmarks/cpython_floor.py GENERATOR.so --events N        # W1: N events from the plugin
    python benchmarks/cpython_floor.py GENERATOR.so --capture FILE    # W2: the events of a capture

One loop in one file, doing only the job of `-p '%x.i %x.word' 'x.word in (nginx, sshd) and x.i > 100'`
over the generator plugin (fake_plugins/native/generator.c): events read (next_batch, 64 at a time, or
the capture's blocks cut in place), each payload copied, x.word extracted with one extract_fields call,
x.i with a second when the word matches, the passing lines printed. None of the spec's checks
(batch, event, block and trailer validation, lifecycle, return codes other than SUCCESS, UTF-8), no
numbering or attribution, no filter or format language, no general capture layouts: it is not a
reference of anything, only the lower bound a pure-Python host cannot go under on this machine and
interpreter. `benchmarks/report.py` runs it beside sysdig, so that the report says how much of the
reference path's ratio is the interpreter's and how much is the framework's.

It prints what sysdig prints (report.py checks it, as it does the reference path's).
"""
from __future__ import annotations

import argparse
import ctypes
import struct
import sys

#: ss_plugin_extract_field of API 0.3.0: the offsets of field_present, res_str and res_u64.
PRESENT, RES_STR, RES_U64 = 28, 32, 40
FIELD_SIZE = 48
#: The generator's fields: x.i (ID 0, uint64 = 8) and x.word (ID 1, string = 9).
X_I, X_WORD = (0, b"x.i", 8), (1, b"x.word", 9)
WANTED = {"nginx", "sshd"}
#: The only block the generator's captures (written by sysdig 0.29) hold events in: 0x221, an event
#: with 4-byte parameter lengths. Its event begins after the block header and the 2-byte cpuid; the
#: header (ts, tid, len, type, nparams), the two parameter lengths and the plugin ID come before the data.
EVENT_BLOCK = 0x221
EVENT_AT = 10
EVENT_HEAD = struct.Struct("<QqIHIIII")


class Plugin:
    """The generator, its extract_fields called with prepared arguments (one field a call)."""

    def __init__(self, path: str, events: int):
        self.lib = ctypes.CDLL(path)
        init = self.lib.plugin_init
        init.restype, init.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int32)]
        rc = ctypes.c_int32()
        self.state = ctypes.c_void_p(init(f"{events} 64".encode(), ctypes.byref(rc)))
        self.extract = ctypes.CFUNCTYPE(ctypes.c_int32)(("plugin_extract_fields", self.lib))
        # ss_plugin_event: evtnum, data, datalen, ts (with the C padding)
        self.event = ctypes.create_string_buffer(32)
        self.event_pointer = ctypes.c_void_p(ctypes.addressof(self.event))
        self.event_data = ctypes.c_char_p.from_buffer(self.event, 8)
        self.pack_event = struct.Struct("@Q8xIQ").pack_into
        self.fields = {}
        for field_id, name, ftype in (X_I, X_WORD):
            array = ctypes.create_string_buffer(FIELD_SIZE)
            struct.pack_into("@I", array, 0, field_id)
            ctypes.c_char_p.from_buffer(array, 8).value = name  # a module constant: it outlives the call
            struct.pack_into("@I", array, 24, ftype)
            self.fields[name] = (array, ctypes.c_void_p(ctypes.addressof(array)),
                                 ctypes.c_bool.from_buffer(array, PRESENT),
                                 ctypes.c_char_p.from_buffer(array, RES_STR),
                                 ctypes.c_uint64.from_buffer(array, RES_U64))

    def lines(self, payloads) -> list[str]:
        """The printed lines of (number, payload, ts) events."""
        state, extract, event, pack = self.state, self.extract, self.event_pointer, self.pack_event
        data = self.event_data
        _, word_args, word_present, word_text, _ = self.fields[b"x.word"]
        _, i_args, i_present, _, i_value = self.fields[b"x.i"]
        out = []
        for number, payload, ts in payloads:
            pack(self.event, 0, number, len(payload), ts)
            data.value = payload
            word_present.value = False
            if extract(state, event, 1, word_args) == 0 and word_present.value:
                word = word_text.value.decode()
                if word in WANTED:
                    i_present.value = False
                    if extract(state, event, 1, i_args) == 0 and i_present.value and i_value.value > 100:
                        out.append(f"{i_value.value} {word}\n")
        return out

    def live_events(self):
        """(number, payload, ts) of every event next_batch gives, the payloads copied."""
        open_ = self.lib.plugin_open
        open_.restype, open_.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_char_p,
                                                          ctypes.POINTER(ctypes.c_int32)]
        rc = ctypes.c_int32()
        instance = ctypes.c_void_p(open_(self.state, b"", ctypes.byref(rc)))
        next_batch = self.lib.plugin_next_batch
        next_batch.restype = ctypes.c_int32
        count, array = ctypes.c_uint32(), ctypes.c_void_p()
        count_pointer, array_pointer = ctypes.byref(count), ctypes.byref(array)
        layout = struct.Struct("@QPIQ")
        memory = memoryview((ctypes.c_char * sys.maxsize).from_address(0)).toreadonly()
        number = 0
        while True:
            rc = next_batch(self.state, instance, count_pointer, array_pointer)
            if count.value:
                for _evtnum, address, length, ts in layout.iter_unpack(
                        ctypes.string_at(array.value, count.value * layout.size)):
                    number += 1
                    yield number, memory[address:address + length].tobytes(), ts
            if rc != 0:
                return


def capture_events(path: str):
    """(number, payload, ts) of every 0x221 block of a capture read whole."""
    data = open(path, "rb").read()
    head, event_head = struct.Struct("<II").unpack_from, EVENT_HEAD.unpack_from
    at, number = 0, 0
    while at < len(data):
        block_type, total = head(data, at)
        if block_type == EVENT_BLOCK:
            start = at + EVENT_AT
            ts, _tid, _len, _type, _nparams, _len0, length, _plugin_id = event_head(data, start)
            number += 1
            yield number, data[start + EVENT_HEAD.size:start + EVENT_HEAD.size + length], ts
        at += total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plugin", help="the generator plugin (fake_plugins/native/generator.c, built)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--events", type=int, help="W1: this many events from the plugin")
    source.add_argument("--capture", help="W2: the events of this capture (written by sysdig)")
    args = parser.parse_args()
    plugin = Plugin(args.plugin, args.events or 1)
    events = plugin.live_events() if args.capture is None else capture_events(args.capture)
    sys.stdout.write("".join(plugin.lines(events)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
