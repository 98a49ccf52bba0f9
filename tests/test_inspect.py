"""`plugref inspect`: sysdig's options over Python and definition plugins (no sysdig needed)."""
import json

import pytest
import yaml

from conformance.filter_strategies import SOURCE_DEFINITION
from fake_plugins.misbehaving import variant
from reference.tools.cli import main

TS = 1_650_000_000_123_456_789


@pytest.fixture
def xsrc(tmp_path):
    definition = variant(SOURCE_DEFINITION, events=[
        {"ts": TS, "values": {"x.i": 7, "x.word": "nginx", "x.tag[a]": "A"}},
        {"ts": TS + 1_000_000_000, "values": {"x.i": 200}},
        {"ts": TS + 2_000_000_000, "values": {"x.word": "sshd", "x.i": 300}}])
    path = tmp_path / "xsrc.yaml"
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    return str(path)


def inspect(capsys, *args) -> tuple[int, list[str], str]:
    code = main(["inspect", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


@pytest.mark.clause("EVT-FIELDS")
def test_time_fields_are_local_but_iso8601_is_utc(capsys, tmp_path):
    from conformance.adapters.reference import local_time

    # the last nanosecond of a second, 05:20:00 UTC, in a zone 5:30 ahead of UTC (POSIX TZ, no tz database needed)
    definition = variant(SOURCE_DEFINITION, events=[{"ts": 1_650_000_000_999_999_999, "values": {"x.i": 7}}])
    path = tmp_path / "xsrc.yaml"
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    with local_time("IST-5:30"):
        code, lines, _ = inspect(capsys, "-H", str(path), "-I", "xsrc", "-p",
                                 "%evt.time|%evt.time.s|%evt.datetime|%evt.datetime.s|%evt.time.iso8601")
    assert code == 0
    assert lines == ["10:50:00.999999999|10:50:00|2022-04-15 10:50:00.999999999|2022-04-15 10:50:00|"
                     "2022-04-15T05:20:00.999999999+0000"]


@pytest.mark.clause("EVT-FIELDS", "OUTPUT-FORMAT")
def test_builtin_fields(capsys, utc, xsrc):
    fmt = ("*%evt.num|%evt.time|%evt.time.s|%evt.time.iso8601|%evt.datetime|%evt.datetime.s|%evt.rawtime|"
           "%evt.rawtime.s|%evt.rawtime.ns|%evt.pluginname|%evt.source|%evt.plugininfo")
    code, lines, _ = inspect(capsys, "-H", xsrc, "-I", "xsrc", "-n", "2", "-p", fmt)
    assert code == 0
    assert lines == [
        "1|05:20:00.123456789|05:20:00|2022-04-15T05:20:00.123456789+0000|2022-04-15 05:20:00.123456789|"
        "2022-04-15 05:20:00|1650000000123456789|1650000000|123456789|xsrc|x|x.i=7;x.word=nginx;x.tag[a]=A",
        "2|05:20:01.123456789|05:20:01|2022-04-15T05:20:01.123456789+0000|2022-04-15 05:20:01.123456789|"
        "2022-04-15 05:20:01|1650000001123456789|1650000001|123456789|xsrc|x|x.i=200"]


@pytest.mark.clause("EVT-FIELDS")
def test_relative_time_async_and_host_fields(capsys, utc, xsrc, monkeypatch):
    # evt.reltime: ns since the stream's first event, printed with 9 digits at least (as sysdig 0.29 prints it);
    # .s the seconds, .ns the nanoseconds part (9 digits). A plugin event is not async: `false`, no async type.
    monkeypatch.setenv("FALCO_HOSTNAME", "node-7")
    fmt = "*%evt.reltime|%evt.reltime.s|%evt.reltime.ns|%evt.is_async|%evt.asynctype|%evt.hostname"
    assert inspect(capsys, "-H", xsrc, "-I", "xsrc", "-p", fmt)[1] == [
        "000000000|0|000000000|false|<NA>|node-7", "1000000000|1|000000000|false|<NA>|node-7",
        "2000000000|2|000000000|false|<NA>|node-7"]
    code, lines, _ = inspect(capsys, "-H", xsrc, "-I", "xsrc", "-j", "-n", "2", "-p",
                             "*%evt.reltime %evt.reltime.s %evt.reltime.ns %evt.is_async")
    assert [json.loads(line) for line in lines] == [
        {"evt.reltime": 0, "evt.reltime.s": 0, "evt.reltime.ns": 0, "evt.is_async": "false"},
        {"evt.reltime": 10**9, "evt.reltime.s": 1, "evt.reltime.ns": 0, "evt.is_async": "false"}]
    assert inspect(capsys, "-H", xsrc, "-I", "xsrc", "-p", "%evt.num", "evt.reltime.s >= 1 and evt.is_async = false "
                                                                      "and not evt.asynctype exists")[1] == ["2", "3"]


@pytest.mark.clause("EVT-FIELDS")
def test_relative_time_of_a_capture_counts_from_its_first_event(capsys, utc, xsrc, tmp_path):
    capture = str(tmp_path / "c.scap")
    assert inspect(capsys, "-H", xsrc, "-I", "xsrc", "-w", capture, "x.i >= 200")[0] == 0
    assert inspect(capsys, "-H", xsrc, "-r", capture, "-p", "%evt.num %evt.reltime.s")[1] == ["1 0", "2 1"]


@pytest.mark.clause("OUTPUT-MISSING", "OUTPUT-FORMAT")
def test_missing_values_widths_and_glued_text(capsys, utc, xsrc):
    assert inspect(capsys, "-H", xsrc, "-I", "xsrc", "-p", "%evt.num %x.word")[1] == ["1 nginx", "3 sshd"]
    assert inspect(capsys, "-H", xsrc, "-I", "xsrc", "-p", "*%evt.num %x.word")[1] == ["1 nginx", "2 <NA>", "3 sshd"]
    assert inspect(capsys, "-H", xsrc, "-I", "xsrc", "-p", "*[%3x.word|%6x.i]%x.tag[a]end")[1] == [
        "[ngi|7     ]Aend", "[<NA|200   ]<NA>end", "[ssh|300   ]<NA>end"]


@pytest.mark.clause("OUTPUT-JSON", "OUTPUT-DEFAULT")
def test_json_and_default_line(capsys, utc, xsrc):
    code, lines, _ = inspect(capsys, "-H", xsrc, "-I", "xsrc", "-j", "-p", "*%x.i %x.word %evt.time")
    assert [json.loads(line) for line in lines] == [
        {"x.i": 7, "x.word": "nginx", "evt.time": TS}, {"x.i": 200, "x.word": None, "evt.time": TS + 10**9},
        {"x.i": 300, "x.word": "sshd", "evt.time": TS + 2 * 10**9}]
    assert inspect(capsys, "-H", xsrc, "-I", "xsrc", "-n", "1")[1] == [
        "1 2022-04-15 05:20:00 [xsrc] x.i=7;x.word=nginx;x.tag[a]=A"]


@pytest.mark.clause("FILTER-OPERATORS", "FILTER-PLUGIN-FIELDS")
def test_filter_from_positional_arguments(capsys, utc, xsrc):
    code, lines, _ = inspect(capsys, "-H", xsrc, "-I", "xsrc", "-p", "%evt.num", "x.word", "in", "(nginx,", "sshd)",
                             "and", "x.i", ">", "100")
    assert lines == ["3"]


def test_python_plugins_by_module_with_init_and_open_params(capsys, utc):
    code, lines, _ = inspect(capsys, "-H", 'fake_plugins.counter:{"max_events": 3}', "-H", "fake_plugins.json_extractor",
                             "-I", "counter:10", "-p", "%counter.n %json.value[/user/name] %counter.divisible[5]")
    assert code == 0 and lines == ["10 bob 1", "11 root 0", "12 alice 0"]


def test_listings(capsys, xsrc):
    code, lines, _ = inspect(capsys, "-H", xsrc, "-H", "fake_plugins.json_extractor", "-l")
    assert code == 0 and "Field Class:                  xsrc (plugin)" in lines
    assert any(line.startswith("x.tag[arg]") for line in lines) and any(line.startswith("evt.num") for line in lines)
    code, lines, _ = inspect(capsys, "-H", xsrc, "-H", "fake_plugins.json_extractor", "--list-plugins")
    assert "2 Plugins Loaded:" in lines and "Type: extractor plugin" in lines and f"ID: {2**30 + 42}" in lines


@pytest.mark.parametrize("args, message", [
    (["-I", "nothing.here"], "cannot load plugin nothing.here"),
    (["-H", "fake_plugins.json_extractor", "-I", "json"], "plugin json is not a source plugin and cannot be used as input."),
    (["-H", "XSRC", "-I", "xsrc", "x.word = "], "expected a string value"),
    (["-H", "XSRC", "-I", "xsrc", "x.i = abc"], "abc is not a valid number"),
    (["-H", "XSRC", "-I", "xsrc", "-p", "%nope.x"], "invalid formatting token nope.x"),
    (["-H", "XSRC"], "no input: name a source plugin with -I, or a capture file with -r"),
    (["-H", "/no/such/lib.so", "-I", "x"], "cannot load plugin /no/such/lib.so: no such file"),
    (["-H", "README.md", "-I", "x"], "cannot load plugin"),
])
def test_errors_go_to_stderr_with_nonzero_exit(capsys, xsrc, args, message):
    code, lines, err = inspect(capsys, *[xsrc if a == "XSRC" else a for a in args])
    assert code == 1 and message in err and "Traceback" not in err
    assert err.startswith("plugref: error: ")


def test_a_malformed_definition_file_is_a_clear_error(capsys, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{bad")
    code, lines, err = inspect(capsys, "-H", str(broken), "-I", "x")
    assert code == 1 and "not a valid plugin definition" in err and "Traceback" not in err
