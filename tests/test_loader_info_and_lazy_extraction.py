"""What the loader keeps of a plugin's answers and how a host's lazy extraction from a native plugin behaves.

- PLUGIN-INFO-STRINGS: the info strings a plugin returns (required API version, name, description,
  contact, version) are what the framework holds of it, as given; an extractor exports no get_id and no
  get_event_source (PLUGIN-SYMBOLS), so it has neither an ID nor an event source.
- PLUGIN-LIFECYCLE: init that fails leads to `init-failed`, the state in which the framework asks the last
  error (before destroying the state); extract_fields is refused once the plugin is destroyed, naming the call.
- EXTRACT-FAILURE-NO-VALUE, EXTRACT-BATCHED: a host asks a native plugin one field per call for its own
  event; a call that fails gives no value, even when the plugin wrote values before failing.
"""
import pytest
from hypothesis import given, settings, strategies as st

from fake_plugins.defined import DefinedLibrary
from fake_plugins.misbehaving import WELL_BEHAVED_EXTRACTOR, WELL_BEHAVED_SOURCE, variant
from reference.contract.lifecycle import State
from reference.errors import LifecycleError, LoadError
from reference.host.engine import PluginEvent
from reference.host.loader import LoadedPlugin, load_plugin, read_info
from reference.host.native import NativeLibrary

# Free text for description and contact; x.y.z versions (API-VERSION-FORMAT, PLUGIN-VERSION-FORMAT).
free_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
numbers = st.integers(0, 40)
plugin_versions = st.builds("{}.{}.{}".format, numbers, numbers, numbers)
# Compatible with the framework's 0.3.0 (API-VERSION-COMPAT): 0.0.x to 0.2.x, and 0.3.0.
api_versions = st.builds("0.{}.{}".format, st.integers(0, 2), numbers) | st.just("0.3.0")


@pytest.mark.clause("PLUGIN-INFO-STRINGS")
@settings(max_examples=40, deadline=None)
@given(base=st.sampled_from([WELL_BEHAVED_SOURCE, WELL_BEHAVED_EXTRACTOR]), required=api_versions,
       description=free_text, contact=free_text, version=plugin_versions)
def test_the_info_is_what_the_plugin_answered(base, required, description, contact, version):
    definition = variant(base, required_api_version=required, description=description, contact=contact,
                         version=version)
    info = read_info(DefinedLibrary(definition))
    assert (info.required_api_version, info.name, info.description, info.contact, info.version) == (
        required, base["name"], description, contact, version)


@pytest.mark.clause("PLUGIN-SYMBOLS", "SRC-ID-RULES")
def test_an_extractor_has_no_id_and_no_event_source_and_a_source_has_both():
    extractor = read_info(DefinedLibrary(WELL_BEHAVED_EXTRACTOR))
    assert extractor.id is None and extractor.event_source is None
    source = read_info(DefinedLibrary(WELL_BEHAVED_SOURCE))
    assert (source.id, source.event_source) == (2**30 + 2, "ticker")


class StateWatchingLibrary(DefinedLibrary):
    """A plugin whose get_last_error notes the lifecycle state the framework holds it in at that moment."""

    def __init__(self, definition):
        super().__init__(definition)
        self.watched: LoadedPlugin | None = None
        self.states_seen: list[State] = []

    def get_last_error(self, state):
        self.states_seen.append(self.watched.lifecycle.state)
        return super().get_last_error(state)


@pytest.mark.clause("PLUGIN-LIFECYCLE", "INIT-FAILURE")
def test_the_last_error_of_a_failed_init_is_asked_in_the_init_failed_state():
    library = StateWatchingLibrary(variant(WELL_BEHAVED_SOURCE, init_error="no bus"))
    plugin = library.watched = LoadedPlugin(library, read_info(library))
    with pytest.raises(LoadError, match="Could not initialize plugin: no bus"):
        plugin.init("")
    assert library.states_seen == [State.INIT_FAILED]
    assert plugin.lifecycle.state is State.DESTROYED


