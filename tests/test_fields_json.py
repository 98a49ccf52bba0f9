"""get_fields JSON as each contract reads it: what every key of an entry becomes, and the refusals.

FIELDS-JSON (0.3.0, reference/contract/fields.py) and V3-FIELDS-JSON (3.x, reference/contract/fields_v3.py);
keys and messages are plugin-api.md §2.2 and §3.3, and the type codes `ss_plugin_field_type`'s (§1).
conformance/properties/test_plugin_checks.py judges whole arrays; this file pins each key's value.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.contract.fields import FieldsError, parse_fields_json
from reference.contract.fields_v3 import FieldInfoV3, parse_fields_json_v3

_words = st.text("abcxyz. ", min_size=1, max_size=8)
_absent = object()


def _optional(value_strategy):
    """A key's value, absent, or JSON null (both of which mean the default)."""
    return st.one_of(st.just(_absent), st.none(), value_strategy)


@st.composite
def entries_0_3(draw):
    entry = {"type": draw(st.sampled_from(["uint64", "string"])), "name": f"p.{draw(st.sampled_from('abc'))}",
             "desc": draw(_words)}
    for key, values in (("display", _words), ("argRequired", st.booleans()),
                        ("properties", st.lists(st.sampled_from(["hidden", "info", "conversation", "other"]),
                                                max_size=3))):
        value = draw(_optional(values))
        if value is not _absent:
            entry[key] = value
    return entry


@pytest.mark.clause("FIELDS-JSON")
@given(st.lists(entries_0_3(), max_size=4))
def test_every_key_of_a_0_3_0_entry_is_kept_and_absent_or_null_ones_take_their_default(entries):
    fields = parse_fields_json(json.dumps(entries))
    assert [(f.field_id, f.name, int(f.type), f.desc, f.display, f.arg_required, f.properties, f.hidden)
            for f in fields] == \
        [(i, e["name"], {"uint64": 8, "string": 9}[e["type"]], e["desc"], e.get("display") or "",
          bool(e.get("argRequired")), tuple(e.get("properties") or ()), "hidden" in (e.get("properties") or ()))
         for i, e in enumerate(entries)]


@pytest.mark.clause("FIELDS-JSON")
@pytest.mark.parametrize("entry, message", [
    ({"type": "", "name": "p.f", "desc": "d"}, "field JSON entry has no type"),
    ({"type": "uint64", "name": "", "desc": "d"}, "field JSON entry has no name"),
    ({"type": "uint64", "name": "p.f", "desc": ""}, "field JSON entry has no desc"),
    ({"type": "uint64", "name": "p.f"}, "field JSON entry has no desc"),
    ({"type": "uint64", "name": 7, "desc": "d"}, "field JSON entry name is not a string"),
    ({"type": "uint64", "name": "p.f", "desc": "d", "display": 3}, "field p.f display property is not string "),
    ({"type": "uint64", "name": "p.f", "desc": "d", "display": True}, "field p.f display property is not string "),
    ({"type": "int64", "name": "p.f", "desc": "d"}, "invalid field type int64"),
    ({"type": "bool", "name": "p.f", "desc": "d"}, "invalid field type bool"),  # a 3.x type
])
def test_a_0_3_0_entry_is_refused_with_the_loader_message(entry, message):
    with pytest.raises(FieldsError) as error:
        parse_fields_json(json.dumps([{"type": "string", "name": "p.ok", "desc": "fine"}, entry]))
    assert str(error.value) == message


V3_TYPE_CODES = {"uint64": 8, "string": 9, "reltime": 20, "abstime": 21, "bool": 25, "ipaddr": 40, "ipnet": 41}


@st.composite
def entries_3x(draw):
    entry = {"type": draw(st.sampled_from(sorted(V3_TYPE_CODES))), "name": f"p.{draw(st.sampled_from('abc'))}",
             "desc": draw(_words)}
    optional = {"display": _words, "isList": st.booleans(), "addOutput": st.booleans(),
                "argRequired": st.booleans(),  # 0.3.0's key, which 3.x ignores
                "properties": st.lists(st.sampled_from(["hidden", "info", "other"]), max_size=3)}
    for key, values in optional.items():
        if draw(st.booleans()):
            entry[key] = draw(values)
    if draw(st.booleans()):
        arg = {key: draw(st.booleans()) for key in ("isIndex", "isKey") if draw(st.booleans())}
        if (arg.get("isIndex") or arg.get("isKey")) and draw(st.booleans()):
            arg["isRequired"] = draw(st.booleans())
        entry["arg"] = arg
    return entry


