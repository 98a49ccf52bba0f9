"""The ctypes bridge (reference/host/native.py) and the native fake plugin, example by example."""
from __future__ import annotations

import ctypes
import os
import shutil
import subprocess

import pytest

from fake_plugins.defined import DefinedLibrary
from fake_plugins.misbehaving import CONFLICTING_PAIRS, MISBEHAVING, WELL_BEHAVED_EXTRACTOR, WELL_BEHAVED_SOURCE
from reference.contract.v0_3 import TS_NOW, Event, ExtractRequest, FieldType, PluginLibrary, ReturnCode
from reference.host.engine import EventStream
from reference.errors import LoadError, PluginCallError
from reference.host.native import NativeEvent, NativeExtractField, NativeLibrary, open_native
from reference.host.registry import PluginRegistry

# A small hand-written 0.3.0 plugin whose misbehaviour is chosen at compile time. Its next_batch
# and event_to_string reuse (and scribble over) one buffer on every call, so a bridge that kept
# pointers instead of copies would see its old results change.
ODD_PLUGIN = r"""
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef struct { uint64_t evtnum; const uint8_t *data; uint32_t datalen; uint64_t ts; } ev_t;
typedef struct { uint32_t field_id; const char *field; const char *arg; uint32_t ftype; bool field_present;
                 const char *res_str; uint64_t res_u64; } ef_t;
#ifndef API
#define API "0.3.0"
#endif
static char scratch[64];
static ev_t batch[2];
static int counter;
static int state_obj;
const char *plugin_get_required_api_version(void) { return API; }
uint32_t plugin_get_type(void) { return 1; }
void *plugin_init(const char *c, int32_t *rc) {
    (void)c;
#ifdef INIT_NULL
    *rc = 1; return NULL;
#elif defined(INIT_FAIL)
    *rc = 1; return &state_obj;
#else
    *rc = 0; return &state_obj;
#endif
}
void plugin_destroy(void *s) { (void)s; }
const char *plugin_get_last_error(void *s) { (void)s; return "odd failure \xff here"; }
uint32_t plugin_get_id(void) { return 4242; }
const char *plugin_get_name(void) {
#ifdef BAD_NAME
    return "odd\xc3\x28name";
#else
    return "odd";
#endif
}
const char *plugin_get_description(void) { return "odd"; }
const char *plugin_get_contact(void) { return "odd"; }
const char *plugin_get_version(void) { return "0.1.0"; }
const char *plugin_get_event_source(void) { return "odd"; }
const char *plugin_get_fields(void) {
#ifdef BAD_FIELDS
    return "[{\"type\": \"string\", \"name\": ";
#else
    return "[{\"type\": \"string\", \"name\": \"odd.arg\", \"desc\": \"echoes its argument\"}]";
#endif
}
void *plugin_open(void *s, const char *p, int32_t *rc) { (void)s; (void)p; *rc = 0; return &counter; }
void plugin_close(void *s, void *i) { (void)s; (void)i; }
#ifndef OMIT_NEXT_BATCH
int32_t plugin_next_batch(void *s, void *i, uint32_t *nevts, ev_t **evts) {
    (void)s; (void)i;
    counter++;
#if defined(ZERO_EVENTS)
    *nevts = 0; *evts = NULL; return 0;
#elif defined(HUGE_BATCH)
    *nevts = 5000000; *evts = batch; return 0;
#elif defined(NULL_BATCH)
    *nevts = 3; *evts = NULL; return 0;
#elif defined(HUGE_EVENT)
    batch[0].data = (const uint8_t *)scratch; batch[0].datalen = 0xF0000000u; *nevts = 1; *evts = batch; return 0;
#elif defined(NULL_DATA)
    /* A batch of NULL_DATA events, the first claiming DATALEN bytes at a NULL pointer. */
    static ev_t many[NULL_DATA];
    many[0].data = NULL; many[0].datalen = DATALEN; *nevts = NULL_DATA; *evts = many; return 0;
#elif defined(ODD_PAYLOADS)
    /* A payload with a NUL inside, and two empty ones: one at NULL, one at a non-NULL pointer. */
    static const uint8_t with_nul[] = {'a', 'b', 0, 'c', 'd'};
    static ev_t three[3];
    three[0].data = with_nul; three[0].datalen = 5; three[0].ts = 1;
    three[1].data = NULL; three[1].datalen = 0; three[1].ts = 2;
    three[2].data = (const uint8_t *)"ignored"; three[2].datalen = 0; three[2].ts = 3;
    *nevts = 3; *evts = three; return 0;
#else
    if (counter > 3) { *nevts = 0; *evts = NULL; return 2; }
    snprintf(scratch, sizeof scratch, "event-%d", counter);
    batch[0].evtnum = 0; batch[0].data = (const uint8_t *)scratch; batch[0].datalen = (uint32_t)strlen(scratch);
    batch[0].ts = TS;
    *nevts = 1; *evts = batch;
    return 0;
#endif
}
#endif
const char *plugin_event_to_string(void *s, const uint8_t *d, uint32_t n) {
    (void)s;
    snprintf(scratch, sizeof scratch, "str:%.*s", (int)n, (const char *)d);
    return scratch;
}
int32_t plugin_extract_fields(void *s, const void *e, uint32_t n, ef_t *f) {
    (void)s; (void)e;
    for (uint32_t k = 0; k < n; k++) {
        if (f[k].arg != NULL && strcmp(f[k].arg, "absent") == 0) continue;  /* leaves field_present alone */
        f[k].field_present = true;
        if (f[k].arg == NULL) f[k].res_str = "<NULL arg>";
        else if (strcmp(f[k].arg, "null") == 0) f[k].res_str = NULL;
        else if (strcmp(f[k].arg, "badutf8") == 0) f[k].res_str = "bad\xff";
        else if (strcmp(f[k].arg, "long") == 0)
            f[k].res_str = "0123456789012345678901234567890123456789012345678901234567890123456789\xff";
        else { snprintf(scratch, sizeof scratch, "arg:%s", f[k].arg); f[k].res_str = scratch; }
    }
    return 0;
}
"""


