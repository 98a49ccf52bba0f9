"""The inspection session in-process (reference/tools/inspector.py): what sysdig 0.29's -H/-I/-r/-w/-n/-j/-l/-Il
do, checked line by line, with the values written here (sysdig 0.29's layout, observed; docs/spec.md)."""
import json

import pytest
import yaml

from conformance.filter_strategies import SOURCE_DEFINITION
from fake_plugins.misbehaving import variant
from reference.errors import PlugrefError
from reference.host.capture import CaptureWriter, read_capture
from reference.host.engine import PluginEvent
from reference.tools.inspector import Inspection, Inspector

TS = 1_650_000_000_000_000_000
XSRC_ID = 2**30 + 42


def xsrc_file(tmp_path, **changes):
    definition = variant(SOURCE_DEFINITION, events=[
        {"ts": TS + k, "values": {"x.i": k * 100, "x.word": word}}
        for k, word in enumerate(["nginx", "sshd", "bash", "nginx"], start=1)], **changes)
    path = tmp_path / f"{definition['name']}-{definition['version']}.yaml"
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    return str(path)


def session(**settings) -> tuple[list[str], list[str]]:
    """(the printed lines, the notes) of one run."""
    inspector, notes = Inspector(), []
    try:
        return list(inspector.run(Inspection(**settings), notes)), notes
    finally:
        inspector.registry.shutdown()


@pytest.mark.clause("OUTPUT-FORMAT")
def test_n_counts_the_events_that_pass_the_filter(tmp_path):
    # sysdig's -n: stop after N events that pass the filter (not N events read).
    src = xsrc_file(tmp_path)
    run = dict(plugins=[src], input="xsrc", format="%evt.num %x.word")
    assert session(**run, filter="x.word = nginx", max_events=1)[0] == ["1 nginx"]
    assert session(**run, filter="x.i >= 200", max_events=2)[0] == ["2 sshd", "3 bash"]
    assert session(**run, max_events=0)[0] == []
    assert session(**run, max_events=4)[0] == ["1 nginx", "2 sshd", "3 bash", "4 nginx"]
    assert session(**run)[0] == ["1 nginx", "2 sshd", "3 bash", "4 nginx"]


@pytest.mark.clause("OUTPUT-JSON")
def test_json_lines_are_compact_sorted_and_keep_non_ascii_text(tmp_path):
    definition = variant(SOURCE_DEFINITION, events=[{"ts": TS, "values": {"x.i": 5, "x.word": "café"}}])
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    lines, _ = session(plugins=[str(path)], input="xsrc", json=True, format="%x.word %x.i")
    assert lines == ['{"x.i":5,"x.word":"café"}']
    # Without * an event with a missing value prints no line in JSON either.
    assert session(plugins=[str(path)], input="xsrc", json=True, format="%x.path %x.i")[0] == []


def test_the_input_is_a_loaded_plugin_by_name_or_path_or_loaded_from_its_path(tmp_path):
    src = xsrc_file(tmp_path)
    expected = ["1 100", "2 200", "3 300", "4 400"]
    assert session(plugins=[src], input="xsrc", format="%evt.num %x.i")[0] == expected
    assert session(plugins=[src], input=src, format="%evt.num %x.i")[0] == expected
    # -I PATH alone loads the plugin (sysdig loads a path given to -I as -H would).
    assert session(input=src, format="%evt.num %x.i")[0] == expected


def test_the_config_and_the_open_params_are_everything_after_the_first_colon():
    # counter: open params are the start value; init config `{"max_events": 2}` holds a colon itself.
    lines, _ = session(plugins=['fake_plugins.counter:{"max_events": 2}'], input="counter:7", format="%counter.n")
    assert lines == ["7", "8"]
    with pytest.raises(PlugrefError, match="open params must be a decimal start value, not '7:8'"):
        session(plugins=['fake_plugins.counter:{"max_events": 2}'], input="counter:7:8")


