"""The `-w FILE` output stream in-process: a temporary `FILE.<random>.partial` beside FILE, renamed over it
only by a successful run; FILE's mode kept; non-regular files written in place (clause INSPECT-OUTPUT-SAFE).

tests/test_inspect_output.py runs whole `plugref inspect` runs (and signals them); these pin the stream itself.
"""
from __future__ import annotations

import os
import stat

import pytest

from reference.errors import PlugrefError
from reference.tools.output_file import ReplacingOutput, same_file

pytestmark = pytest.mark.clause("INSPECT-OUTPUT-SAFE")


@pytest.fixture
def umask():
    """Set a umask for the test (and restore the one before)."""
    saved = os.umask(0o022)
    os.umask(saved)

    def set_to(mask: int) -> None:
        os.umask(mask)
    yield set_to
    os.umask(saved)


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def partials(folder) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(".partial"))


# --- same_file: `-r F -w F` is refused when both name one file ---

def test_two_names_of_one_existing_file_are_the_same_file(tmp_path):
    target = tmp_path / "a.scap"
    target.write_bytes(b"x")
    os.link(target, tmp_path / "b.scap")
    os.symlink(target, tmp_path / "c.scap")
    assert same_file(str(target), str(tmp_path / "b.scap"))   # a hard link: same inode
    assert same_file(str(target), str(tmp_path / "c.scap"))   # a symbolic link


def test_two_different_files_are_not_the_same_file(tmp_path):
    (tmp_path / "a.scap").write_bytes(b"x")
    (tmp_path / "b.scap").write_bytes(b"x")
    assert same_file(str(tmp_path / "a.scap"), str(tmp_path / "b.scap")) is False


def test_a_path_that_does_not_exist_yet_is_compared_by_its_resolved_path(tmp_path):
    (tmp_path / "sub").mkdir()
    missing = tmp_path / "new.scap"
    assert same_file(str(missing), str(tmp_path / "sub" / ".." / "new.scap")) is True
    assert same_file(str(missing), str(tmp_path / "other.scap")) is False
    os.symlink(missing, tmp_path / "link.scap")  # a dangling link resolves to the file it names
    assert same_file(str(tmp_path / "link.scap"), str(missing)) is True


# --- a regular FILE: written beside it, renamed over it at the end ---

def test_a_new_file_appears_only_when_the_run_commits(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "out.scap"
    output = ReplacingOutput(str(target))
    [partial] = partials(tmp_path)
    assert partial.startswith("out.scap.") and len(partial) > len("out.scap..partial")
    assert output.partial == str(tmp_path / partial)
    output.stream.write(b"events")
    assert not target.exists()
    output.commit()
    assert target.read_bytes() == b"events"
    assert partials(tmp_path) == [] and output.partial is None
    assert mode_of(target) == 0o644  # what open() gives under umask 022


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664), (0o000, 0o666)])
def test_a_new_file_gets_the_mode_open_would_give_it(tmp_path, umask, mask, expected):
    umask(mask)
    target = tmp_path / "out.scap"
    output = ReplacingOutput(str(target))
    assert mode_of(output.partial) == expected
    output.commit()
    assert mode_of(target) == expected
    assert os.umask(mask) == mask  # the umask is left as it was


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604, 0o755])
def test_an_existing_file_keeps_its_mode_and_content_until_commit(tmp_path, umask, mode):
    umask(0o022)
    target = tmp_path / "keep.scap"
    target.write_bytes(b"old")
    target.chmod(mode)
    output = ReplacingOutput(str(target))
    assert mode_of(output.partial) == mode
    output.stream.write(b"new")
    output.stream.flush()
    assert target.read_bytes() == b"old"
    output.commit()
    assert target.read_bytes() == b"new" and mode_of(target) == mode


