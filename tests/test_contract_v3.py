"""The 3.x contract module (reference/contract/v3.py, fields_v3.py): layouts, events, fields JSON, arguments.

Sizes, offsets, codes and messages are the header and loader facts of plugin-api.md §1, §3.3,
§4.1 and §4.4, written out here.
"""
from __future__ import annotations

import ctypes
import json
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.contract import v3
from reference.contract.fields import FieldsError
from reference.contract.fields_v3 import (FieldArgumentError, FieldInfoV3, parse_argument, parse_fields_json_v3,
                                          split_argument)


@pytest.mark.clause("V3-STRUCT-LAYOUT")
def test_struct_sizes_and_offsets_are_those_of_the_header():
    def offsets(struct_type):
        return {name: getattr(struct_type, name).offset for name, *_ in struct_type._fields_}

    assert ctypes.sizeof(v3.CEvent) == 26
    assert offsets(v3.CEvent) == {"ts": 0, "tid": 8, "len": 16, "type": 20, "nparams": 22}
    assert ctypes.sizeof(v3.CEventInput) == 24
    assert offsets(v3.CEventInput) == {"evt": 0, "evtnum": 8, "evtsrc": 16}
    assert ctypes.sizeof(v3.CByteBuffer) == 16
    assert offsets(v3.CByteBuffer) == {"len": 0, "ptr": 8}
    assert ctypes.sizeof(v3.CExtractField) == 64
    assert offsets(v3.CExtractField) == {"res": 0, "res_len": 8, "field_id": 16, "field": 24, "arg_key": 32,
                                         "arg_index": 40, "arg_present": 48, "ftype": 52, "flist": 56}
    assert v3.CExtractField.arg_present.size == 4 and v3.CExtractField.flist.size == 4  # ss_plugin_bool is u32
    assert ctypes.sizeof(v3.CInitInput) == 40
    assert offsets(v3.CInitInput) == {"config": 0, "owner": 8, "get_owner_last_error": 16, "tables": 24,
                                      "log_fn": 32}
    assert ctypes.sizeof(v3.CFieldExtractInput) == 80
    assert offsets(v3.CFieldExtractInput) == {"owner": 0, "get_owner_last_error": 8, "num_fields": 16,
                                              "fields": 24, "table_reader": 32, "table_reader_ext": 64,
                                              "value_offsets": 72}
    assert ctypes.sizeof(v3.CSetConfigInput) == 8


@pytest.mark.clause("V3-STRUCT-LAYOUT")
def test_constants_of_the_header():
    assert v3.FRAMEWORK_API_VERSION == "3.12.0"
    assert v3.PLUGIN_MAX_ERRLEN == 1024
    assert v3.PLUGIN_EVENT_PAYLOAD_OFFSET == 38
    assert (v3.PPME_PLUGINEVENT_E, v3.PPME_ASYNCEVENT_E) == (322, 402)
    assert [int(c) for c in (v3.Capability.NONE, v3.Capability.SOURCING, v3.Capability.EXTRACTION,
                             v3.Capability.PARSING, v3.Capability.ASYNC, v3.Capability.CAPTURE_LISTENING,
                             v3.Capability.BROKEN)] == [0, 1, 2, 4, 8, 16, 2**31]
    assert [int(v3.AnyFieldType[n]) for n in ("UINT64", "STRING", "RELTIME", "ABSTIME", "BOOL", "IPADDR", "IPNET")] \
        == [8, 9, 20, 21, 25, 40, 41]
    assert len(v3.ALL_SYMBOLS) == 33 and len(set(v3.ALL_SYMBOLS)) == 33


@pytest.mark.clause("V3-EVENT-FORMAT")
@given(st.integers(0, 2**32 - 1), st.binary(max_size=300), st.integers(0, 2**64 - 1))
def test_a_plugin_event_is_the_26_byte_header_then_its_two_parameters(plugin_id, payload, ts):
    raw = v3.encode_plugin_event(plugin_id, payload, ts)
    assert len(raw) == 38 + len(payload)
    assert struct.unpack_from("<QQIHI", raw) == (ts, 2**64 - 1, 38 + len(payload), 322, 2)
    assert struct.unpack_from("<III", raw, 26) == (4, len(payload), plugin_id)
    assert raw[38:] == payload
    event = v3.ScapEvent.decode(raw)
    assert (event.ts, event.type, event.plugin_id, event.payload, event.is_plugin_event) == \
        (ts, 322, plugin_id, payload, True)


