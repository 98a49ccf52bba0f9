"""Loader edges: SRC-ID-RULES (IDs that do not fit plugin_get_id's uint32_t), NEXT-BATCH-DEFERRED-RC (a
return code outside ss_plugin_rc), and OPEN-PARAMS-LIST (the 0.3.0 list_open_params errors, plugin-api.md §3.1 step 11)."""
import pytest

from conformance.harness import try_load
from fake_plugins.defined import DefinedLibrary
from fake_plugins.misbehaving import WELL_BEHAVED_SOURCE, variant
from reference.errors import LoadError, PluginCallError
from reference.host.engine import EventStream
from reference.host.loader import load_plugin


@pytest.mark.clause("SRC-ID-RULES")
@pytest.mark.parametrize("plugin_id", [2**32, 2**32 + 5, 2**64, -1])
def test_an_id_that_is_no_uint32_is_refused_by_the_loader_itself(plugin_id):
    # plugin_get_id returns uint32_t (plugin-api.md §2.2): a Python plugin can say more, the ABI cannot.
    with pytest.raises(LoadError) as caught:
        load_plugin(DefinedLibrary(variant(WELL_BEHAVED_SOURCE, id=plugin_id)))
    assert caught.value.clause == "SRC-ID-RULES"
    assert "32-bit" in str(caught.value)
    plugin, error = try_load(variant(WELL_BEHAVED_SOURCE, id=plugin_id))
    assert plugin is None and error.clause == "SRC-ID-RULES"


@pytest.mark.clause("SRC-ID-RULES")
@pytest.mark.parametrize("plugin_id", [1, 2**31 - 1, 2**32 - 1])
def test_every_uint32_passes_the_loader(plugin_id):
    # The ranges 0 and >= 2^31 are the registry's rules (tested with the set), not the loader's.
    assert load_plugin(DefinedLibrary(variant(WELL_BEHAVED_SOURCE, id=plugin_id))).info.id == plugin_id


class UnknownCodeLibrary(DefinedLibrary):
    def __init__(self, definition, code):
        super().__init__(definition)
        self.code = code

    def next_batch(self, state, instance):
        rc, events = super().next_batch(state, instance)
        return self.code, events


@pytest.mark.clause("NEXT-BATCH-DEFERRED-RC")
@pytest.mark.parametrize("code", [4, 7, -2, 255])
def test_a_return_code_outside_ss_plugin_rc_is_refused(code):
    # ss_plugin_rc is SUCCESS 0, FAILURE 1, TIMEOUT -1, EOF 2, NOT_SUPPORTED 3 (plugin-api.md §2.2).
    plugin = load_plugin(UnknownCodeLibrary(WELL_BEHAVED_SOURCE, code))
    plugin.open("")
    with pytest.raises(PluginCallError, match=f"next_batch returned the unknown code {code}"):
        EventStream(plugin).next()


@pytest.mark.clause("NEXT-BATCH-DEFERRED-RC")
@pytest.mark.parametrize("code, events", [(0, 1), (-1, 1), (2, 1)])
def test_the_codes_of_ss_plugin_rc_pass(code, events):
    plugin = load_plugin(UnknownCodeLibrary(WELL_BEHAVED_SOURCE, code))
    plugin.open("")
    assert EventStream(plugin).next() is not None


@pytest.mark.clause("OPEN-PARAMS-LIST")
@pytest.mark.parametrize("answer, message", [
    ("[{\"value\": ", "list_open_params returned a non-array JSON"),
    ("not json", "list_open_params returned a non-array JSON"),
    ("{\"value\": \"a\"}", "list_open_params returned a non-array JSON"),
    ("[{\"desc\": \"no value\"}]", "list_open_params has entry with no value"),
    ("[{\"value\": 3}]", "list_open_params has entry with no value"),
    ("[\"a\"]", "list_open_params has entry with no value"),
])
def test_list_open_params_errors_are_the_0_3_0_texts(answer, message):
    plugin = load_plugin(DefinedLibrary(variant(WELL_BEHAVED_SOURCE, open_params_json=answer)))
    with pytest.raises(PluginCallError) as caught:
        plugin.list_open_params()
    assert str(caught.value) == f"error in plugin ticker: {message}"


@pytest.mark.clause("OPEN-PARAMS-LIST")
@pytest.mark.parametrize("answer, entries", [
    ("", []), ("[]", []), ("[{\"value\": \"a\", \"desc\": \"d\"}]", [{"value": "a", "desc": "d"}]),
])
def test_list_open_params_answers(answer, entries):
    plugin = load_plugin(DefinedLibrary(variant(WELL_BEHAVED_SOURCE, open_params_json=answer)))
    assert plugin.list_open_params() == entries