def odd(compile_plugin, name: str, **defines):  # noqa: F811
    defines.setdefault("TS", "UINT64_MAX")
    return compile_plugin(ODD_PLUGIN, name, **defines)


def load(library: PluginLibrary, config: str = ""):
    return PluginRegistry().load(library, config)


# NATIVE-STRUCT-LAYOUT


@pytest.mark.clause("NATIVE-STRUCT-LAYOUT")
def test_struct_layouts_match_the_0_3_0_header():
    assert ctypes.sizeof(NativeEvent) == 32
    assert [(name, getattr(NativeEvent, name).offset) for name, _ in NativeEvent._fields_] == [
        ("evtnum", 0), ("data", 8), ("datalen", 16), ("ts", 24)]
    assert ctypes.sizeof(NativeExtractField) == 48
    assert [(name, getattr(NativeExtractField, name).offset) for name, _ in NativeExtractField._fields_] == [
        ("field_id", 0), ("field", 8), ("arg", 16), ("ftype", 24), ("field_present", 28), ("res_str", 32),
        ("res_u64", 40)]
    assert NativeExtractField.field_present.size == 1


@pytest.mark.clause("NATIVE-STRUCT-LAYOUT", "NATIVE-PARITY")
def test_events_and_values_cross_the_bridge_intact(make_native):
    path = make_native(WELL_BEHAVED_SOURCE)
    library = NativeLibrary(path)
    assert isinstance(library, PluginLibrary)
    state, rc = library.init("")
    instance, rc = library.open(state, "")
    assert rc == ReturnCode.SUCCESS
    rc, events = library.next_batch(state, instance)
    assert rc == ReturnCode.SUCCESS
    assert events == [Event(b"ticker.count=1;ticker.label[a]=one", 1000),
                      Event(b"ticker.count=2;ticker.label[a]=two", 2000)]
    rc, events = library.next_batch(state, instance)
    assert events == [Event(b"ticker.count=3", TS_NOW)]
    assert library.next_batch(state, instance) == (ReturnCode.EOF, [])
    assert library.next_batch(state, instance) == (ReturnCode.EOF, [])  # sticky
    assert library.get_progress(state, instance) == ("100.00", 10000)
    requests = [ExtractRequest(0, "ticker.count", "", FieldType.UINT64),
                ExtractRequest(1, "ticker.label", "a", FieldType.STRING),
                ExtractRequest(1, "ticker.label", "b", FieldType.STRING)]
    assert library.extract_fields(state, Event(b"ticker.count=18446744073709551615;ticker.label[a]=x=y", 5, 9),
                                  requests) == ReturnCode.SUCCESS
    assert [r.value for r in requests] == [2**64 - 1, "x=y", None]
    library.close(state, instance)
    library.destroy(state)