@pytest.mark.clause("V3-EVENT-FORMAT")
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), st.integers(0, 2**16 - 1),
       st.lists(st.binary(max_size=6), max_size=3))
def test_an_event_decodes_to_its_header_fields_and_parameters(ts, tid, event_type, params):
    # the 26-byte header (ts u64, tid u64, len u32, type u16, nparams u32), the u32 lengths, the parameters
    length = 26 + 4 * len(params) + sum(map(len, params))
    raw = struct.pack("<QQIHI", ts, tid, length, event_type, len(params)) + \
        b"".join(struct.pack("<I", len(p)) for p in params) + b"".join(params)
    assert v3.ScapEvent.decode(raw) == v3.ScapEvent(ts, tid, event_type, tuple(params))


@pytest.mark.clause("V3-EVENT-FORMAT")
def test_an_event_of_the_header_alone_is_well_formed():
    raw = struct.pack("<QQIHI", 7, 9, 26, 1, 0)
    assert v3.ScapEvent.decode(raw) == v3.ScapEvent(7, 9, 1, ())


@pytest.mark.clause("V3-EVENT-FORMAT")
def test_malformed_event_bytes_are_refused_with_the_part_that_is_wrong():
    good = v3.encode_plugin_event(5, b"abc", 1)
    with pytest.raises(v3.EventFormatError, match="less than the 26-byte event header"):
        v3.ScapEvent.decode(good[:20])
    with pytest.raises(v3.EventFormatError, match="header len 41 but the event has 40 bytes"):
        v3.ScapEvent.decode(good[:40])
    lying_nparams = good[:22] + struct.pack("<I", 9) + good[26:]
    with pytest.raises(v3.EventFormatError, match="nparams 9 does not fit in event len 41"):
        v3.ScapEvent.decode(lying_nparams)
    lying_param = good[:30] + struct.pack("<I", 99) + good[34:]
    with pytest.raises(v3.EventFormatError, match="param 1 len 99 exceeds event len 41"):
        v3.ScapEvent.decode(lying_param)


def _fields(*entries) -> str:
    return json.dumps(list(entries))


@pytest.mark.clause("V3-FIELDS-JSON")
def test_fields_json_of_3x_accepts_every_type_and_the_new_keys():
    text = _fields(*({"type": t, "name": f"p.{t}", "desc": "d"} for t in
                     ("uint64", "string", "reltime", "abstime", "bool", "ipaddr", "ipnet")),
                   {"type": "string", "name": "p.l", "desc": "d", "isList": True, "addOutput": True,
                    "arg": {"isKey": True, "isRequired": True}, "properties": ["hidden"]})
    fields = parse_fields_json_v3(text)
    assert [int(f.type) for f in fields] == [8, 9, 20, 21, 25, 40, 41, 9]
    last = fields[-1]
    assert (last.is_list, last.add_output, last.is_key, last.is_index, last.arg_required, last.hidden) == \
        (True, True, True, False, True, True)


@pytest.mark.clause("V3-FIELDS-JSON")
@pytest.mark.parametrize("entries, message", [
    ([], "plugins with extraction capability must export at least one field"),
    ([{"type": "float", "name": "p.f", "desc": "d"}], "invalid field type float"),
    ([{"type": "bool", "name": "p.f", "desc": "d", "isList": 1}],
     "field p.f isList property is not boolean "),
    ([{"type": "bool", "name": "p.f", "desc": "d", "addOutput": "yes"}],
     "field p.f addOutput property is not boolean "),
    ([{"type": "bool", "name": "p.f", "desc": "d", "arg": {"isIndex": "y"}}],
     "field p.f isIndex property is not boolean"),
    ([{"type": "bool", "name": "p.f", "desc": "d", "arg": {"isRequired": True}}],
     "field p.f arg has isRequired true, but none of isKey nor isIndex is true"),
    ([{"type": "bool", "name": "p.f", "desc": "d", "properties": "info"}],
     "field p.f properties property is not array "),
    ([{"type": "uint64", "name": "p.f"}], "field JSON entry has no desc"),
])
def test_fields_json_of_3x_refuses_with_the_loader_messages(entries, message):
    with pytest.raises(FieldsError) as error:
        parse_fields_json_v3(json.dumps(entries))
    assert str(error.value) == message


