"""V3-SDK-CAPABILITIES, property: the native 3.x fake and its Python twin print the same lines for any
format over their fields (every type, lists, index and key arguments) and any simple filter."""
from __future__ import annotations

import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_plugins.native.build import build_v3_plugin
from reference.errors import PlugrefError
from reference.tools.inspector import Inspection, Inspector

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None and shutil.which("cc") is None, reason="no C compiler")

PLAIN = ["v3demo.n", "v3demo.text", "v3demo.even", "v3demo.elapsed", "v3demo.at", "v3demo.addr", "v3demo.addr6",
         "v3demo.net", "v3demo.digits", "v3demo.words", "v3demo.odd", "evt.num", "evt.plugininfo"]
tokens = st.one_of(st.sampled_from(PLAIN),
                   st.builds(lambda i: f"v3demo.word[{i}]", st.integers(0, 3)),
                   st.builds(lambda k: f"v3demo.tag[{k}]", st.from_regex(r"[a-z][a-z0-9_.]{0,6}", fullmatch=True)))
conditions = st.one_of(
    st.builds(lambda k: f"v3demo.n > {k}", st.integers(0, 6)),
    st.builds(lambda k: f"v3demo.digits = {k}", st.sampled_from([1, 20, 300, 7])),
    st.builds(lambda b: f"v3demo.even = {b}", st.sampled_from(["true", "false"])),
    st.builds(lambda k: f"v3demo.elapsed <= {k}", st.sampled_from([0, 2000, 5000])),
    st.just("v3demo.odd exists"),
)


def lines(spec: str, fmt: str, condition: str | None, as_json: bool) -> list[str] | str:
    try:
        return list(Inspector().run(Inspection(plugins=[spec], input=spec, format=fmt, filter=condition,
                                               json=as_json)))
    except PlugrefError as exc:
        return f"error: {exc.message}"


@pytest.mark.clause("V3-SDK-CAPABILITIES", "V3-OUTPUT-TYPES")
@settings(max_examples=30)
@given(st.lists(tokens, min_size=1, max_size=6), st.booleans(), st.one_of(st.none(), conditions), st.booleans())
def test_c_and_python_print_the_same_lines(chosen, keep_missing, condition, as_json):
    fmt = ("*" if keep_missing else "") + " ".join(f"%{t}" for t in chosen)
    native = str(build_v3_plugin())
    assert lines(native, fmt, condition, as_json) == lines("fake_plugins.v3_demo", fmt, condition, as_json)