def test_a_plugin_that_is_not_a_source_cannot_be_the_input():
    with pytest.raises(PlugrefError) as raised:
        session(plugins=["fake_plugins.json_extractor"], input="json")
    assert str(raised.value) == "plugin json is not a source plugin and cannot be used as input."


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
def test_w_writes_the_passing_events_and_r_reads_them_back(tmp_path):
    src = xsrc_file(tmp_path)
    capture = tmp_path / "out.scap"
    assert session(plugins=[src], input="xsrc", write=str(capture), filter="x.word = nginx")[0] == []
    reader = read_capture(str(capture))
    assert reader.plugins == {XSRC_ID: ("xsrc", "1.0.0")}  # the version record (CAPTURE-PLUGIN-VERSION)
    assert [(e.ts, e.plugin_id, e.data) for e in reader] == [
        (TS + 1, XSRC_ID, b"x.i=100;x.word=nginx"), (TS + 4, XSRC_ID, b"x.i=400;x.word=nginx")]
    lines, notes = session(plugins=[src], read=str(capture), format="%evt.num %x.i %evt.pluginname")
    assert lines == ["1 100 xsrc", "2 400 xsrc"] and notes == []
    # -n applies to what is written too; a name ending in .gz is written compressed.
    zipped = tmp_path / "out.scap.gz"
    session(plugins=[src], input="xsrc", write=str(zipped), max_events=3, filter="x.i > 100")
    assert zipped.read_bytes()[:2] == b"\x1f\x8b"
    assert session(plugins=[src], read=str(zipped), format="%x.i")[0] == ["200", "300", "400"]


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
def test_r_and_w_of_one_file_is_refused_before_it_is_touched(tmp_path):
    src = xsrc_file(tmp_path)
    capture = tmp_path / "c.scap"
    session(plugins=[src], input="xsrc", write=str(capture))
    before = capture.read_bytes()
    with pytest.raises(PlugrefError, match=r"-r and -w name the same file \(.*c.scap\): writing would destroy") as raised:
        session(plugins=[src], read=str(capture), write=str(tmp_path / "." / "c.scap"))
    assert raised.value.clause == "INSPECT-OUTPUT-SAFE"
    assert capture.read_bytes() == before


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
def test_a_bad_filter_or_format_with_w_leaves_no_output(tmp_path):
    src = xsrc_file(tmp_path)
    out = tmp_path / "never.scap"
    for bad in (dict(filter="x.i = abc"), dict(format="%nope.x")):
        with pytest.raises(PlugrefError):
            session(plugins=[src], input="xsrc", write=str(out), **bad)
        assert not out.exists() and list(tmp_path.glob("never.scap*")) == []


@pytest.mark.clause("CAPTURE-PLUGIN-VERSION")
def test_a_capture_without_a_version_record_is_read_with_a_note(tmp_path):
    src = xsrc_file(tmp_path)
    capture = tmp_path / "plain.scap"
    with CaptureWriter(capture) as writer:  # no plugins given: no record, as sysdig writes
        writer.write(PluginEvent(1, TS, XSRC_ID, "x", b"x.i=5"))
    lines, notes = session(plugins=[src], read=str(capture), format="%x.i")
    assert lines == ["5"]
    assert notes == [f"capture {capture} has no plugin version record: plugin versions not checked"]


@pytest.mark.clause("CAPTURE-PLUGIN-VERSION")
def test_another_major_version_is_refused_and_the_same_major_is_read(tmp_path):
    capture = tmp_path / "v.scap"
    with CaptureWriter(capture, plugins={XSRC_ID: ("xsrc", "2.0.0")}) as writer:
        writer.write(PluginEvent(1, TS, XSRC_ID, "x", b"x.i=5"))
    with pytest.raises(PlugrefError) as raised:
        session(plugins=[xsrc_file(tmp_path)], read=str(capture))
    assert raised.value.clause == "CAPTURE-PLUGIN-VERSION"
    assert str(raised.value).startswith("plugin xsrc (id 1073741866): the capture was written by version 2.0.0 "
                                        "and the loaded plugin is version 1.0.0")
    assert session(plugins=[xsrc_file(tmp_path, version="2.7.1")], read=str(capture), format="%x.i")[0] == ["5"]