@pytest.mark.clause("V3-FIELDS-JSON")
@given(st.lists(entries_3x(), min_size=1, max_size=4))
def test_every_key_of_a_3x_entry_is_kept_and_absent_ones_take_their_default(entries):
    fields = parse_fields_json_v3(json.dumps(entries))
    got = [(f.field_id, f.name, int(f.type), f.desc, f.display, f.properties, f.hidden, f.is_list, f.add_output,
            f.arg_required, f.is_index, f.is_key, f.arg_allowed) for f in fields]
    expected = []
    for i, e in enumerate(entries):
        arg = e.get("arg", {})
        index, key = arg.get("isIndex", False), arg.get("isKey", False)
        expected.append((i, e["name"], V3_TYPE_CODES[e["type"]], e["desc"], e.get("display", ""),
                         tuple(e.get("properties", ())), "hidden" in e.get("properties", ()), e.get("isList", False),
                         e.get("addOutput", False), arg.get("isRequired", False), index, key, index or key))
    assert got == expected


@pytest.mark.clause("V3-FIELDS-JSON")
@pytest.mark.parametrize("entry, message", [
    ({"type": "uint64", "name": "", "desc": "d"}, "field JSON entry has no name"),
    ({"type": "uint64", "name": "p.f", "desc": "d", "display": 3}, "field p.f display property is not string "),
    ({"type": "uint64", "name": "p.f", "desc": "d", "isList": "yes"}, "field p.f isList property is not boolean "),
    ({"type": "uint64", "name": "p.f", "desc": "d", "arg": []}, "field p.f arg property is not an object"),
    ({"type": "uint64", "name": "p.f", "desc": "d", "arg": {"isRequired": 1}},
     "field p.f isRequired property is not boolean"),
    ({"type": "uint64", "name": "p.f", "desc": "d", "arg": {"isKey": "no"}}, "field p.f isKey property is not boolean"),
    ({"type": "uint64", "name": "p.f", "desc": "d", "arg": {"isRequired": True, "isIndex": False}},
     "field p.f arg has isRequired true, but none of isKey nor isIndex is true"),
    ({"type": "uint64", "name": "p.f", "desc": "d", "properties": ["info", 2]},
     "field p.f properties value is not string "),
    ({"type": "uint64", "name": "p.f", "desc": "d", "properties": "info"},
     "field p.f properties property is not array "),
    ({"type": "float", "name": "p.f", "desc": "d"}, "invalid field type float"),
])
def test_a_3x_entry_is_refused_with_the_loader_message(entry, message):
    with pytest.raises(FieldsError) as error:
        parse_fields_json_v3(json.dumps([{"type": "ipnet", "name": "p.ok", "desc": "fine"}, entry]))
    assert str(error.value) == message


@pytest.mark.clause("V3-FIELD-ARGS")
def test_a_3x_field_says_what_is_wrong_with_an_argument_and_reads_its_own():
    key = FieldInfoV3(0, "p.f", 9, "d", is_key=True, arg_required=True)
    assert key.argument_error("k") is None
    # "" and None are both "no brackets", which a required argument refuses
    assert key.argument_error("") == key.argument_error(None) == \
        "filter 'p.f': p.f requires an argument but none provided"
    plain = FieldInfoV3(0, "p.f", 9, "d")
    assert plain.argument_error(None) is None
    assert plain.argument_error("1") == "filter 'p.f[1]': p.f does not allow nor require an argument but one is provided: 1"
    assert key.read_argument("p.f[k] rest") == ("k", 6)
    assert key.read_argument("p.f rest") == (None, 3)


@pytest.mark.clause("V3-FIELD-ARGS")
def test_the_argument_is_read_after_the_name_with_libs_trim():
    from reference.contract.fields_v3 import FieldArgumentError, split_argument

    key = FieldInfoV3(0, "p.f", 9, "d", is_key=True)
    # libsinsp's trim takes " \t\n\r\f\v" off the word, no other blank
    with pytest.raises(FieldArgumentError, match="p.f terminates with incomplete argument brackets$"):
        split_argument(key, "p.f[\t\v")
    for other_blank in ("\xa0", "\x85", "\u2003", "\x1c"):
        with pytest.raises(FieldArgumentError, match="p.f has unbalanced argument brackets$"):
            split_argument(key, f"p.f[{other_blank}")
    assert split_argument(key, "p.f[k]\xa0") == ("k", 6)
    # the closing bracket is the first one after the opening one, even when the name itself has one
    odd = FieldInfoV3(0, "p]f", 9, "d", is_key=True)
    assert split_argument(odd, "p]f[k]") == ("k", 6)
    assert split_argument(odd, "p]f[]x]") == ("", 5)
    assert split_argument(FieldInfoV3(0, "p.f]", 9, "d", is_key=True), "p.f][k]") == ("k", 7)
    with pytest.raises(FieldArgumentError, match=r"p\]f has unbalanced argument brackets$"):
        split_argument(odd, "p]f[k")
