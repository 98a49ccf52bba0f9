"""fake_plugins/v3_demo.py as a 0.3.0 plugin: the same ID, source, version and events, and the two
fields 0.3.0 can type (uint64, string). Captures written by either are read with the other
(clause V3-MIXED-CONTRACTS)."""
from __future__ import annotations

from fake_plugins.v3_demo import COUNT, WORDS, V3Demo
from reference.contract.v0_3 import Event
from reference.sdk import GeneratorInstance, SourcePlugin, field


class V3DemoOnApi03(SourcePlugin):
    id = V3Demo.id
    name = "v3demo"
    event_source = "v3demo"
    version = V3Demo.version

    def open(self, params):
        return GeneratorInstance((Event(f"n={n}".encode(), n * 10**9 + n) for n in range(1, COUNT + 1)), batch_size=2)

    def event_to_string(self, data):
        return f"payload {data.decode()}"

    @field("v3demo.n", "uint64", "the event counter")
    def n(self, event, arg):
        return int(event.data.decode().partition("=")[2])

    @field("v3demo.text", "string", "the counter in words")
    def text(self, event, arg):
        return WORDS[self.n(event, arg) % 6]


PLUGIN = V3DemoOnApi03