@pytest.mark.clause("CAPTURE-UNKNOWN-PLUGIN", "EVT-FIELDS")
def test_capture_events_are_numbered_from_1_and_attributed_by_plugin_id(tmp_path):
    # Two source plugins; events of an unloaded ID keep evt.num and times, no plugin fields.
    src = xsrc_file(tmp_path)
    other = xsrc_file(tmp_path, name="ysrc", id=XSRC_ID + 1, event_source="y")
    capture = tmp_path / "mixed.scap"
    with CaptureWriter(capture) as writer:
        writer.write(PluginEvent(1, TS + 10, XSRC_ID, "x", b"x.i=1"))
        writer.write(PluginEvent(2, TS + 20, XSRC_ID + 1, "y", b"x.i=2"))
        writer.write(PluginEvent(3, TS + 30, 777, "", b"x.i=3"))
        writer.write(PluginEvent(4, TS + 40, XSRC_ID + 1, "y", b"x.i=4"))
        writer.write(PluginEvent(5, TS + 50, XSRC_ID, "x", b"x.i=5"))
    lines, _ = session(plugins=[src, other], read=str(capture),
                       format="*%evt.num %evt.reltime %evt.pluginname %evt.source %x.i")
    assert lines == ["1 000000000 xsrc x 1", "2 000000010 ysrc y 2", "3 000000020 <NA> <NA> <NA>",
                     "4 000000030 ysrc y 4", "5 000000040 xsrc x 5"]


@pytest.mark.clause("FILTER-COMPILE")
def test_explain_compiles_for_the_source_of_i_else_the_first_source_plugin(tmp_path):
    # A field of the second plugin's source only is known when -I names it.
    first = xsrc_file(tmp_path)
    second = variant(SOURCE_DEFINITION, name="ysrc", id=XSRC_ID + 1, event_source="y",
                     fields=[{"type": "uint64", "name": "y.n", "desc": "a number"}])
    second_path = tmp_path / "ysrc.yaml"
    second_path.write_text(yaml.safe_dump(second))
    inspector = Inspector()
    try:
        text = inspector.explain(Inspection(plugins=[first, str(second_path)], input="ysrc", filter="y.n > 3"))
        assert "def condition(context):" in text and "# y.n > 3" in text
    finally:
        inspector.registry.shutdown()
    inspector = Inspector()
    try:
        with pytest.raises(PlugrefError, match="nonexistent field y.n"):
            inspector.explain(Inspection(plugins=[first, str(second_path)], filter="y.n > 3"))
    finally:
        inspector.registry.shutdown()


def listing(method: str, *plugins: str) -> list[str]:
    inspector = Inspector()
    try:
        for text in plugins:
            inspector.load(text)
        return getattr(inspector, method)()
    finally:
        inspector.registry.shutdown()


def test_l_lists_builtins_then_each_plugin_class_as_sysdig_does(tmp_path):
    # sysdig 0.29 -l (observed): a separator line of 31 dashes, `Field Class:` padded to 30 columns,
    # names padded to 30 columns then the description, `[arg]` after a name that needs an argument.
    extractor = variant(SOURCE_DEFINITION, type=2, name="kv", extract_event_sources=["x"], fields=[
        {"type": "string", "name": "kv.key", "desc": "a key", "argRequired": True},
        {"type": "string", "name": "kv.secret", "desc": "hidden", "properties": ["hidden"]},
        {"type": "uint64", "name": "kv.count", "desc": "a count"}])
    extractor_path = tmp_path / "kv.yaml"
    extractor_path.write_text(yaml.safe_dump(extractor))
    lines = listing("field_listing", xsrc_file(tmp_path), str(extractor_path))
    assert lines[:3] == ["Field Class:                  evt (All event types)", "", "evt.num" + " " * 23]
    plugin_part = lines[lines.index("-------------------------------") - 1:]
    assert plugin_part == [
        "", "-------------------------------", "Field Class:                  xsrc (plugin)", "",
        "x.i                           a number", "x.word                        a word",
        "x.path                        a path", "x.tag[arg]                    a tag by key",
        "", "-------------------------------", "Field Class:                  kv (plugin)", "",
        "kv.key[arg]                   a key", "kv.count                      a count"]