# NATIVE-MEMORY-COPY


@pytest.mark.clause("NATIVE-MEMORY-COPY")
def test_results_are_copies_that_survive_the_next_call(compile_plugin):
    library = NativeLibrary(odd(compile_plugin, "scribbler"))
    state, _ = library.init("")
    instance, _ = library.open(state, "")
    first = library.next_batch(state, instance)[1]
    second = library.next_batch(state, instance)[1]
    assert [e.data for e in first + second] == [b"event-1", b"event-2"]
    assert all(type(e.data) is bytes for e in first)
    text = library.event_to_string(state, b"abc")
    library.event_to_string(state, b"zzzzzzzz")
    assert text == "str:abc"
    requests = [ExtractRequest(0, "odd.arg", "one", FieldType.STRING),
                ExtractRequest(0, "odd.arg", "two", FieldType.STRING)]
    library.extract_fields(state, first[0], requests)
    # The plugin wrote both answers into one buffer: the second overwrote the first, and the
    # bridge read them only after the call, as the contract allows; what it read is a str copy.
    assert requests[0].res_str == requests[1].res_str == "arg:two"
    library.extract_fields(state, first[0], [ExtractRequest(0, "odd.arg", "three", FieldType.STRING)])
    assert requests[0].res_str == "arg:two"


@pytest.mark.clause("NATIVE-MEMORY-COPY")
def test_copies_with_different_definitions_live_side_by_side(make_native):
    source = make_native(WELL_BEHAVED_SOURCE)
    other = dict(WELL_BEHAVED_SOURCE, name="ticker2", event_source="ticker2", id=2**30 + 9,
                 fields=[{"type": "uint64", "name": "ticker2.count", "desc": "d"}])
    second = make_native(other)
    extractor = make_native(WELL_BEHAVED_EXTRACTOR)
    registry = PluginRegistry()
    loaded = [registry.load(NativeLibrary(p)) for p in (source, second, extractor)]
    assert [p.name for p in loaded] == ["ticker", "ticker2", "tagger"]
    assert [p.info.id for p in loaded[:2]] == [2**30 + 2, 2**30 + 9]
    registry.shutdown()


@pytest.mark.clause("NATIVE-MEMORY-COPY")
def test_payloads_are_copied_by_their_length_not_to_a_nul(compile_plugin):
    library = NativeLibrary(odd(compile_plugin, "payloads", ODD_PAYLOADS=None))
    state, _ = library.init("")
    instance, _ = library.open(state, "")
    # A NUL inside a payload is data; an empty payload is b"" wherever its pointer points.
    assert library.next_batch(state, instance) == (ReturnCode.SUCCESS, [Event(b"ab\0cd", 1), Event(b"", 2),
                                                                        Event(b"", 3)])


@pytest.mark.clause("NATIVE-MEMORY-COPY")
def test_a_payload_that_changes_between_calls_is_passed_as_it_is_now(make_native):
    library = NativeLibrary(make_native(WELL_BEHAVED_SOURCE))
    state, _ = library.init("")
    payload = bytearray(b"ticker.count=1")
    event = Event(payload, 5, 9)  # the same event object both times, with a mutable payload
    requests = [ExtractRequest(0, "ticker.count", "", FieldType.UINT64)]
    assert library.extract_fields(state, event, requests) == ReturnCode.SUCCESS
    assert requests[0].res_u64 == 1
    payload[-1:] = b"2"
    assert library.extract_fields(state, event, requests) == ReturnCode.SUCCESS
    assert requests[0].res_u64 == 2


