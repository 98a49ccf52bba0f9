"""`plugref inspect -w FILE`: FILE is replaced only by a run that succeeds (clause INSPECT-OUTPUT-SAFE)."""
from __future__ import annotations

import hashlib
import os
import signal
import stat
import textwrap

import pytest
import yaml

from conformance.filter_strategies import SOURCE_DEFINITION
from fake_plugins.misbehaving import variant
from reference.host.capture import read_capture
from reference.tools.cli import main


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture
def xsrc(tmp_path):
    definition = variant(SOURCE_DEFINITION, events=[{"ts": 1000 + i, "values": {"x.i": i}} for i in range(20)])
    path = tmp_path / "xsrc.yaml"
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    return str(path)


@pytest.fixture
def capture(tmp_path, xsrc):
    """A 20-event capture the user cares about."""
    path = tmp_path / "keep.scap"
    assert main(["inspect", "-H", xsrc, "-I", "xsrc", "-w", str(path)]) == 0
    return path


def others(folder, *known) -> list[str]:
    return sorted(set(os.listdir(folder)) - {os.path.basename(k) for k in known})


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
@pytest.mark.parametrize("args, says", [
    (["-I", "xsrc", "x.i >"], "expected a number value"),                     # a bad filter
    (["-I", "xsrc", "-p", "%nope.field"], "invalid formatting token nope.field"),  # a bad format
    (["-I", "xsrc", "-p", "%"], "formatting cannot end with a %"),
    (["-I", "nope"], "cannot load plugin nope"),                               # a bad input plugin
    (["-H", "fake_plugins.no_such_module", "-I", "xsrc"], "cannot load plugin fake_plugins.no_such_module"),
    (["-r", "missing.scap"], "cannot open: No such file or directory"),         # a missing capture
    ([], "no input"),
])
def test_a_refused_run_leaves_the_output_file_as_it_was(capsys, tmp_path, xsrc, capture, args, says):
    before = digest(capture)
    capsys.readouterr()
    args = [str(tmp_path / a) if a == "missing.scap" else a for a in args]
    assert main(["inspect", "-H", xsrc, *args, "-w", str(capture)]) == 1
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert digest(capture) == before
    assert others(tmp_path, capture, xsrc) == []  # and no temporary file is left behind


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
def test_a_successful_run_replaces_the_file_and_keeps_its_mode(capsys, tmp_path, xsrc, capture):
    os.chmod(capture, 0o640)
    assert main(["inspect", "-H", xsrc, "-I", "xsrc", "-w", str(capture), "x.i < 5"]) == 0
    assert [e.data for e in read_capture(str(capture))] == [b"x.i=%d" % i for i in range(5)]
    assert stat.S_IMODE(os.stat(capture).st_mode) == 0o640
    assert others(tmp_path, capture, xsrc) == []


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink"])
def test_reading_and_writing_the_same_file_is_refused(capsys, tmp_path, xsrc, capture, spelling):
    if spelling == "same":
        target = str(capture)
    elif spelling == "dotted":
        target = str(tmp_path / "." / ".." / tmp_path.name / capture.name)
    else:
        target = str(tmp_path / "link.scap")
        os.symlink(capture, target)
    before = digest(capture)
    assert main(["inspect", "-H", xsrc, "-r", str(capture), "-w", target]) == 1
    assert "-r and -w name the same file" in capsys.readouterr().err
    assert digest(capture) == before


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
def test_a_plugin_failure_mid_run_keeps_the_file_and_says_where_the_partial_output_is(capsys, tmp_path, capture):
    failing = variant(SOURCE_DEFINITION, events=[{"ts": 1, "values": {"x.i": i}} for i in range(5)],
                      batches=[{"events": 2}, {"rc": "failure", "error": "boom"}])
    definition = tmp_path / "failing.yaml"
    definition.write_text(yaml.safe_dump(failing))
    before = digest(capture)
    capsys.readouterr()
    assert main(["inspect", "-H", str(definition), "-I", "xsrc", "-w", str(capture)]) == 1
    err = capsys.readouterr().err
    assert "next_batch failed: boom" in err
    assert digest(capture) == before
    [partial] = others(tmp_path, capture, definition, "xsrc.yaml")
    assert f"{capture} was left as it was; the 2 events written before the stop are in {tmp_path / partial}" in err
    assert [e.data for e in read_capture(str(tmp_path / partial))] == [b"x.i=0", b"x.i=1"]


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_run_keeps_the_file(capsys, tmp_path, monkeypatch, capture, signum, code):
    module = f"stopping_plugin_{int(signum)}"  # one per case: a module is imported once
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(f"""
        import os
        from reference.contract.v0_3 import Event
        from reference.sdk import GeneratorInstance, SourcePlugin

        def events():
            for n in range(10):
                if n == 3:
                    os.kill(os.getpid(), {int(signum)})
                yield Event(b"n=%d" % n, ts=n + 1)

        class Stopping(SourcePlugin):
            id = 2**30 + 91
            name = "stopping"
            event_source = "stopping"
            version = "0.1.0"

            def open(self, params):
                return GeneratorInstance(events(), batch_size=1)

        PLUGIN = Stopping
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    before = digest(capture)
    capsys.readouterr()
    assert main(["inspect", "-H", module, "-I", "stopping", "-w", str(capture)]) == code
    err = capsys.readouterr().err
    assert digest(capture) == before
    assert f"{capture} was left as it was" in err and "Traceback" not in err


@pytest.mark.clause("INSPECT-OUTPUT-SAFE")
def test_unwritable_outputs_are_clean_errors(capsys, tmp_path, xsrc):
    cases = [(str(tmp_path), f"can't open {tmp_path}: Is a directory"),
             (str(tmp_path / "missing" / "out.scap"), f"can't open {tmp_path / 'missing' / 'out.scap'}: "
                                                      "No such file or directory")]
    if os.path.exists("/dev/full"):
        cases.append(("/dev/full", "can't write /dev/full: No space left on device"))
    for target, says in cases:
        assert main(["inspect", "-H", xsrc, "-I", "xsrc", "-w", target]) == 1, target
        err = capsys.readouterr().err
        assert says in err and "internal error" not in err
    assert main(["inspect", "-H", xsrc, "-I", "xsrc", "-w", os.devnull]) == 0  # not replaced by a rename
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