# A native extractor that answers every field of every call (lazy.len: the payload's length; lazy.text: the
# payload), then fails the call when the payload starts with "fail" or the state is not the one init gave.
LAZY_EXTRACTOR = r"""
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
typedef struct { uint64_t evtnum; const uint8_t *data; uint32_t datalen; uint64_t ts; } ss_plugin_event;
typedef struct {
    uint32_t field_id; const char *field; const char *arg; uint32_t ftype; bool field_present;
    const char *res_str; uint64_t res_u64;
} ss_plugin_extract_field;
static int state_obj;
static char text[256];
const char *plugin_get_required_api_version(void) { return "0.3.0"; }
uint32_t plugin_get_type(void) { return 2; }
const char *plugin_get_name(void) { return "lazy"; }
const char *plugin_get_description(void) { return "answers, then maybe fails"; }
const char *plugin_get_contact(void) { return "plugref"; }
const char *plugin_get_version(void) { return "0.1.0"; }
const char *plugin_get_fields(void) {
    return "[{\"type\": \"uint64\", \"name\": \"lazy.len\", \"desc\": \"the payload length\"},"
           " {\"type\": \"string\", \"name\": \"lazy.text\", \"desc\": \"the payload\"}]";
}
void *plugin_init(const char *c, int32_t *rc) { (void)c; *rc = 0; return &state_obj; }
void plugin_destroy(void *s) { (void)s; }
const char *plugin_get_last_error(void *s) { (void)s; return "refused"; }
int32_t plugin_extract_fields(void *s, const ss_plugin_event *evt, uint32_t n, ss_plugin_extract_field *f) {
    uint32_t len = evt->datalen < sizeof text - 1 ? evt->datalen : (uint32_t)(sizeof text - 1);
    if (len) memcpy(text, evt->data, len);
    text[len] = 0;
    for (uint32_t i = 0; i < n; i++) {
        f[i].field_present = true;
        f[i].res_u64 = evt->datalen;
        f[i].res_str = text;
    }
    if (s != &state_obj) return 1;
    return strncmp(text, "fail", 4) == 0 ? 1 : 0;
}
"""

payloads = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=40).map(str.encode)


def host_event(num: int, data: bytes) -> PluginEvent:
    return PluginEvent(num=num, ts=1000 * num, plugin_id=999, source="any", data=data)


@pytest.fixture
def lazy(compile_plugin):
    plugin = load_plugin(NativeLibrary(str(compile_plugin(LAZY_EXTRACTOR, "lazy_extractor"))))
    yield plugin
    plugin.shutdown()


@pytest.mark.clause("EXTRACT-BATCHED", "EXTRACT-FAILURE-NO-VALUE")
def test_a_lazy_native_extraction_gives_the_plugins_value_or_none_when_the_call_fails(lazy):
    length = lazy.field_extractor(lazy.prepare_request(lazy.info.field("lazy.len"), ""))
    text = lazy.field_extractor(lazy.prepare_request(lazy.info.field("lazy.text"), ""))

    @settings(max_examples=60, deadline=None)
    @given(data=payloads, failing=st.booleans())
    def check(data, failing):
        data = b"fail" + data if failing else data
        event = host_event(7, data)
        if data.startswith(b"fail"):
            assert (length(event), text(event)) == (None, None)
        else:
            assert (length(event), text(event)) == (len(data), data.decode())

    check()


@pytest.mark.clause("PLUGIN-LIFECYCLE")
def test_a_lazy_native_extraction_after_destroy_is_refused_naming_extract_fields(lazy):
    length = lazy.field_extractor(lazy.prepare_request(lazy.info.field("lazy.len"), ""))
    assert length(host_event(1, b"abc")) == 3
    lazy.destroy()
    with pytest.raises(LifecycleError) as caught:
        length(host_event(2, b"abcd"))
    assert str(caught.value) == ("plugin lazy: extract_fields is not allowed in state destroyed "
                                 "(allowed in: initialised, open, closed)")
