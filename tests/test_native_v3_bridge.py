"""The 3.x ctypes bridge (reference/host/native_v3.py) against a small hand-written 3.x plugin whose answers
a test picks at run time (`odd3_mode`): what the bridge passes (state, owner, field names), the framework's
callbacks a plugin calls (get_owner_last_error, log), and the answers it refuses, each with its message.

Layouts and callback signatures are plugin-api.md §1 (V3-STRUCT-LAYOUT, V3-INIT-INPUT); the refusals are
the bridge's own (V3-EVENT-CHECKS, V3-EXTRACT-ONE-FIELD, NATIVE-BAD-INPUT).
"""
from __future__ import annotations

import ctypes
import ipaddress
import itertools
import struct
import sys

import pytest

from reference.contract.v3 import EventInput, ExtractRequestV3, LogSeverity, encode_plugin_event
from reference.contract.field_types import AnyFieldType
from reference.errors import PluginCallError
from reference.host.loader_v3 import Owner
from reference.host.native_v3 import NativeLibraryV3

ODD3 = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#pragma pack(push, 1)
typedef struct { uint64_t ts; uint64_t tid; uint32_t len; uint16_t type; uint32_t nparams; } event_t;
#pragma pack(pop)
typedef struct { const event_t *evt; uint64_t evtnum; const char *evtsrc; } event_input_t;
typedef struct { uint32_t len; const void *ptr; } byte_buffer_t;
typedef struct {
    void *res; uint64_t res_len; uint32_t field_id; const char *field; const char *arg_key;
    uint64_t arg_index; uint32_t arg_present; uint32_t ftype; uint32_t flist;
} extract_field_t;
typedef const char *(*owner_error_fn)(void *owner);
typedef void (*log_fn)(void *owner, const char *component, const char *msg, uint32_t severity);
typedef struct { const char *config; void *owner; owner_error_fn get_owner_last_error; const void *tables;
                 log_fn log; } init_input_t;
typedef struct { void *owner; owner_error_fn get_owner_last_error; uint32_t num_fields; extract_field_t *fields;
                 void *table_reader[4]; void *table_reader_ext; void *value_offsets; } extract_input_t;

static int mode;                 /* what the next answers do, set by the test */
static void *owners[2];          /* the owners of the first two inits */
static int inits;
static owner_error_fn owner_error;
static void *destroyed;          /* the last state destroyed */
static char text[256];
static uint64_t many[65537];
static const char *strings[2];
static byte_buffer_t buffers[1];
static uint8_t bytes[16];
static uint16_t codes[65537];
static uint8_t *event_memory;
static event_t *pointers[1];

void odd3_mode(int m) { mode = m; }
void *odd3_destroyed(void) { return destroyed; }

const char *plugin_get_required_api_version(void) { return "3.12.0"; }
const char *plugin_get_version(void) { return "0.1.0"; }
const char *plugin_get_name(void) { return "odd3"; }
const char *plugin_get_description(void) { return "odd"; }
const char *plugin_get_contact(void) { return "plugref"; }
const char *plugin_get_last_error(void *s) { (void)s; return "odd3 failed"; }
uint32_t plugin_get_id(void) { return 77; }
const char *plugin_get_event_source(void) { return "odd3"; }
const char *plugin_get_fields(void) {
    return "[{\"type\":\"string\",\"name\":\"odd3.s\",\"desc\":\"d\"}]";
}

void *plugin_init(const init_input_t *in, int32_t *rc) {
    if (inits < 2) owners[inits] = in->owner;
    owner_error = in->get_owner_last_error;
    *rc = 0;
    if (strcmp(in->config, "log") == 0) in->log(in->owner, "comp\xff", "said \xff", 6);
    if (strcmp(in->config, "log-nulls") == 0) in->log(in->owner, NULL, NULL, 42);
    if (strcmp(in->config, "log-no-owner") == 0) in->log(NULL, "comp", "lost", 6);
    if (strcmp(in->config, "ask-no-owner") == 0) {
        const char *e = in->get_owner_last_error(NULL);
        snprintf(text, sizeof(text), "%s", e ? e : "(none)");
    }
    int *state = malloc(sizeof(int));  /* never freed: every state keeps its own address */
    *state = inits++;
    return state;
}
void plugin_destroy(void *s) { destroyed = s; }

void *plugin_open(void *s, const char *params, int32_t *rc) { (void)params; *rc = s ? 0 : 1; return s; }
void plugin_close(void *s, void *i) { (void)s; (void)i; }

static void encode(uint8_t *buf, uint32_t len) {
    event_t *hdr = (event_t *)buf;
    hdr->ts = 5; hdr->tid = UINT64_MAX; hdr->len = len; hdr->type = 322; hdr->nparams = len >= 38 ? 2 : 0;
    if (len >= 38) {
        uint32_t params[3] = {4, len - 38, 77};
        memcpy(buf + 26, params, sizeof(params));
        memset(buf + 38, 'x', len - 38);
    }
}

