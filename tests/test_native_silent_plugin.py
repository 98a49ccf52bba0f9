"""A native plugin that returns without writing its out-parameters (NATIVE-BAD-INPUT): the bridge starts
next_batch's event count at 0 with a NULL event array and get_progress's value at 0, so nothing written means
no events (then SUCCESS is the 0-size error of NEXT-BATCH-EMPTY-SUCCESS, EOF ends the stream, TIMEOUT retries)
and progress 0."""
import pytest

from reference.errors import PluginCallError
from reference.host.engine import EventStream
from reference.host.native import NativeLibrary
from reference.host.registry import PluginRegistry

SILENT_PLUGIN = r"""
#include <stdint.h>
static int state_obj, instance_obj;
const char *plugin_get_required_api_version(void) { return "0.3.0"; }
uint32_t plugin_get_type(void) { return 1; }
void *plugin_init(const char *c, int32_t *rc) { (void)c; *rc = 0; return &state_obj; }
void plugin_destroy(void *s) { (void)s; }
const char *plugin_get_last_error(void *s) { (void)s; return "silent"; }
uint32_t plugin_get_id(void) { return 4243; }
const char *plugin_get_name(void) { return "silent"; }
const char *plugin_get_description(void) { return "writes no out-parameter"; }
const char *plugin_get_contact(void) { return "plugref"; }
const char *plugin_get_version(void) { return "0.1.0"; }
const char *plugin_get_event_source(void) { return "silent"; }
void *plugin_open(void *s, const char *p, int32_t *rc) { (void)s; (void)p; *rc = 0; return &instance_obj; }
void plugin_close(void *s, void *i) { (void)s; (void)i; }
int32_t plugin_next_batch(void *s, void *i, uint32_t *nevts, void **evts) {
    (void)s; (void)i; (void)nevts; (void)evts;
    return RC;
}
const char *plugin_get_progress(void *s, void *i, uint32_t *pct) { (void)s; (void)i; (void)pct; return "halfway"; }
const char *plugin_event_to_string(void *s, const uint8_t *d, uint32_t n) { (void)s; (void)d; (void)n; return ""; }
"""


def silent(compile_plugin, rc: int):
    library = NativeLibrary(compile_plugin(SILENT_PLUGIN, f"silent{rc & 0xff}", RC=str(rc)))
    plugin = PluginRegistry().load(library)
    plugin.open("")
    return plugin


@pytest.mark.clause("NATIVE-BAD-INPUT", "NEXT-BATCH-EMPTY-SUCCESS")
def test_success_with_no_count_written_is_zero_events(compile_plugin):
    plugin = silent(compile_plugin, 0)
    assert plugin.library.next_batch(plugin._state, plugin._instance) == (0, [])
    with pytest.raises(PluginCallError, match="unexpected 0 size event returned by plugin silent"):
        EventStream(plugin, clock=lambda: 1).next()


@pytest.mark.clause("NATIVE-BAD-INPUT", "NEXT-BATCH-DEFERRED-RC")
def test_eof_with_no_count_written_ends_the_stream(compile_plugin):
    stream = EventStream(silent(compile_plugin, 2), clock=lambda: 1)
    assert list(stream) == [] and stream.ended


@pytest.mark.clause("NATIVE-BAD-INPUT", "NEXT-BATCH-DEFERRED-RC")
def test_timeout_with_no_count_written_is_no_event_now(compile_plugin):
    stream = EventStream(silent(compile_plugin, -1), clock=lambda: 1)
    assert stream.next() is None and not stream.ended


@pytest.mark.clause("NATIVE-BAD-INPUT")
def test_progress_with_no_value_written_is_zero(compile_plugin):
    assert silent(compile_plugin, 2).progress() == ("halfway", 0)
