"""The fuzz suite: bad input of every class is refused cleanly (clause RELIABILITY-BAD-INPUT).

Each property drives the `plugref` entry point in-process with generated or mutated input of one
class and checks what docs/reliability.md promises: exit status 0 or 1 (2 for `plugref check`'s
bad options), never 70; no traceback; on failure stderr says what is wrong; each case within a
time and memory bound; the user's files unchanged (hashed before and after).

By default every property runs a few cases (the whole file costs about half a minute); the long
run is `HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz_inputs.py` (thousands of cases,
see docs/reliability.md for the last figures).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import resource
import struct
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.filter_strategies import SOURCE_DEFINITION, conditions
from fake_plugins.misbehaving import variant
from reference.filter import to_text
from reference.host.capture import CaptureWriter
from reference.host.engine import PluginEvent
from reference.tools.cli import main
from tests.bounds import bounded

FUZZING = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
#: Cases per property: a handful in the default run, thousands in the fuzz profile.
CASES = int(os.environ.get("FUZZ_CASES", 2000)) if FUZZING else 5
NATIVE_CASES = max(CASES // 30, 2) if FUZZING else 2
#: Bounds per case: CPU seconds (the machine may be shared) and growth of the peak resident memory.
SECONDS = 30.0
MEGABYTES = 256

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "fake_plugins" / "demo" / "falco.yaml"
DEMO_RULES = ROOT / "fake_plugins" / "demo" / "rules.yaml"
XSRC = variant(SOURCE_DEFINITION, events=[{"ts": 1_000 + i, "values": {"x.i": i, "x.word": f"w{i}", "x.path": "/opt/a",
                                                                        "x.tag[a]": "A"}} for i in range(6)])
fuzz_settings = settings(max_examples=CASES, deadline=None, suppress_health_check=list(HealthCheck))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "absent"


def clean_run(argv: list[str], watched: list[Path], *, codes=(0, 1), said_on_stdout: bool = False
              ) -> tuple[int, str, str]:
    """Run `plugref argv` and check the promises; returns (status, stdout, stderr)."""
    before = {path: digest(path) for path in watched}
    # In a child whose address space is capped: a bound switched off fails the case, not the machine.
    status, stdout, stderr, elapsed, grown = bounded(lambda: _measured_main(argv))
    assert status in codes, f"exit {status}: {stderr[-2000:]}"
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-2000:]
    if status != 0:
        assert (stdout if said_on_stdout else stderr).strip(), "a refusal must say why"
    assert elapsed < SECONDS, f"{elapsed:.1f} CPU seconds"
    assert grown < MEGABYTES * 2**20, f"peak memory grew by {grown / 2**20:.0f} MB"
    for path, value in before.items():
        assert digest(path) == value, f"{path} changed"
    return status, stdout, stderr


def _measured_main(argv: list[str]) -> tuple[int, str, str, float, int]:
    """`plugref argv` run here: status, stdout, stderr, CPU seconds, growth of the peak memory."""
    # From an empty folder: a file that a mistaken option writes cannot land in the repository.
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        return _main_measured_here(argv)


def _main_measured_here(argv: list[str]) -> tuple[int, str, str, float, int]:
    out, err = io.StringIO(), io.StringIO()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    started = time.process_time()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exc:  # argparse refusing an option
                status = exc.code
    finally:
        elapsed = time.process_time() - started
        # The peak grew by this much during the case (tracemalloc would cost 20x the time).
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) * 1024
    return status, out.getvalue(), err.getvalue(), elapsed, grown


def mutations(base: str, alphabet: str) -> st.SearchStrategy[str]:
    """`base` with a few characters inserted, deleted or replaced, or cut short."""
    @st.composite
    def mutate(draw):
        text = base
        for _ in range(draw(st.integers(1, 6))):
            at = draw(st.integers(0, len(text)))
            kind = draw(st.sampled_from(["insert", "delete", "replace", "cut", "repeat"]))
            piece = draw(st.text(st.sampled_from(alphabet), min_size=1, max_size=4))
            if kind == "insert":
                text = text[:at] + piece + text[at:]
            elif kind == "delete":
                text = text[:at] + text[at + len(piece):]
            elif kind == "replace":
                text = text[:at] + piece + text[at + len(piece):]
            elif kind == "cut":
                text = text[:at]
            else:
                text = text[:at] + text[at:at + 20] * draw(st.integers(2, 30)) + text[at + 20:]
        return text
    return mutate()


@pytest.fixture(scope="module")
def workspace():
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "xsrc.yaml").write_text(yaml.safe_dump(XSRC, sort_keys=False))
        with CaptureWriter(str(root / "keep.scap"), plugins={XSRC["id"]: ("xsrc", "1.0.0")}) as writer:
            for i in range(6):
                writer.write(PluginEvent(0, 1_000 + i, XSRC["id"], "x", b"x.i=%d;x.word=w%d" % (i, i)))
        yield root


FILTER_ALPHABET = "()x.iwordtag[]a=!<>,'\"\\ \n\tnotandorinexists0123456789-*"


@pytest.mark.clause("RELIABILITY-BAD-INPUT")
@fuzz_settings
@given(text=st.one_of(conditions().map(to_text), st.text(st.sampled_from(FILTER_ALPHABET), max_size=60),
                      st.builds(lambda depth, kind: kind * depth, st.integers(900, 1100),
                                st.sampled_from(["not (", "(x.i=1 and ", "(", "not "]))).flatmap(
    lambda text: st.one_of(st.just(text), mutations(text, FILTER_ALPHABET))))
def test_filters(workspace, text):
    out = workspace / "filtered.scap"
    out.write_bytes(b"the user's earlier output")
    status, _, err = clean_run(["inspect", "-H", str(workspace / "xsrc.yaml"), "-I", "xsrc", "-n", "4", "-w",
                                str(out), "--", text], [workspace / "xsrc.yaml"])  # "--": a filter may start with -
    if status:
        assert "filter error" in err or "error:" in err
        assert out.read_bytes() == b"the user's earlier output"  # a refused run replaces nothing


FORMAT_ALPHABET = "%*0123456789x.iwordtag[]a'\" evt.numtime|-"


@pytest.mark.clause("RELIABILITY-BAD-INPUT")
@fuzz_settings
@given(text=st.one_of(st.text(st.sampled_from(FORMAT_ALPHABET), max_size=40),
                      mutations("*%evt.num %x.word %5x.i %x.tag[a] %evt.time", FORMAT_ALPHABET)),
       as_json=st.booleans())
def test_formats(workspace, text, as_json):
    argv = ["inspect", "-H", str(workspace / "xsrc.yaml"), "-I", "xsrc", "-n", "3", f"--print={text}"]  # "=": a format may start with -
    status, _, err = clean_run(argv + (["-j"] if as_json else []), [workspace / "xsrc.yaml"])
    if status:
        assert "format" in err or "error:" in err


RULES_TEXT = DEMO_RULES.read_text()
YAML_ALPHABET = " \n-:[]{}&*!|>'\"#,?%@`\tabcmnx0123456789"


def rules_bomb(kind: str, n: int) -> str:
    """Small files that expand: doubling lists and macros, aliases, deep nesting, macro chains."""
    if kind == "list":
        return "- list: l0\n  items: [a, b]\n" + "".join(f"- list: l{i}\n  items: [l{i-1}, l{i-1}]\n"
                                                         for i in range(1, n))
    if kind == "macro":
        return "- macro: m0\n  condition: counter.n = 1\n" + "".join(
            f"- macro: m{i}\n  condition: (m{i-1} or m{i-1})\n" for i in range(1, n))
    if kind == "alias":
        return "- list: l\n  items: &a0 [a, b]\n" + "".join(f"- list: l{i}\n  items: &a{i} [*a{i-1}, *a{i-1}]\n"
                                                            for i in range(1, n))
    if kind == "nest":
        return "- list: l\n  items: " + "[" * n * 10 + "]" * n * 10 + "\n"
    return "- macro: c0\n  condition: counter.n = 1\n" + "".join(f"- macro: c{i}\n  condition: not c{i-1}\n"
                                                                for i in range(1, n * 15))


def rules_bombs() -> st.SearchStrategy[str]:
    return st.builds(rules_bomb, st.sampled_from(["list", "macro", "alias", "nest", "chain"]), st.integers(5, 45))


@pytest.mark.clause("RELIABILITY-BAD-INPUT")
@fuzz_settings
@given(text=st.one_of(mutations(RULES_TEXT, YAML_ALPHABET), rules_bombs(),
                      rules_bombs().flatmap(lambda t: mutations(t, YAML_ALPHABET))),
       as_json=st.booleans())
def test_rules_files(workspace, text, as_json):
    rules = workspace / "fuzzed_rules.yaml"
    rules.write_text(text, encoding="utf-8", errors="surrogatepass")
    argv = ["validate", str(rules), "-c", str(DEMO_CONFIG)] + (["--json"] if as_json else [])
    status, out, err = clean_run(argv, [rules], said_on_stdout=True)  # validate reports on stdout
    if status:
        assert ('"successful": false' in out) if as_json else ("Invalid" in out or "Error: " in out or "error" in err.lower())


CONFIG_TEXT = DEMO_CONFIG.read_text()


def config_bombs() -> st.SearchStrategy[str]:
    def bomb(n: int) -> str:
        levels = ["      a0: &a0 [x, y]"] + [f"      a{i}: &a{i} [*a{i-1}, *a{i-1}]" for i in range(1, n)]
        return CONFIG_TEXT.replace("    init_config:\n", "    init_config:\n" + "\n".join(levels) + "\n", 1)
    odd_values = st.sampled_from(["2020-01-01", "!!binary aGVsbG8=", "!!set {a, b}", "{[a]: 1}", "\"\"", ".inf",
                                  "9" * 5000, "[" * 300 + "]" * 300, "&x {a: *x}", "~", "[1, 2]", "{? {a: 1} : 2}"])
    with_value = odd_values.map(lambda v: CONFIG_TEXT.replace("max_events: 30", f"max_events: 30\n      odd: {v}"))
    empty_path = st.just(CONFIG_TEXT.replace("library_path: fake_plugins.counter", "library_path: \"\""))
    return st.one_of(st.builds(bomb, st.integers(5, 40)), with_value, empty_path)


@pytest.mark.clause("RELIABILITY-BAD-INPUT")
@fuzz_settings
@given(content=st.one_of(mutations(CONFIG_TEXT, YAML_ALPHABET).map(str.encode), config_bombs().map(str.encode),
                         st.binary(max_size=200), mutations(CONFIG_TEXT, YAML_ALPHABET).map(
                             lambda t: t.encode("latin-1", "replace") + b"\xff\xfe")))
def test_falco_yaml(workspace, content):
    config = workspace / "fuzzed_falco.yaml"
    config.write_bytes(content)
    status, _, err = clean_run(["run", "-c", str(config), "-r", str(DEMO_RULES), "-n", "3"], [config, DEMO_RULES])
    if status:
        assert "error" in err


def capture_bytes(workspace: Path) -> bytes:
    return (workspace / "keep.scap").read_bytes()


@st.composite
def damaged_captures(draw, original: bytes):
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "byte", "cut", "insert", "u32"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif len(data) >= at + 4:
            data[at:at + 4] = struct.pack("<I", draw(st.sampled_from([0, 1, 12, 0xFFFFFFFF, 0x221, 0x0A0D0D0A])))
    return bytes(data)


@pytest.mark.clause("RELIABILITY-BAD-INPUT")
@fuzz_settings
@given(data=st.data())
def test_captures(workspace, data):
    damaged = workspace / "damaged.scap"
    damaged.write_bytes(data.draw(damaged_captures(capture_bytes(workspace))))
    out = workspace / "out.scap"
    out.write_bytes(b"the user's earlier output")
    argv = ["inspect", "-H", str(workspace / "xsrc.yaml"), "-r", str(damaged)]
    argv += data.draw(st.sampled_from([["-p", "*%evt.num %x.word"], ["-j"], ["-w", str(out)]]))
    status, _, err = clean_run(argv, [damaged] + ([out] if "-w" not in argv else []))
    if status:
        assert f"capture file {damaged}" in err or "error" in err
        if "-w" in argv:
            assert out.read_bytes() == b"the user's earlier output"
    for leftover in workspace.glob("out.scap.*.partial"):
        leftover.unlink()


JSONISH = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=8)
                       | st.sampled_from(["now", "success", "failure", "eof", "timeout", "x.i", "plugin_open"]),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                    max_size=3), max_leaves=8)


@pytest.mark.clause("RELIABILITY-BAD-INPUT")
@fuzz_settings
@given(changes=st.dictionaries(st.sampled_from(sorted(set(XSRC) | {"batch_size", "batches", "omit_symbols",
                                                                     "init_schema", "open_params", "init_error",
                                                                     "fields_json", "extract_event_sources"})),
                               JSONISH, min_size=1, max_size=3),
       as_text=st.booleans())
def test_definition_files(workspace, changes, as_text):
    definition = workspace / "fuzzed_definition.yaml"
    text = yaml.safe_dump(variant(XSRC, **changes), sort_keys=False)
    definition.write_text(text if not as_text else text.replace("id:", "id: !!binary", 1))
    status, _, err = clean_run(["inspect", "-H", str(definition), "-I", "xsrc", "-n", "3"], [definition])
    if status:
        assert "error" in err


@pytest.mark.clause("RELIABILITY-BAD-INPUT")
@settings(max_examples=NATIVE_CASES, deadline=None, suppress_health_check=list(HealthCheck))
@given(defect=st.sampled_from(["segfault_in_extract", "hangs_in_next_batch", "abort_in_close", "bad_field_values",
                               "eof_not_final", "init_no_last_error", "bad_event_to_string"]),
       init=st.sampled_from(["", "{", "{}", "null", "\xff"]), params=st.sampled_from(["", "x", "9" * 100]))
def test_misbehaving_native_plugins(defect, init, params):
    """`plugref check` isolates a crashing or hanging plugin in its child process."""
    if not any(os.access(os.path.join(p, "gcc"), os.X_OK) for p in os.environ.get("PATH", "").split(":")):
        pytest.skip("no gcc")
    from fake_plugins.native.defects import build_defect

    library = build_defect(defect)
    # The default run asks for the checks of the calls that misbehave; the fuzz run for every check.
    only = [] if FUZZING else [arg for check in ("load", "init", "open", "next-batch", "extract", "teardown")
                               for arg in ("--only", check)]
    clean_run(["check", str(library), "--init", init, "--open", params, "--max-examples", "2", "--max-events", "10",
               "--timeout", "3", "--seed", "1", *only], [library], codes=(0, 1, 2), said_on_stdout=True)