int32_t plugin_next_batch(void *s, void *i, uint32_t *nevts, event_t ***evts) {
    (void)i;
    *nevts = 0;
    if (s == NULL) return 1;
    /* mode: 0 one NULL event; else the event's len */
    uint32_t len = (uint32_t)mode;
    free(event_memory);
    event_memory = NULL;
    if (len != 0) {
        event_memory = calloc(1, len < 64 ? 64 : len);
        encode(event_memory, len);
    }
    pointers[0] = (event_t *)event_memory;
    *nevts = 1;
    *evts = pointers;
    return 0;
}

const char *plugin_event_to_string(void *s, const event_input_t *in) {
    (void)s; (void)in;
    return "bad \xff text";
}

const uint16_t *plugin_get_extract_event_types(uint32_t *n, void *s) {
    switch (mode) {
    case 0: if (s == NULL) { *n = 0; return NULL; } codes[0] = 2; codes[1] = 3; *n = 2; return codes;
    case 1: *n = 3; return NULL;
    case 2: *n = 65537; return codes;
    case 3: for (int k = 0; k < 65536; k++) codes[k] = 322; *n = 65536; return codes;
    default: return NULL;  /* writes no count */
    }
}

const char *plugin_get_required_event_schema_version(void *s) {
    if (mode == 1) return "4.\xff";
    return s != NULL ? "4.0.0" : "9.9.9";
}