@pytest.mark.clause("NATIVE-MEMORY-COPY")
def test_request_lists_that_share_a_first_request_are_answered_each_for_itself(compile_plugin):
    library = NativeLibrary(odd(compile_plugin, "sharedfirst"))
    state, _ = library.init("")
    event = Event(b"x", 1, 1)
    first = ExtractRequest(0, "odd.arg", "one", FieldType.STRING)
    second = ExtractRequest(0, "odd.arg", "two", FieldType.STRING)
    third = ExtractRequest(0, "odd.arg", "three", FieldType.STRING)
    # The plugin writes every answer of a call into one buffer, so all of a call's answers are its last one.
    for asked, answer in [([first], "arg:one"), ([first, second], "arg:two"), ([first, third], "arg:three"),
                          ([first], "arg:one")]:
        assert library.extract_fields(state, event, asked) == ReturnCode.SUCCESS
        assert [(r.field_present, r.res_str) for r in asked] == [(True, answer)] * len(asked)


# NATIVE-EMPTY-ARG


@pytest.mark.clause("NATIVE-EMPTY-ARG")
def test_an_absent_argument_is_an_empty_string_not_null(compile_plugin):
    library = NativeLibrary(odd(compile_plugin, "argecho"))
    plugin = load(library)
    field = plugin.info.field("odd.arg")
    assert plugin.extract(Event(b"x", 1, 1), [(field, "")]) == ["arg:"]
    assert plugin.extract(Event(b"x", 1, 1), [(field, "k")]) == ["arg:k"]


@pytest.mark.clause("NATIVE-EMPTY-ARG")
def test_native_fake_looks_up_the_bare_key_without_argument(make_native):
    plugin = load(NativeLibrary(make_native(WELL_BEHAVED_SOURCE)))
    count, label = plugin.info.fields
    event = Event(b"ticker.count=7;ticker.label=bare;ticker.label[]=empty", 1, 1)
    assert plugin.extract(event, [(count, ""), (label, ""), (label, "a")]) == [7, "bare", None]


# NATIVE-BAD-INPUT


@pytest.mark.clause("NATIVE-BAD-INPUT")
def test_a_file_that_is_not_a_shared_library(tmp_path):
    fake = tmp_path / "plugin.so"
    fake.write_text("not an ELF file at all\n")
    with pytest.raises(LoadError) as error:
        open_native(fake)
    assert f"error loading plugin {fake}:" in str(error.value)
    assert "ELF" in str(error.value) or "too short" in str(error.value)
    with pytest.raises(LoadError, match="no such file"):
        open_native(tmp_path / "missing.so")
    with pytest.raises(LoadError, match="is a directory"):
        open_native(tmp_path)


@pytest.mark.clause("NATIVE-BAD-INPUT")
def test_a_missing_symbol_is_reported_by_the_loader(compile_plugin):
    library = NativeLibrary(odd(compile_plugin, "nonext", OMIT_NEXT_BATCH=None))
    assert "plugin_next_batch" not in library.symbols
    assert "plugin_get_progress" not in library.symbols
    with pytest.raises(LoadError, match="Dynamic library symbol plugin_next_batch not present"):
        load(library)


@pytest.mark.clause("NATIVE-BAD-INPUT")
@pytest.mark.parametrize("define, message", [
    ("INIT_NULL", "Plugin handle or get_last_error function not defined"),
    ("INIT_FAIL", "Could not initialize plugin: odd failure \\xff here"),
])
def test_failing_init(compile_plugin, define, message):
    with pytest.raises(LoadError) as error:
        load(NativeLibrary(odd(compile_plugin, define.lower(), **{define: None})))
    assert error.value.clause == "INIT-FAILURE"
    assert message in str(error.value)