@pytest.mark.clause("OPEN-PARAMS-LIST")
def test_list_plugins_shows_each_plugin_as_sysdig_il_does(tmp_path):
    # sysdig 0.29 -Il (observed): each suggested open param on a line of its own, `value: desc`, or the
    # value alone when its desc is empty or absent.
    src = xsrc_file(tmp_path, open_params=[{"value": "one", "desc": "1"}, {"value": "two", "desc": ""}, {"value": "3"}],
                    init_schema={"type": "object"})
    extractor = variant(SOURCE_DEFINITION, type=2, name="kv", description="key values", contact="me",
                        version="0.2.0", extract_event_sources=["x", "y"],
                        fields=[{"type": "string", "name": "kv.key", "desc": "a key"}])
    extractor_path = tmp_path / "kv.yaml"
    extractor_path.write_text(yaml.safe_dump(extractor))
    any_source = variant(extractor, name="anykv", extract_event_sources=[],
                         fields=[{"type": "string", "name": "anykv.key", "desc": "a key"}])
    any_path = tmp_path / "anykv.yaml"
    any_path.write_text(yaml.safe_dump(any_source))
    lines = listing("plugin_listing", src, str(extractor_path), str(any_path))
    assert lines == [
        "3 Plugins Loaded:", "",
        "Name: xsrc", "Description: generated events for filter properties", "Contact: plugref", "Version: 1.0.0",
        f"Init Config Schema: {json.dumps({'type': 'object'})}", "Type: source plugin", "ID: 1073741866",
        "Suggested Open Params:", "one: 1", "two", "3", "",
        "Name: kv", "Description: key values", "Contact: me", "Version: 0.2.0", "Init Config Schema: ",
        "Type: extractor plugin", "",
        "Name: anykv", "Description: key values", "Contact: me", "Version: 0.2.0", "Init Config Schema: ",
        "Type: extractor plugin", "", ""]


@pytest.mark.clause("V3-CAPABILITIES")
def test_what_plugref_does_not_drive_in_a_3x_plugin_is_a_note_and_a_listing_line():
    from fake_plugins.native.build import build_v3_plugin

    spec = str(build_v3_plugin({"PARSING": None}))
    lines, notes = session(plugins=[spec], input=spec, max_events=1, format="%evt.num")
    assert lines == ["1"]
    assert notes == ["plugin v3demo: parsing not yet supported by plugref: the plugin loads, but those functions "
                     "are never called"]
    assert "Capabilities: sourcing, extraction, parsing (not yet supported by plugref: parsing)" in \
        listing("plugin_listing", spec)
    # Without such features: the capabilities alone, and no note.
    plain = str(build_v3_plugin())
    assert session(plugins=[plain], input=plain, max_events=1, format="%evt.num") == (["1"], [])
    assert "Capabilities: sourcing, extraction" in listing("plugin_listing", plain)