int32_t plugin_extract_fields(void *s, const event_input_t *in, const extract_input_t *req) {
    (void)s; (void)in;
    extract_field_t *f = &req->fields[0];
    f->res_len = 0;
    switch (mode) {
    case 0: /* the field's name as the bridge passed it */
        snprintf(text, sizeof(text), "%s", f->field ? f->field : "(null)");
        strings[0] = text; f->res = strings; f->res_len = 1; break;
    case 1: { /* the owner's last error */
        const char *e = req->get_owner_last_error(req->owner);
        snprintf(text, sizeof(text), "%s", e ? e : "(none)");
        strings[0] = text; f->res = strings; f->res_len = 1; break;
    }
    case 2: { /* both owners' last errors, read before either is copied */
        const char *a = owner_error(owners[0]);
        const char *b = owner_error(owners[1]);
        snprintf(text, sizeof(text), "%s+%s", a ? a : "(none)", b ? b : "(none)");
        strings[0] = text; f->res = strings; f->res_len = 1; break;
    }
    case 3: f->res = NULL; f->res_len = 2; break;
    case 4: strings[0] = "ok"; strings[1] = NULL; f->res = strings; f->res_len = 2; break;
    case 5: strings[0] = "bad \xff"; f->res = strings; f->res_len = 1; break;
    case 6: f->res = many; f->res_len = 65536; break;
    case 7: f->res = many; f->res_len = 65537; break;
    case 8: buffers[0].len = 4; buffers[0].ptr = NULL; f->res = buffers; f->res_len = 1; break;
    case 9: buffers[0].len = 5; buffers[0].ptr = bytes; f->res = buffers; f->res_len = 1; break;
    case 10: buffers[0].len = 16; buffers[0].ptr = bytes; bytes[0] = 0xfe; bytes[1] = 0x80;
             f->res = buffers; f->res_len = 1; break;
    case 11: text[0] = 0; f->res = text; f->res_len = 0; break;  /* no value */
    }
    return 0;
}
"""


_COPIES = itertools.count()


@pytest.fixture
def odd3(compile_plugin):
    """A fresh copy of the plugin (its own statics) and its bridge, opened from its path."""
    path = compile_plugin(ODD3, f"odd3_{next(_COPIES)}")
    library = NativeLibraryV3(path)
    library._dll.odd3_destroyed.restype = ctypes.c_void_p
    return path, library


@pytest.fixture
def callback_errors(monkeypatch) -> list:
    """The exceptions raised inside the framework's callbacks during a test (ctypes reports them as
    unraisable and returns NULL to the plugin)."""
    seen: list = []
    monkeypatch.setattr(sys, "unraisablehook", lambda report: seen.append(report.exc_value))
    return seen


def _mode(library, mode: int) -> None:
    library._dll.odd3_mode(mode)


EVENT = EventInput(encode_plugin_event(77, b"payload", 5), 1, "odd3")


def _extract(library, state, ftype=AnyFieldType.STRING, field="odd3.s", flist=False) -> list:
    request = ExtractRequestV3(0, field, ftype, flist)
    assert library.extract_fields(state, EVENT, [request]) == 0
    return request.values


@pytest.mark.clause("V3-STRUCT-LAYOUT", "NATIVE-API-DISPATCH")
def test_the_bridge_opens_the_library_at_its_path(odd3):
    path, library = odd3
    assert library.location == str(path)
    assert repr(library) == f"NativeLibraryV3({str(path)!r})"
    assert {"plugin_init", "plugin_next_batch", "plugin_get_extract_event_types"} <= library.symbols
    assert library.get_name() == "odd3"
    with pytest.raises(PluginCallError) as error:
        library.get_type()
    assert str(error.value) == f"plugin {path}: the 3.x contract has no plugin_get_type"


@pytest.mark.clause("V3-INIT-INPUT")
@pytest.mark.parametrize("config, log", [
    ("log", [("comp\ufffd", LogSeverity(6), "said \ufffd")]),   # bytes that are not UTF-8 are replaced
    ("log-nulls", [("odd3", 42, "")]),                           # a NULL component is the plugin's name
    ("log-no-owner", []),                                        # no owner, no log
])
def test_what_a_plugin_logs_reaches_its_owner(odd3, callback_errors, config, log):
    _, library = odd3
    owner = Owner("odd3")
    state, rc = library.init(config, owner)
    assert (state is not None, rc) == (True, 0)
    assert owner.log == log
    assert callback_errors == []


@pytest.mark.clause("V3-INIT-INPUT")
def test_the_plugin_reads_its_owner_last_error(odd3, callback_errors):
    _, library = odd3
    first, second = Owner("odd3"), Owner("odd3")
    state_a, _ = library.init("", first)
    state_b, _ = library.init("", second)
    _mode(library, 1)
    assert _extract(library, state_a) == ["(none)"]   # no error: NULL
    first.last_error = ""
    assert _extract(library, state_a) == ["(none)"]   # an empty one too
    first.last_error, second.last_error = "first went wrong", "second went wrong"
    assert _extract(library, state_a) == ["first went wrong"]
    assert _extract(library, state_b) == ["second went wrong"]
    first.last_error = "ünïcode"
    assert _extract(library, state_a) == ["ünïcode"]
    # each owner's string stays valid until that owner's next call, whatever the other owners do
    first.last_error, second.last_error = "a" * 40, "b" * 40
    _mode(library, 2)
    assert _extract(library, state_a) == ["a" * 40 + "+" + "b" * 40]
    assert callback_errors == []


@pytest.mark.clause("V3-INIT-INPUT")
def test_every_plugin_state_keeps_its_own_owner(odd3):
    _, library = odd3
    owners = [Owner("odd3") for _ in range(100)]
    states = [library.init("", owner)[0] for owner in owners]
    for number, owner in enumerate(owners):
        owner.last_error = f"owner {number}"
    _mode(library, 1)
    assert [_extract(library, state)[0] for state in states] == [f"owner {n}" for n in range(100)]


@pytest.mark.clause("V3-INIT-INPUT", "NATIVE-BAD-INPUT")
def test_a_plugin_asking_the_last_error_of_no_owner_gets_null(odd3, callback_errors):
    _, library = odd3
    state, rc = library.init("ask-no-owner", Owner("odd3"))
    assert rc == 0
    assert callback_errors == []  # NULL, not an exception inside the callback (which ctypes would print)


@pytest.mark.clause("PLUGIN-LIFECYCLE")
def test_destroy_passes_the_state_init_returned(odd3):
    _, library = odd3
    state, _ = library.init("", Owner("odd3"))
    library.destroy(state)
    assert library._dll.odd3_destroyed() == state


@pytest.mark.clause("V3-EXTRACT-ONE-FIELD")
def test_the_request_carries_the_field_name(odd3):
    _, library = odd3
    state, _ = library.init("", Owner("odd3"))
    assert _extract(library, state, field="odd3.s") == ["odd3.s"]
    assert _extract(library, state, field="odd3.ünï") == ["odd3.ünï"]


@pytest.mark.clause("V3-EXTRACT-ONE-FIELD", "NATIVE-BAD-INPUT")
@pytest.mark.parametrize("mode, ftype, message", [
    (3, AnyFieldType.STRING, "extract_fields for odd3.s returned res_len 2 with a NULL res"),
    (4, AnyFieldType.STRING, "extract_fields for odd3.s: value 1 is a NULL string"),
    (5, AnyFieldType.STRING, "plugin_extract_fields returned a string that is not valid UTF-8 "
                             "(invalid start byte at byte 4: b'bad \\xff')"),
    (7, AnyFieldType.UINT64, "extract_fields for odd3.s returned res_len 65537 (more than 65536 values)"),
    (8, AnyFieldType.IPADDR, "extract_fields for odd3.s: value 0 is a 4-byte buffer at NULL; an ipaddr is 4 (IPv4) "
                             "or 16 (IPv6) bytes"),
    (9, AnyFieldType.IPNET, "extract_fields for odd3.s: value 0 is a 5-byte buffer at an address; an ipnet is 4 "
                            "(IPv4) or 16 (IPv6) bytes"),
])
def test_an_answer_the_bridge_cannot_read_is_refused_by_name(odd3, mode, ftype, message):
    path, library = odd3
    state, _ = library.init("", Owner("odd3"))
    _mode(library, mode)
    with pytest.raises(PluginCallError) as error:
        _extract(library, state, ftype)
    assert str(error.value) == f"plugin {path}: {message}"


@pytest.mark.clause("V3-EXTRACT-ONE-FIELD")
def test_answers_up_to_the_limit_are_read(odd3):
    _, library = odd3
    state, _ = library.init("", Owner("odd3"))
    _mode(library, 6)
    assert _extract(library, state, AnyFieldType.UINT64, flist=True) == [0] * 65536
    _mode(library, 10)
    assert _extract(library, state, AnyFieldType.IPADDR) == [ipaddress.ip_address("fe80::")]
    _mode(library, 11)
    assert _extract(library, state) == []


@pytest.mark.clause("V3-EVENT-CHECKS", "NATIVE-BAD-INPUT")
def test_events_the_bridge_cannot_copy_are_refused(odd3):
    path, library = odd3
    state, _ = library.init("", Owner("odd3"))
    instance, rc = library.open(state, "")
    assert rc == 0
    _mode(library, 0)
    with pytest.raises(PluginCallError) as error:
        library.next_batch(state, instance)
    assert str(error.value) == f"plugin {path}: next_batch: event 0 of the batch is a NULL pointer"
    _mode(library, 25)
    with pytest.raises(PluginCallError) as error:
        library.next_batch(state, instance)
    assert str(error.value) == (f"malformed plugin event produced by plugin: '{path}' (event 0 of the batch has len "
                                f"25, outside 26..67108864)")
    _mode(library, 64 * 1024 * 1024 + 1)
    with pytest.raises(PluginCallError, match=r"has len 67108865, outside 26\.\.67108864\)$"):
        library.next_batch(state, instance)


@pytest.mark.clause("V3-EVENT-CHECKS")
@pytest.mark.parametrize("length", [26, 38, 45, 64 * 1024 * 1024])
def test_events_of_any_believable_len_are_copied_whole(odd3, length):
    _, library = odd3
    state, _ = library.init("", Owner("odd3"))
    instance, _ = library.open(state, "")
    _mode(library, length)
    rc, events = library.next_batch(state, instance)  # the state is passed: the plugin refuses NULL
    assert rc == 0 and [len(e) for e in events] == [length]
    assert struct.unpack_from("<QQIHI", events[0]) == (5, 2**64 - 1, length, 322, 2 if length >= 38 else 0)


@pytest.mark.clause("V3-EXTRACT-SOURCES", "NATIVE-BAD-INPUT")
def test_extract_event_types_are_read_with_the_state_and_checked(odd3):
    path, library = odd3
    state, _ = library.init("", Owner("odd3"))
    _mode(library, 0)
    assert library.get_extract_event_types(state) == [2, 3]
    _mode(library, 3)
    assert library.get_extract_event_types(state) == [322] * 65536
    _mode(library, 4)
    assert library.get_extract_event_types(state) == []   # no count written: none
    for mode, message in ((1, "get_extract_event_types returned 3 codes at NULL"),
                          (2, "get_extract_event_types returned 65537 codes (more than 65536)")):
        _mode(library, mode)
        with pytest.raises(PluginCallError) as error:
            library.get_extract_event_types(state)
        assert str(error.value) == f"plugin {path}: {message}"


@pytest.mark.clause("V3-EVENT-SCHEMA", "NATIVE-BAD-INPUT")
def test_the_event_schema_version_is_asked_with_the_state(odd3):
    path, library = odd3
    state, _ = library.init("", Owner("odd3"))
    assert library.get_required_event_schema_version(state) == "4.0.0"
    _mode(library, 1)
    with pytest.raises(PluginCallError) as error:
        library.get_required_event_schema_version(state)
    assert str(error.value) == (f"plugin {path}: plugin_get_required_event_schema_version returned a string that is "
                                f"not valid UTF-8 (invalid start byte at byte 2: b'4.\\xff')")


@pytest.mark.clause("V3-EVENT-FORMAT", "NATIVE-BAD-INPUT")
def test_event_to_string_text_that_is_not_utf8_names_the_call(odd3):
    path, library = odd3
    state, _ = library.init("", Owner("odd3"))
    with pytest.raises(PluginCallError) as error:
        library.event_to_string(state, EVENT)
    assert str(error.value) == (f"plugin {path}: plugin_event_to_string returned a string that is not valid UTF-8 "
                                f"(invalid start byte at byte 4: b'bad \\xff text')")