@pytest.mark.clause("NATIVE-BAD-INPUT")
def test_success_with_zero_events(compile_plugin):
    plugin = load(NativeLibrary(odd(compile_plugin, "zero", ZERO_EVENTS=None)))
    plugin.open()
    with pytest.raises(PluginCallError, match="unexpected 0 size event returned by plugin odd"):
        EventStream(plugin, clock=lambda: 1).next()


@pytest.mark.clause("NATIVE-BAD-INPUT")
@pytest.mark.parametrize("define, message", [
    ("HUGE_BATCH", "returned 5000000 events in one batch"),
    ("NULL_BATCH", "returned 3 events but a NULL event array"),
    ("HUGE_EVENT", "has datalen 4026531840"),
])
def test_absurd_batches(compile_plugin, define, message):
    plugin = load(NativeLibrary(odd(compile_plugin, define.lower(), **{define: None})))
    plugin.open()
    with pytest.raises(PluginCallError, match=message):
        plugin.next_batch()


@pytest.mark.clause("NATIVE-BAD-INPUT")
def test_invalid_utf8_name(compile_plugin):
    path = odd(compile_plugin, "badname", BAD_NAME=None)
    with pytest.raises(LoadError) as error:
        load(NativeLibrary(path))
    assert "plugin_get_name returned a string that is not valid UTF-8" in str(error.value)
    assert error.value.clause == "PLUGIN-INFO-STRINGS"
    assert error.value.where == str(path)


@pytest.mark.clause("NATIVE-BAD-INPUT")
def test_invalid_fields_json(compile_plugin):
    with pytest.raises(LoadError) as error:
        load(NativeLibrary(odd(compile_plugin, "badfields", BAD_FIELDS=None)))
    assert error.value.clause == "FIELDS-JSON"
    assert "error in plugin odd: get_fields returned an invalid JSON" in str(error.value)


@pytest.mark.clause("NATIVE-BAD-INPUT")
@pytest.mark.parametrize("text, reason", [
    (None, "cannot open: No such file or directory"),
    ('{"name": ', "invalid JSON at byte 9: unexpected end of text"),
    ("[1, 2]", "a plugin definition must be a JSON object"),
    ('{"events": [{"ts": -5}]}', 'events[0].ts must be "now" or an integer'),
    ('{"batches": [{"rc": "maybe"}]}', "batches[0].rc must be one of success, timeout, eof, failure"),
    ('{"id": 4294967296}', "id must be an integer from 0 to 4294967295"),
    ("[" * 100000, "invalid JSON at byte 512: nested too deeply"),
], ids=["missing", "truncated", "array", "negative-ts", "bad-rc", "big-id", "deep"])
def test_a_bad_definition_fails_init_with_a_clear_error(native_build, tmp_path, text, reason):
    path = tmp_path / "broken.so"
    shutil.copyfile(native_build, path)
    if text is not None:
        (tmp_path / "broken.so.json").write_text(text)
    library = NativeLibrary(path)
    assert library.get_name() == "invalid_definition"
    with pytest.raises(LoadError) as error:
        load(library)
    assert error.value.clause == "INIT-FAILURE"
    assert f"Could not initialize plugin: definition file {path}.json: {reason}" in str(error.value)


@pytest.mark.clause("NATIVE-BAD-INPUT", "PLUGIN-SYMBOLS")
def test_what_cannot_be_loaded_names_the_path_under_plugin_symbols(tmp_path, compile_plugin):
    fake = tmp_path / "plugin.so"
    fake.write_text("not an ELF file at all\n")
    unresolved = compile_plugin("extern int plugref_nowhere(void);\n"
                                "const char *plugin_get_required_api_version(void) { return \"0.3.0\"; }\n"
                                "int calls_nowhere(void) { return plugref_nowhere(); }\n", "unresolved")
    for path, reason in [(tmp_path / "missing.so", "no such file"),
                         (tmp_path, "is a directory, not a shared library"),
                         (fake, None),
                         # Every symbol is bound at load (RTLD_NOW), not at its first call.
                         (unresolved, "undefined symbol: plugref_nowhere")]:
        with pytest.raises(LoadError) as error:
            open_native(path)
        assert error.value.where == str(path)
        assert error.value.clause == "PLUGIN-SYMBOLS"
        assert str(error.value).startswith(f"cannot load plugin {path}: error loading plugin {path}: ")
        if reason is not None:
            assert reason in str(error.value)
    with pytest.raises(LoadError) as error:
        open_native(tmp_path / "missing.so")
    assert str(error.value) == f"cannot load plugin {tmp_path}/missing.so: error loading plugin {tmp_path}/missing.so: no such file"