@pytest.mark.clause("V3-CAPABILITIES")
def test_every_feature_plugref_does_not_drive_is_listed():
    from fake_plugins.v3_demo import V3Demo
    from reference.sdk_v3 import PythonLibraryV3

    class ParsesAndCounts(V3Demo):
        def parse_event(self, *args):
            return True

        def get_metrics(self, *args):
            return []

    inspector = Inspector()
    try:
        inspector.registry.load(PythonLibraryV3(ParsesAndCounts))
        lines = inspector.plugin_listing()
    finally:
        inspector.registry.shutdown()
    assert lines[7] == "Capabilities: sourcing, extraction, parsing (not yet supported by plugref: parsing, metrics)"


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
def test_a_run_stopped_by_a_plugin_failure_leaves_the_file_and_keeps_the_partial_events(tmp_path):
    failing = variant(SOURCE_DEFINITION, events=[{"ts": TS + k, "values": {"x.i": k}} for k in range(1, 5)],
                      batches=[{"events": 1, "rc": "success"}, {"events": 0, "rc": "failure", "error": "disk gone"}])
    src = tmp_path / "failing.yaml"
    src.write_text(yaml.safe_dump(failing))
    out = tmp_path / "out.scap.gz"  # compressed: the partial file is a whole gzip stream only once closed
    out.write_bytes(b"old contents")
    notes: list[str] = []
    inspector = Inspector()
    try:
        with pytest.raises(PlugrefError, match="disk gone"):
            list(inspector.run(Inspection(plugins=[str(src)], input="xsrc", write=str(out)), notes))
    finally:
        inspector.registry.shutdown()
    assert out.read_bytes() == b"old contents"
    [partial] = tmp_path.glob("out.scap.gz.*.partial")
    assert notes == [f"{out} was left as it was; the 1 events written before the stop are in {partial}"]
    assert [e.data for e in read_capture(str(partial))] == [b"x.i=1"]
    # Stopped before any event: nothing is kept, and the note says only that FILE is as it was.
    first_fails = variant(failing, batches=[{"events": 0, "rc": "failure", "error": "disk gone"}])
    src.write_text(yaml.safe_dump(first_fails))
    partial.unlink()
    notes.clear()
    inspector = Inspector()
    try:
        with pytest.raises(PlugrefError, match="disk gone"):
            list(inspector.run(Inspection(plugins=[str(src)], input="xsrc", write=str(out)), notes))
    finally:
        inspector.registry.shutdown()
    assert notes == [f"{out} was left as it was"] and list(tmp_path.glob("out.scap.gz.*")) == []


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
def test_an_interrupt_as_the_capture_is_begun_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    def interrupted():  # Ctrl-C arrives as the capture's first block (the section header) is made
        raise KeyboardInterrupt

    monkeypatch.setattr("reference.host.capture.section_header_block", interrupted)
    out = tmp_path / "out.scap"
    out.write_bytes(b"old contents")
    inspector, notes = Inspector(), []
    try:
        with pytest.raises(KeyboardInterrupt) as stopped:
            list(inspector.run(Inspection(plugins=[xsrc_file(tmp_path)], input="xsrc", write=str(out)), notes))
    finally:
        inspector.registry.shutdown()
    assert stopped.value.__context__ is None  # the interrupt itself, nothing raised on the way out
    assert out.read_bytes() == b"old contents" and list(tmp_path.glob("out.scap.*")) == []
    assert notes == [f"{out} was left as it was"]


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
def test_a_full_device_is_a_write_error_naming_the_file(tmp_path):
    src = xsrc_file(tmp_path)
    with pytest.raises(PlugrefError) as raised:
        session(plugins=[src], input="xsrc", write="/dev/full")
    assert str(raised.value) == "can't write /dev/full: No space left on device"