def test_a_relative_path_is_written_in_its_own_folder(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    output = ReplacingOutput(os.path.join("sub", "out.scap"))
    assert os.path.dirname(output.partial) == str(tmp_path / "sub")
    assert partials(tmp_path / "sub") and not partials(tmp_path)
    output.stream.write(b"e")
    output.commit()
    assert (tmp_path / "sub" / "out.scap").read_bytes() == b"e"


def test_abandon_keeping_the_partial_file_leaves_the_target_as_it_was(tmp_path):
    target = tmp_path / "keep.scap"
    target.write_bytes(b"old")
    output = ReplacingOutput(str(target))
    output.stream.write(b"some events")
    kept = output.abandon(keep=True)
    assert kept == output.partial and kept is not None
    assert open(kept, "rb").read() == b"some events"
    assert target.read_bytes() == b"old"
    assert output.stream.closed


def test_abandon_without_keeping_removes_the_partial_file(tmp_path):
    target = tmp_path / "keep.scap"
    target.write_bytes(b"old")
    output = ReplacingOutput(str(target))
    output.stream.write(b"x")
    assert output.abandon(keep=False) is None
    assert partials(tmp_path) == [] and output.partial is None
    assert target.read_bytes() == b"old"
    assert output.abandon(keep=True) is None  # nothing left to keep


def test_a_partial_file_that_cannot_be_closed_is_not_kept(tmp_path):
    """A close that fails (the last buffered events not written) leaves no partial file to offer."""
    target = tmp_path / "keep.scap"
    target.write_bytes(b"old")
    output = ReplacingOutput(str(target))
    output.stream.close()
    output.stream = open("/dev/full", "wb")  # its close flushes into a full device
    output.stream.write(b"buffered")
    assert output.abandon(keep=True) is None
    assert partials(tmp_path) == [] and output.partial is None
    assert target.read_bytes() == b"old"


def test_a_partial_file_removed_by_someone_else_is_abandoned_quietly(tmp_path):
    output = ReplacingOutput(str(tmp_path / "out.scap"))
    os.unlink(output.partial)
    assert output.abandon(keep=False) is None
    assert output.partial is None


def test_a_write_error_drops_the_partial_file_and_names_the_target(tmp_path):
    target = tmp_path / "keep.scap"
    target.write_bytes(b"old")
    output = ReplacingOutput(str(target))
    output.stream.write(b"x")
    error = output.write_error(OSError(28, "No space left on device"))
    assert isinstance(error, PlugrefError)
    assert str(error) == f"can't write {target}: No space left on device"
    assert error.clause == "INSPECT-OUTPUT-SAFE"
    assert partials(tmp_path) == [] and target.read_bytes() == b"old"


def test_a_write_error_without_a_reason_text_gives_the_exception_itself(tmp_path):
    output = ReplacingOutput(str(tmp_path / "out.scap"))
    error = output.write_error(OSError("disk went away"))
    assert str(error) == f"can't write {tmp_path / 'out.scap'}: disk went away"


def test_a_rename_that_fails_is_a_write_error_and_drops_the_partial_file(tmp_path):
    target = tmp_path / "out.scap"
    output = ReplacingOutput(str(target))
    output.stream.write(b"x")
    target.mkdir()  # FILE became a non-empty folder meanwhile: the rename cannot replace it
    (target / "inside").write_bytes(b"")
    with pytest.raises(PlugrefError) as caught:
        output.commit()
    assert str(caught.value).startswith(f"can't write {target}: ")
    assert caught.value.clause == "INSPECT-OUTPUT-SAFE"
    assert partials(tmp_path) == [] and output.partial is None
    assert target.is_dir()


# --- FILE that cannot be replaced, or opened ---

@pytest.mark.parametrize("device", ["/dev/null"])
def test_a_file_that_is_not_regular_is_written_in_place(tmp_path, device):
    output = ReplacingOutput(device)
    assert output.partial is None
    assert output.stream.name == device
    output.stream.write(b"events")
    output.commit()
    assert stat.S_ISCHR(os.stat(device).st_mode)  # still the device: nothing renamed over it
    assert output.abandon(keep=True) is None


def test_a_full_device_written_in_place_gives_a_write_error():
    output = ReplacingOutput("/dev/full")
    output.stream.write(b"events")
    with pytest.raises(PlugrefError) as caught:
        output.commit()
    assert str(caught.value) == "can't write /dev/full: No space left on device"


def test_a_folder_cannot_be_the_output(tmp_path):
    with pytest.raises(PlugrefError) as caught:
        ReplacingOutput(str(tmp_path))
    assert str(caught.value) == f"can't open {tmp_path}: Is a directory"
    assert caught.value.clause == "INSPECT-OUTPUT-SAFE"
    assert partials(tmp_path) == [] and os.listdir(tmp_path) == []


def test_a_file_in_a_missing_folder_cannot_be_opened(tmp_path):
    path = tmp_path / "missing" / "out.scap"
    with pytest.raises(PlugrefError) as caught:
        ReplacingOutput(str(path))
    assert str(caught.value) == f"can't open {path}: No such file or directory"
    assert caught.value.clause == "INSPECT-OUTPUT-SAFE"


def test_a_path_through_a_regular_file_cannot_be_opened(tmp_path):
    (tmp_path / "plain").write_bytes(b"")
    path = tmp_path / "plain" / "out.scap"
    with pytest.raises(PlugrefError) as caught:
        ReplacingOutput(str(path))
    assert str(caught.value) == f"can't open {path}: Not a directory"
    assert caught.value.clause == "INSPECT-OUTPUT-SAFE"


def test_a_folder_that_cannot_be_written_gives_an_open_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into any folder")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PlugrefError) as caught:
            ReplacingOutput(str(folder / "out.scap"))
        assert str(caught.value) == f"can't open {folder / 'out.scap'}: Permission denied"
    finally:
        folder.chmod(0o700)