@pytest.mark.clause("NATIVE-BAD-INPUT")
def test_a_call_the_library_does_not_export_is_named(compile_plugin):
    path = odd(compile_plugin, "nocalls", OMIT_NEXT_BATCH=None)
    library = NativeLibrary(path)
    state, _ = library.init("")
    with pytest.raises(PluginCallError) as error:
        library.get_progress(state, None)
    assert str(error.value) == f"plugin {path}: plugin_get_progress is not exported by the library"


@pytest.mark.clause("NATIVE-BAD-INPUT")
@pytest.mark.parametrize("define, message", [
    ({"HUGE_BATCH": None}, "next_batch returned 5000000 events in one batch (more than 1000000)"),
    ({"NULL_BATCH": None}, "next_batch returned 3 events but a NULL event array"),
    ({"HUGE_EVENT": None}, "next_batch: event 0 of the batch has datalen 4026531840 (more than 67108864)"),
    ({"NULL_DATA": "1", "DATALEN": "5"}, "next_batch: event 0 of the batch has datalen 5 but NULL data"),
    # At the limits (1,000,000 events, 64 MiB) nothing is refused for size: the NULL data is what is wrong.
    ({"NULL_DATA": "1000000", "DATALEN": "5"}, "next_batch: event 0 of the batch has datalen 5 but NULL data"),
    ({"NULL_DATA": "1", "DATALEN": "67108864u"},
     "next_batch: event 0 of the batch has datalen 67108864 but NULL data"),
], ids=["huge-batch", "null-batch", "huge-event", "null-data", "largest-batch", "largest-event"])
def test_absurd_batches_are_refused_naming_the_plugin_and_the_event(compile_plugin, define, message):
    path = odd(compile_plugin, "batch" + "".join(f"{k}{v or ''}" for k, v in define.items()).lower(), **define)
    library = NativeLibrary(path)
    state, _ = library.init("")
    instance, _ = library.open(state, "")
    with pytest.raises(PluginCallError) as error:
        library.next_batch(state, instance)
    assert str(error.value) == f"plugin {path}: {message}"


@pytest.mark.clause("NATIVE-BAD-INPUT", "NATIVE-MEMORY-COPY")
def test_a_field_the_plugin_skips_is_absent_whatever_came_before(compile_plugin):
    library = NativeLibrary(odd(compile_plugin, "skipping"))
    state, _ = library.init("")
    event = Event(b"x", 1, 1)
    skipped = ExtractRequest(0, "odd.arg", "absent", FieldType.STRING)
    answered = ExtractRequest(0, "odd.arg", "two", FieldType.STRING)
    for _ in range(2):  # the second time, after an answered call on the same argument array
        assert library.extract_fields(state, event, [skipped, answered]) == ReturnCode.SUCCESS
        assert skipped.field_present is False and skipped.res_str is None
        assert (answered.field_present, answered.res_str) == (True, "arg:two")
    skipped.field_present = True  # a request object reused from an earlier answer is reset too
    assert library.extract_fields(state, event, [skipped]) == ReturnCode.SUCCESS
    assert skipped.field_present is False


