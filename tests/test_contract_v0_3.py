"""The 0.3.0 contract module (reference/contract/v0_3.py): the header's values and what an extract request
answers. Values are plugin_info.h's (plugin-api.md §2.1, §2.2), written out here.
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.contract import v0_3
from reference.contract.v0_3 import ExtractRequest


@pytest.mark.clause("PLUGIN-TYPE", "EXTRACT-REQUEST", "TS-NOW")
def test_constants_of_the_header():
    assert v0_3.FRAMEWORK_API_VERSION == "0.3.0"
    assert v0_3.TS_NOW == 2**64 - 1
    assert (int(v0_3.PluginType.SOURCE), int(v0_3.PluginType.EXTRACTOR)) == (1, 2)
    assert [int(v0_3.ReturnCode[n]) for n in ("SUCCESS", "FAILURE", "TIMEOUT", "EOF", "NOT_SUPPORTED")] == \
        [0, 1, -1, 2, 3]
    assert {name: int(code) for name, code in v0_3.FIELD_TYPE_NAMES.items()} == {"uint64": 8, "string": 9}
    assert (int(v0_3.SchemaType.NONE), int(v0_3.SchemaType.JSON)) == (0, 1)
    assert len(v0_3.ALL_SYMBOLS) == 21 and len(set(v0_3.ALL_SYMBOLS)) == 21


@pytest.mark.clause("EXTRACT-FAILURE-NO-VALUE")
@given(st.sampled_from([8, 9]), st.booleans(), st.one_of(st.none(), st.text(max_size=5)),
       st.one_of(st.none(), st.integers(0, 2**64 - 1)))
def test_a_request_answers_the_value_of_its_type_only_when_present(ftype, present, res_str, res_u64):
    request = ExtractRequest(0, "p.f", "", v0_3.FieldType(ftype), present, res_str, res_u64)
    expected = None if not present else (res_u64 if ftype == 8 else res_str)
    assert request.value == expected


@pytest.mark.clause("EXTRACT-FAILURE-NO-VALUE")
def test_a_request_the_plugin_did_not_answer_has_no_value():
    assert ExtractRequest(3, "p.n", "x", v0_3.FieldType.UINT64).value is None
    assert ExtractRequest(3, "p.s", "", v0_3.FieldType.STRING, True, "", 7).value == ""
    assert ExtractRequest(3, "p.n", "", v0_3.FieldType.UINT64, True, "seven", 0).value == 0
