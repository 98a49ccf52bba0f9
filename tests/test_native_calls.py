"""The bridge's calls, each checked from the C side (NATIVE-BAD-INPUT, NATIVE-MEMORY-COPY, PLUGIN-LIFECYCLE):
every call gets back the state init returned and the instance open returned (the plugin answers "bad handle"
otherwise), the optional calls reach the plugin, and a string that is not UTF-8 is refused naming its call."""
import pytest

from reference.contract.v0_3 import Event, ExtractRequest, FieldType
from reference.errors import LoadError, PluginCallError
from reference.host.native import NativeLibrary, is_native_path, open_native

CHECKING_PLUGIN = r"""
#include <stdint.h>
#include <stddef.h>
static int state_obj, instance_obj;
#define S(s) ((s) == &state_obj)
#ifdef BAD_UTF8
#define TEXT(ok) "bad\xff"
#else
#define TEXT(ok) (ok)
#endif
const char *plugin_get_required_api_version(void) { return "0.3.0"; }
uint32_t plugin_get_type(void) { return 1; }
/* init and open succeed only with a config and params string (never NULL). */
void *plugin_init(const char *c, int32_t *rc) { *rc = c != NULL ? 0 : 1; return &state_obj; }
static int destroyed_wrong = 0;
void plugin_destroy(void *s) { destroyed_wrong = !S(s); }
const char *plugin_get_last_error(void *s) { return S(s) && !destroyed_wrong ? TEXT("last error") : "bad handle"; }
uint32_t plugin_get_id(void) { return 4244; }
const char *plugin_get_name(void) { return "checking"; }
const char *plugin_get_description(void) { return "checks its handles"; }
const char *plugin_get_contact(void) { return "plugref"; }
const char *plugin_get_version(void) { return "0.1.0"; }
const char *plugin_get_event_source(void) { return "checking"; }
const char *plugin_get_init_schema(uint32_t *type) { (void)type; return TEXT("{\"type\": \"object\"}"); }
void *plugin_open(void *s, const char *p, int32_t *rc) { *rc = S(s) && p != NULL ? 0 : 1; return &instance_obj; }
static int closed_right = 1;
void plugin_close(void *s, void *i) { closed_right = S(s) && i == &instance_obj; }
int32_t plugin_next_batch(void *s, void *i, uint32_t *n, void **e) { (void)s; (void)i; *n = 0; *e = NULL; return 2; }
const char *plugin_get_progress(void *s, void *i, uint32_t *pct) {
    *pct = 42; return S(s) && i == &instance_obj && closed_right ? TEXT("0.42") : "bad handle";
}
const char *plugin_event_to_string(void *s, const uint8_t *d, uint32_t n) {
    (void)d; return S(s) && n == 3 ? TEXT("three") : "bad handle";
}
const char *plugin_list_open_params(void *s, int32_t *rc) {
    *rc = S(s) ? 0 : 1; return S(s) ? TEXT("[{\"value\": \"v\"}]") : "bad handle";
}
"""


@pytest.fixture
def checking(compile_plugin):
    def build(**defines):
        name = "checking" + "".join(sorted(defines)).lower()
        return NativeLibrary(str(compile_plugin(CHECKING_PLUGIN, name, **defines)))
    return build


@pytest.mark.clause("PLUGIN-LIFECYCLE", "NATIVE-MEMORY-COPY")
def test_every_call_gets_its_handles_back(checking):
    library = checking()
    state, rc = library.init("")
    assert rc == 0 and library.get_last_error(state) == "last error"
    instance, rc = library.open(state, "")
    assert rc == 0
    assert library.get_progress(state, instance) == ("0.42", 42)
    assert library.event_to_string(state, b"abc") == "three"
    assert library.list_open_params(state) == ('[{"value": "v"}]', 0)
    library.close(state, instance)
    assert library.get_progress(state, instance) == ("0.42", 42)  # close saw the right handles
    library.destroy(state)
    assert library.get_last_error(state) == "last error"  # destroy saw the right handle


@pytest.mark.clause("NATIVE-BAD-INPUT")
def test_a_schema_type_never_written_is_none(checking):
    assert checking().get_init_schema() == ('{"type": "object"}', 0)


@pytest.mark.clause("NATIVE-BAD-INPUT")
@pytest.mark.parametrize("call", ["plugin_get_progress", "plugin_event_to_string", "plugin_list_open_params"])
def test_a_string_that_is_not_utf8_names_its_call(checking, call):
    library = checking(BAD_UTF8=None)
    state, _ = library.init("")
    instance, _ = library.open(state, "")
    # The last error explains a failure under way: it is read leniently rather than refused.
    assert library.get_last_error(state) == "bad\\xff"
    calls = {"plugin_get_progress": lambda: library.get_progress(state, instance),
             "plugin_event_to_string": lambda: library.event_to_string(state, b"abc"),
             "plugin_list_open_params": lambda: library.list_open_params(state)}
    with pytest.raises(PluginCallError) as caught:
        calls[call]()
    assert str(caught.value) == (f"plugin {library.location}: {call} returned a string that is not valid UTF-8 "
                                 f"(invalid start byte at byte 3: b'bad\\xff')")


@pytest.mark.clause("NATIVE-BAD-INPUT", "INIT-SCHEMA")
def test_an_init_schema_that_is_not_utf8_is_a_load_error(checking):
    # Read at load, like the info strings, so it is refused as the plugin's load error under INIT-SCHEMA.
    library = checking(BAD_UTF8=None)
    with pytest.raises(LoadError) as caught:
        library.get_init_schema()
    assert (caught.value.where, caught.value.clause) == (library.location, "INIT-SCHEMA")
    assert caught.value.reason == ("plugin_get_init_schema returned a string that is not valid UTF-8 "
                                   "(invalid start byte at byte 3: b'bad\\xff')")


@pytest.mark.clause("NATIVE-BAD-INPUT")
def test_extraction_from_a_library_without_extract_fields_is_named(checking):
    library = checking()
    state, _ = library.init("")
    with pytest.raises(PluginCallError) as caught:
        library.extract_fields(state, Event(b"x", 1, 1), [ExtractRequest(0, "checking.x", "", FieldType.STRING)])
    assert str(caught.value) == f"plugin {library.location}: plugin_extract_fields is not exported by the library"


@pytest.mark.clause("NATIVE-API-DISPATCH")
def test_open_native_keeps_the_path_as_the_location(compile_plugin):
    path = str(compile_plugin(CHECKING_PLUGIN, "located"))
    assert open_native(path).location == path


@pytest.mark.clause("NATIVE-API-DISPATCH", "PLUGIN-SYMBOLS")
def test_a_library_without_the_version_symbol_is_named(compile_plugin):
    path = str(compile_plugin("int nothing_here(void) { return 0; }\n", "noversion"))
    with pytest.raises(LoadError) as caught:
        open_native(path)
    assert str(caught.value) == f"cannot load plugin {path}: Could not resolve plugin_get_required_api_version function"
    assert caught.value.clause == "PLUGIN-SYMBOLS"


@pytest.mark.clause("NATIVE-BAD-INPUT")
@pytest.mark.parametrize("spec, native", [("a.so", True), ("dir/liba.so", True), ("liba.so.1", True),
                                          ("liba.so.1.2", True), ("a.SO", False), ("a.py", False),
                                          ("fake_plugins.counter", False), ("so", False), ("a.sox", False)])
def test_what_names_a_native_library(spec, native):
    assert is_native_path(spec) is native