@pytest.mark.clause("NATIVE-BAD-INPUT")
@pytest.mark.parametrize("arg, problem", [
    ("null", "extract_fields marked string field odd.arg present with a NULL res_str"),
    ("badutf8", "plugin_extract_fields returned a string that is not valid UTF-8 "
                "(invalid start byte at byte 3: b'bad\\xff')"),
    # The bad bytes are quoted up to 60 of them.
    ("long", "plugin_extract_fields returned a string that is not valid UTF-8 (invalid start byte at byte 70: "
             "b'012345678901234567890123456789012345678901234567890123456789')"),
])
def test_a_bad_string_answer_is_refused_naming_the_plugin(compile_plugin, arg, problem):
    path = odd(compile_plugin, "badanswer")
    library = NativeLibrary(path)
    state, _ = library.init("")
    with pytest.raises(PluginCallError) as error:
        library.extract_fields(state, Event(b"x", 1, 1), [ExtractRequest(0, "odd.arg", arg, FieldType.STRING)])
    assert str(error.value) == f"plugin {path}: {problem}"


# NATIVE-API-DISPATCH


@pytest.mark.clause("NATIVE-API-DISPATCH")
def test_dispatch_on_the_required_api_major(compile_plugin):
    assert isinstance(open_native(odd(compile_plugin, "v030")), NativeLibrary)
    assert isinstance(open_native(odd(compile_plugin, "v020", API='"0.2.0"')), NativeLibrary)
    assert type(open_native(odd(compile_plugin, "v3120", API='"3.12.0"'))).__name__ == "NativeLibraryV3"
    for version in ("1.0.0", "2.4.1"):
        with pytest.raises(LoadError) as error:
            open_native(odd(compile_plugin, "v" + version.replace(".", ""), API=f'"{version}"'))
        assert error.value.clause == "API-VERSION-COMPAT"
        assert "the 1.x/2.x native contract is not implemented" in str(error.value)
    with pytest.raises(LoadError, match="major version no plugin API has"):
        open_native(odd(compile_plugin, "v900", API='"9.0.0"'))


@pytest.mark.clause("NATIVE-API-DISPATCH")
def test_an_unparsable_version_is_left_to_the_loader(compile_plugin):
    library = open_native(odd(compile_plugin, "vbad", API='"zero.three"'))
    with pytest.raises(LoadError) as error:
        load(library)
    assert error.value.clause == "API-VERSION-FORMAT"


@pytest.mark.clause("NATIVE-API-DISPATCH", "NATIVE-BAD-INPUT")
def test_a_library_without_the_version_symbol(compile_plugin):
    path = compile_plugin("int not_a_plugin(void) { return 1; }\n", "noversion")
    with pytest.raises(LoadError, match="Could not resolve plugin_get_required_api_version function"):
        open_native(path)


@pytest.mark.clause("NATIVE-API-DISPATCH")
@pytest.mark.parametrize("version, message", [
    ("1.0.0\\xff", "plugin requires API version 1.0.0\ufffd: the 1.x/2.x native contract is not implemented by "
                    "this bridge (only 0.x and 3.x are)"),
    ("9.0.0\\xff", "plugin requires API version 9.0.0\ufffd, a major version no plugin API has "
                    "(known: 0, 1, 2, 3)"),
], ids=["2.x", "unknown"])
def test_a_refused_major_names_the_path_and_the_version(compile_plugin, version, message):
    # Bytes that are not UTF-8 after the version do not hide its major, and are shown replaced.
    path = odd(compile_plugin, "refused" + version[0], API=f'"{version}"')
    with pytest.raises(LoadError) as error:
        open_native(path)
    assert (error.value.where, error.value.clause) == (str(path), "API-VERSION-COMPAT")
    assert str(error.value) == f"cannot load plugin {path}: {message}"


@pytest.mark.clause("NATIVE-API-DISPATCH")
def test_each_contract_gets_the_library_at_its_path(compile_plugin):
    for api, bridge in [('"0.3.0"', "NativeLibrary"), ('"3.0.0\\xff"', "NativeLibraryV3")]:
        path = odd(compile_plugin, bridge.lower(), API=api)
        library = open_native(path)
        assert (type(library).__name__, library.location) == (bridge, str(path))
        assert library.get_name() == "odd"