@pytest.mark.clause("EXTRACT-BATCHED")
def test_the_filter_and_the_format_share_one_extraction_per_field_and_event():
    from fake_plugins.counter import Counter
    from reference.host.event_fields import ExtractionMode
    from reference.sdk import PythonLibrary, field

    asked: list[tuple[str, int]] = []

    class Counted(Counter):
        @field("counter.n", "uint64", "The counter value of the event")
        def n(self, event, arg):
            asked.append(("n", (event.ts - TS) // 1_000_000))
            return Counter.n(self, event, arg)

        @field("counter.proc", "string", "A process name the event names")
        def proc(self, event, arg):
            asked.append(("proc", (event.ts - TS) // 1_000_000))
            return Counter.proc(self, event, arg)

    def run(extraction):
        asked.clear()
        inspector = Inspector()
        try:
            inspector.registry.load(PythonLibrary(Counted), '{"max_events": 3}')
            return list(inspector.run(Inspection(input="counter", filter="counter.n > 1",
                                                 format="%counter.n %counter.proc", extraction=extraction)))
        finally:
            inspector.registry.shutdown()

    # Lazy (libsinsp's way): counter.n once per event for the filter and the format together, and
    # counter.proc only for the events that pass.
    assert run(ExtractionMode.LAZY) == ["2 bash", "3 cron"]
    assert sorted(asked) == sorted([("n", t) for t in (1, 2, 3)] +
                                   [("proc", t) for t in (2, 3)])
    # Batched: every field of the plugin the filter and the format need, for every event, once.
    assert run(ExtractionMode.BATCHED) == ["2 bash", "3 cron"]
    assert sorted(asked) == sorted([(f, t) for f in ("n", "proc") for t in (1, 2, 3)])


@pytest.mark.clause("CAPTURE-UNKNOWN-PLUGIN", "OUTPUT-JSON")
def test_each_source_of_a_capture_is_read_with_its_own_plugins_fields(tmp_path):
    # x.i is a uint64 of source x and a string of source y: JSON shows which field each event was read with.
    # An event of a source no loaded plugin provides is read with the first source plugin's table.
    src = xsrc_file(tmp_path)
    other = xsrc_file(tmp_path, name="ysrc", id=XSRC_ID + 1, event_source="y",
                      fields=[{"type": "string", "name": "x.i", "desc": "a number as text"}])
    capture = tmp_path / "mixed.scap"
    with CaptureWriter(capture) as writer:
        for num, plugin_id in enumerate([XSRC_ID + 1, XSRC_ID, 777, XSRC_ID + 1, XSRC_ID + 1, XSRC_ID], start=1):
            writer.write(PluginEvent(num, TS + num, plugin_id, "", b"x.i=%d" % num))
    lines, _ = session(plugins=[src, other], read=str(capture), json=True, format="*%evt.num %x.i")
    assert [json.loads(line) for line in lines] == [
        {"evt.num": 1, "x.i": "1"}, {"evt.num": 2, "x.i": 2}, {"evt.num": 3, "x.i": None},
        {"evt.num": 4, "x.i": "4"}, {"evt.num": 5, "x.i": "5"}, {"evt.num": 6, "x.i": 6}]


def test_without_input_the_run_is_refused():
    with pytest.raises(PlugrefError) as raised:
        session(plugins=["fake_plugins.json_extractor"])
    assert str(raised.value) == "no input: name a source plugin with -I, or a capture file with -r"


def test_a_capture_is_read_with_extractors_alone_and_without_a_notes_list(tmp_path):
    capture = tmp_path / "plain.scap"
    with CaptureWriter(capture) as writer:
        writer.write(PluginEvent(1, TS, XSRC_ID, "x", b'{"user": {"name": "ann"}}'))
    inspector = Inspector()
    try:
        inspector.load("fake_plugins.json_extractor")
        lines = list(inspector.run(Inspection(read=str(capture), format="*%evt.num %json.value[/user/name]")))
        explained = inspector.explain(Inspection(filter="evt.num > 1"))
    finally:
        inspector.registry.shutdown()
    assert lines == ["1 <NA>"]  # an event of a plugin not loaded is passed to no extractor (CAPTURE-UNKNOWN-PLUGIN)
    assert "def condition(context):" in explained and "# evt.num > 1" in explained


@pytest.mark.clause("CAPTURE-PLUGIN-VERSION")
def test_every_version_mismatch_is_named_in_one_refusal(tmp_path):
    capture = tmp_path / "v.scap"
    with CaptureWriter(capture, plugins={XSRC_ID: ("xsrc", "2.0.0"), XSRC_ID + 1: ("ysrc", "3.0.0")}) as writer:
        writer.write(PluginEvent(1, TS, XSRC_ID, "x", b"x.i=5"))
    other = xsrc_file(tmp_path, name="ysrc", id=XSRC_ID + 1, event_source="y")
    with pytest.raises(PlugrefError) as raised:
        session(plugins=[xsrc_file(tmp_path), other], read=str(capture))
    assert str(raised.value) == (
        "plugin xsrc (id 1073741866): the capture was written by version 2.0.0 and the loaded plugin is version "
        "1.0.0; the major versions must match; plugin ysrc (id 1073741867): the capture was written by version "
        "3.0.0 and the loaded plugin is version 1.0.0; the major versions must match")


@pytest.mark.clause("CAPTURE-BLOCK-TYPES", "EVT-FIELDS")
def test_events_that_are_not_plugin_events_are_counted_and_skipped(tmp_path):
    # A 0x221 block: u16 cpuid, then the v2 event header {u64 ts, i64 tid, u32 len, u16 type, u32 nparams};
    # a plugin event (type 322) has u32 lengths and the params plugin ID (u32) and payload.
    import struct

    def block(body):
        total = (8 + len(body) + 4 + 3) // 4 * 4
        return struct.pack("<II", 0x221, total) + body + b"\0" * (total - 12 - len(body)) + struct.pack("<I", total)

    def v2_event(ts, tid, etype, params):
        return struct.pack("<H", 0) + struct.pack("<QqIHI", ts, tid, 26 + len(params), etype, 2) + params

    def plugin_event(ts, data):
        return block(v2_event(ts, -1, 322, struct.pack("<III", 4, len(data), XSRC_ID) + data))

    syscall = block(v2_event(TS + 2, 42, 3, struct.pack("<HH", 2, 4) + b"\x01\x00/tmp"))
    section_header = bytes.fromhex("0a0d0d0a 1c000000 4d3c2b1a 0100 0200 ffffffffffffffff 1c000000")
    capture = tmp_path / "mixed.scap"
    capture.write_bytes(section_header + plugin_event(TS + 1, b"x.i=1") + syscall + plugin_event(TS + 3, b"x.i=3"))
    lines, _ = session(plugins=[xsrc_file(tmp_path)], read=str(capture), format="%evt.num %evt.reltime %x.i")
    assert lines == ["1 000000000 1", "3 000000002 3"]


@pytest.mark.clause("EXTRACT-BATCHED")
def test_batched_extraction_asks_the_fields_of_the_filter_and_the_format_in_one_call():
    # The filter's fields and the format's are one plan: in batched mode one extract_fields call per event
    # asks them all; in lazy mode each call asks one field.
    from fake_plugins.counter import Counter
    from reference.host.event_fields import ExtractionMode
    from reference.sdk import PythonLibrary

    fields_per_call: list[int] = []

    class CountingLibrary(PythonLibrary):
        def extract_fields(self, state, event, requests):
            fields_per_call.append(len(requests))
            return super().extract_fields(state, event, requests)

    def run(extraction):
        fields_per_call.clear()
        inspector = Inspector()
        try:
            inspector.registry.load(CountingLibrary(Counter), '{"max_events": 3}')
            return list(inspector.run(Inspection(input="counter", filter="counter.user != root",
                                                 format="%counter.n", extraction=extraction)))
        finally:
            inspector.registry.shutdown()

    # users: n=1 bob, n=2 root, n=3 alice
    assert run(ExtractionMode.BATCHED) == ["1", "3"] and fields_per_call == [2, 2, 2]
    assert run(ExtractionMode.LAZY) == ["1", "3"] and fields_per_call == [1, 1, 1, 1, 1]
