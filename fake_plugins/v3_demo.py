"""The Python twin of the native 3.x fake plugin (fake_plugins/native/v3_plugin.c), through reference.sdk_v3.

Same events (n = 1..5, payload "n=<n>", ts = n * 10^9 + n, two a batch) and the same fields
of every 3.x type, so that `plugref inspect` prints the same lines for both (V3-SDK-CAPABILITIES).
`ExtractOnly` is the twin of the EXTRACT_ONLY build.
"""
from __future__ import annotations

import ipaddress

from reference.contract.v0_3 import Event
from reference.sdk_v3 import GeneratorInstance, Plugin, field

COUNT = 5
WORDS = ("zero", "one", "two", "three", "four", "five")


def counter(event) -> int:
    return int(event.data.decode().partition("=")[2])


class Fields(Plugin):
    """The fields both variants extract."""

    version = "1.2.3"
    description = "a 3.x plugin with every field type"
    contact = "plugref"

    @field("v3demo.n", "uint64", "the event counter")
    def n(self, event, arg):
        return counter(event)

    @field("v3demo.text", "string", "the counter in words")
    def text(self, event, arg):
        return WORDS[counter(event) % 6]

    @field("v3demo.even", "bool", "is the counter even")
    def even(self, event, arg):
        return counter(event) % 2 == 0

    @field("v3demo.elapsed", "reltime", "n microseconds, in ns")
    def elapsed(self, event, arg):
        return counter(event) * 1000

    @field("v3demo.at", "abstime", "the event time")
    def at(self, event, arg):
        return event.ts

    @field("v3demo.addr", "ipaddr", "10.0.0.n")
    def addr(self, event, arg):
        return ipaddress.ip_address(f"10.0.0.{counter(event)}")

    @field("v3demo.addr6", "ipaddr", "fe80::n")
    def addr6(self, event, arg):
        return ipaddress.ip_address(f"fe80::{counter(event):x}")

    @field("v3demo.net", "ipnet", "192.168.n.0")
    def net(self, event, arg):
        return ipaddress.ip_network(f"192.168.{counter(event)}.0/24")

    @field("v3demo.digits", "uint64", "n, 10n, 100n", is_list=True)
    def digits(self, event, arg):
        n = counter(event)
        return [n, 10 * n, 100 * n]

    @field("v3demo.words", "string", "the words of the payload", is_list=True)
    def words(self, event, arg):
        return ["n", WORDS[counter(event) % 6]]

    @field("v3demo.word", "string", "one word, by index", arg_index=True)
    def word(self, event, arg):
        if not arg.present or arg.index >= 2:
            return None
        return "n" if arg.index == 0 else WORDS[counter(event) % 6]

    @field("v3demo.tag", "string", "key=n", arg_key=True, arg_required=True, add_output=True)
    def tag(self, event, arg):
        return None if arg.key is None else f"{arg.key}={counter(event)}"

    @field("v3demo.odd", "uint64", "n on odd events only", properties=("info",))
    def odd(self, event, arg):
        n = counter(event)
        return n if n % 2 else None

    @field("v3demo.source", "string", "the evtsrc of the input")
    def source(self, event, arg):
        return event.source

    @field("v3demo.pluginid", "uint64", "the plugin ID in the event")
    def pluginid(self, event, arg):
        return event.plugin_id


class V3Demo(Fields):
    name = "v3demo"
    id = 2**30 + 314
    event_source = "v3demo"

    def init(self, config):
        if config == "fail":
            raise RuntimeError("init refused the config 'fail'")
        self.log("initialised")

    def open(self, params):
        return GeneratorInstance((Event(f"n={n}".encode(), n * 10**9 + n) for n in range(1, COUNT + 1)),
                                 batch_size=2)

    def event_to_string(self, event):
        return f"payload {event.data.decode()}"


class ExtractOnly(Fields):
    name = "v3extract"
    extract_event_sources = ["v3demo"]


PLUGIN = V3Demo


class SourceOnly(Plugin):
    """The events of V3Demo, without its fields: a source for the extraction-only twins."""

    name = "v3demo"
    id = V3Demo.id
    event_source = "v3demo"
    version = "1.2.3"
    open = V3Demo.open
    event_to_string = V3Demo.event_to_string