@pytest.mark.clause("NATIVE-API-DISPATCH", "API-VERSION-FORMAT")
def test_a_null_required_version_is_left_to_the_loader(compile_plugin):
    library = open_native(odd(compile_plugin, "vnull", API="NULL"))
    assert type(library) is NativeLibrary
    with pytest.raises(LoadError) as error:
        load(library)
    assert error.value.clause == "API-VERSION-FORMAT"


@pytest.mark.clause("NATIVE-API-DISPATCH")
def test_a_library_handed_over_is_not_loaded_again(compile_plugin, tmp_path):
    path = tmp_path / "handed.so"
    shutil.copyfile(odd(compile_plugin, "handed"), path)
    handle = ctypes.CDLL(str(path))
    path.unlink()  # the bridge must use the handle, not the path, which names nothing now
    assert NativeLibrary(path, handle).get_name() == "odd"


# NATIVE-PARITY (examples; the property is in conformance/properties/test_native_parity.py)


@pytest.mark.clause("NATIVE-PARITY")
@pytest.mark.parametrize("case", sorted(MISBEHAVING))
def test_misbehaving_definitions_are_refused_alike(make_native, case):
    definition, clause, text = MISBEHAVING[case]
    errors = []
    for library in (DefinedLibrary(definition), NativeLibrary(make_native(definition))):
        with pytest.raises(LoadError) as error:
            load(library)
        errors.append((error.value.clause, error.value.reason))
    assert errors[0] == errors[1]
    assert errors[1][0] == clause and text in errors[1][1]


@pytest.mark.clause("NATIVE-PARITY")
@pytest.mark.parametrize("case", sorted(CONFLICTING_PAIRS))
def test_conflicting_pairs_are_refused_alike(make_native, case):
    first, second, clause = CONFLICTING_PAIRS[case]
    registry = PluginRegistry()
    registry.load(NativeLibrary(make_native(first)))
    with pytest.raises(LoadError) as error:
        registry.load(NativeLibrary(make_native(second)))
    assert error.value.clause == clause


# NATIVE-SYSDIG-LOAD

SYSDIG_DEFINITION = {
    "required_api_version": "0.3.0", "type": 1, "id": 1073741900, "name": "natfake",
    "description": "native fake plugin for the sysdig check", "contact": "plugref", "version": "0.1.0",
    "event_source": "natfake",
    "fields": [{"type": "uint64", "name": "natfake.count", "desc": "a count"},
               {"type": "string", "name": "natfake.word", "desc": "a word"}],
    "events": [{"ts": 1000, "values": {"natfake.count": 1, "natfake.word": "one"}},
               {"ts": 2000, "values": {"natfake.count": 18446744073709551615}},
               {"ts": "now", "values": {"natfake.word": "three words"}},
               {"ts": 4000, "values": {"natfake.count": "not a number", "natfake.word": "four"}},
               {"ts": 5000, "data": "opaque"}],
    "batch_size": 2,
}


@pytest.mark.clause("NATIVE-SYSDIG-LOAD")
@pytest.mark.skipif(shutil.which("sysdig") is None, reason="sysdig is not installed")
def test_sysdig_prints_what_plugref_extracts(make_native):
    path = make_native(SYSDIG_DEFINITION)
    # -I must name the plugin exactly as -H did; the leading '*' prints lines with missing
    # values as <NA> instead of dropping them.
    result = subprocess.run(["sysdig", "-H", str(path), "-I", str(path), "-p",
                             "*%evt.num %natfake.count %natfake.word"],
                            capture_output=True, text=True, timeout=60, env={**os.environ, "TZ": "UTC"})
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()

    plugin = load(NativeLibrary(path))
    plugin.open()
    fields = [plugin.info.field("natfake.count"), plugin.info.field("natfake.word")]
    expected = []
    for event in EventStream(plugin, clock=lambda: 1):
        # sysdig extracts one field per call, so a failing uint64 does not hide the string.
        values = [plugin.extract(event.as_plugin_input(), [(f, "")])[0] for f in fields]
        expected.append(" ".join([str(event.num)] + ["<NA>" if v is None else str(v) for v in values]))
    plugin.shutdown()
    assert printed == expected
    assert expected[0] == "1 1 one" and expected[3] == "4 <NA> four"