@pytest.mark.clause("V3-FIELDS-JSON")
def test_a_null_optional_key_of_3x_is_an_absent_one():
    # libs HEAD reads display with asString (null gives "") and the other optional keys with a
    # null default, checking their type only when not null; plugin-sdk-go wrote "properties":null.
    (f,) = parse_fields_json_v3(_fields({"type": "string", "name": "p.f", "desc": "d", "display": None,
                                         "isList": None, "addOutput": None, "properties": None,
                                         "arg": {"isRequired": None, "isIndex": None, "isKey": None}}))
    assert (f.display, f.is_list, f.add_output, f.properties, f.arg_required, f.is_index, f.is_key) == \
        ("", False, False, (), False, False, False)
    (g,) = parse_fields_json_v3(_fields({"type": "uint64", "name": "p.g", "desc": "d", "arg": None}))
    assert not g.arg_allowed and not g.arg_required


@pytest.mark.clause("V3-FIELDS-JSON")
def test_arg_required_of_0_3_0_is_ignored_by_3x():
    (f,) = parse_fields_json_v3(_fields({"type": "string", "name": "p.f", "desc": "d", "argRequired": True}))
    assert not f.arg_required and not f.arg_allowed


def _info(**flags) -> FieldInfoV3:
    return FieldInfoV3(0, "p.f", v3.AnyFieldType.STRING, "d", **flags)


@pytest.mark.clause("V3-FIELD-ARGS")
@given(st.integers(0, 2**64 - 1))
def test_an_index_argument_in_canonical_digits_is_passed_as_arg_index(index):
    assert parse_argument(_info(is_index=True), str(index)) == (None, index, True)


@pytest.mark.clause("V3-FIELD-ARGS")
def test_index_and_key_argument_rules_and_messages():
    index = _info(is_index=True)
    with pytest.raises(FieldArgumentError,
                       match=r"^filter p.f\[01\] p.f has an invalid index argument starting with 0: 01$"):
        parse_argument(index, "01")
    with pytest.raises(FieldArgumentError, match="not composed only by digits: 1a"):
        parse_argument(index, "1a")
    with pytest.raises(FieldArgumentError, match="not representable on 64 bit: 18446744073709551616"):
        parse_argument(index, str(2**64))
    assert parse_argument(index, None) == (None, 0, False)
    # a key: the text as is, whatever it looks like
    assert parse_argument(_info(is_key=True), "01") == ("01", 0, True)
    # both: the key always, the index when numeric; no index errors
    assert parse_argument(_info(is_key=True, is_index=True), "12") == ("12", 12, True)
    assert parse_argument(_info(is_key=True, is_index=True), "x") == ("x", 0, True)
    with pytest.raises(FieldArgumentError, match=r"^filter 'p.f\[x\]': p.f does not allow nor require an argument "
                                                 r"but one is provided: x$"):
        parse_argument(_info(), "x")
    with pytest.raises(FieldArgumentError, match=r"^filter 'p.f': p.f requires an argument but none provided$"):
        parse_argument(_info(is_key=True, arg_required=True), None)


@pytest.mark.clause("V3-FIELD-ARGS")
def test_bracket_errors_are_those_of_libs_head():
    key = _info(is_key=True)
    with pytest.raises(FieldArgumentError, match=r"^filter 'p.f\[': p.f terminates with incomplete argument brackets$"):
        split_argument(key, "p.f[")
    with pytest.raises(FieldArgumentError, match=r"^filter 'p.f\[ab': p.f has unbalanced argument brackets$"):
        split_argument(key, "p.f[ab")
    # only the text before the first space is read: the rest of a format is quoted whole
    with pytest.raises(FieldArgumentError, match=r"^filter 'p.f\[a b\] tail': p.f has unbalanced argument brackets$"):
        split_argument(key, "p.f[a b] tail")
    with pytest.raises(FieldArgumentError, match=r"^filter 'p.f\[ x\]': p.f terminates with incomplete argument "
                                                 r"brackets$"):
        split_argument(key, "p.f[ x]")
    assert split_argument(key, "p.f[ab]cd") == ("ab", 7)
    assert split_argument(key, "p.f[a]b]") == ("a", 6)
    assert split_argument(key, "p.f tail[1]") == (None, 3)
    # a filter's argument is read back from `name[arg]`: a blank in it is the same error, a `]` cuts it
    with pytest.raises(FieldArgumentError, match=r"^filter 'p.f\[a b\]': p.f has unbalanced argument brackets$"):
        parse_argument(key, "a b")
    assert parse_argument(key, "a]b") == ("a", 0, True)


@pytest.mark.clause("V3-FIELD-ARGS")
@given(st.text(alphabet="ab0 []\t", max_size=12))
def test_an_argument_is_what_lies_between_the_first_bracket_and_the_next_before_any_space(rest):
    text = "p.f" + rest
    word = text.split(" ", 1)[0].strip()
    try:
        arg, taken = split_argument(_info(is_key=True), text)
    except FieldArgumentError as exc:
        assert word.startswith("p.f[") and "]" not in word[4:]
        assert str(exc).endswith("terminates with incomplete argument brackets" if word == "p.f["
                                 else "has unbalanced argument brackets")
        return
    if word.startswith("p.f["):
        assert text[:taken] == f"p.f[{arg}]" and "]" not in arg and " " not in arg
    else:
        assert (arg, taken) == (None, 3)


@pytest.mark.clause("V3-EVENT-FORMAT")
@given(st.binary(max_size=120))
def test_any_bytes_decode_or_are_refused_by_name(raw):
    try:
        event = v3.ScapEvent.decode(raw)
    except v3.EventFormatError as exc:
        assert str(exc)
    else:
        assert struct.unpack_from("<I", raw, 16)[0] == len(raw) >= 26
        assert 26 + 4 * len(event.params) + sum(map(len, event.params)) <= len(raw)


_FLAG_VALUES = st.one_of(st.booleans(), st.sampled_from([0, 1, "true", None]))
_TYPES = st.sampled_from(["uint64", "string", "reltime", "abstime", "bool", "ipaddr", "ipnet", "float", "int64", ""])


@st.composite
def field_entries(draw):
    entry = {"type": draw(_TYPES), "name": "p.f", "desc": "d"}
    for key in ("isList", "addOutput"):
        if draw(st.booleans()):
            entry[key] = draw(_FLAG_VALUES)
    if draw(st.booleans()):
        entry["arg"] = draw(st.none()) if draw(st.booleans()) else \
            {k: draw(_FLAG_VALUES) for k in ("isRequired", "isIndex", "isKey") if draw(st.booleans())}
    for key, value in (("display", "D"), ("properties", ["info"])):
        if draw(st.booleans()):
            entry[key] = draw(st.sampled_from([None, value]))
    return entry


def _given(container: dict, key: str, default):
    value = container.get(key)
    return default if value is None else value  # null is absent


def accepted_by_the_rules(entry) -> bool:
    """V3-FIELDS-JSON said another way: a known 3.x type, every flag a bool, isRequired only with an
    arg kind; a key whose value is null counts as absent."""
    flags = [_given(entry, k, False) for k in ("isList", "addOutput")]
    arg = _given(entry, "arg", {})
    arg_flags = [_given(arg, k, False) for k in ("isRequired", "isIndex", "isKey")]
    if entry["type"] not in ("uint64", "string", "reltime", "abstime", "bool", "ipaddr", "ipnet"):
        return False
    if not all(type(f) is bool for f in flags + arg_flags):
        return False
    return not arg_flags[0] or arg_flags[1] or arg_flags[2]


@pytest.mark.clause("V3-FIELDS-JSON")
@given(field_entries())
def test_an_entry_is_accepted_exactly_when_the_rules_say(entry):
    try:
        parse_fields_json_v3(json.dumps([entry]))
        accepted = True
    except FieldsError:
        accepted = False
    assert accepted == accepted_by_the_rules(entry)
