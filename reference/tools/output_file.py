"""An output file that is replaced only when the run that writes it succeeds (clause INSPECT-OUTPUT-SAFE).

`plugref inspect -w FILE` writes into a temporary file in FILE's folder (same file system, so the
final rename is atomic) and renames it over FILE only at the end of a successful run. A run that
fails or is interrupted leaves FILE as it was; the events written so far stay in the temporary
file, whose name the error gives. A FILE that exists and is not a regular file (`/dev/null`, a
pipe) cannot be replaced by a rename and is written in place.
"""
from __future__ import annotations

import os
import stat
import tempfile
from typing import BinaryIO

from reference.errors import PlugrefError


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def same_file(a: str, b: str) -> bool:
    """True if both paths name one file (or, for a path that does not exist yet, resolve alike)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


class ReplacingOutput:
    """The binary stream to write; `commit()` puts it in place, `abandon()` leaves the target alone."""

    def __init__(self, path: str):
        self.path = path
        self.partial: str | None = None  # the temporary file, while it exists
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            mode = None
        except OSError as exc:
            raise self._error("open", exc) from None
        if mode is not None and stat.S_ISDIR(mode):
            raise PlugrefError(f"can't open {path}: Is a directory", "INSPECT-OUTPUT-SAFE")
        try:
            if mode is not None and not stat.S_ISREG(mode):
                self.stream: BinaryIO = open(path, "wb")
            else:
                folder, name = os.path.split(os.path.abspath(path))
                fd, self.partial = tempfile.mkstemp(prefix=f"{name}.", suffix=".partial", dir=folder)
                # mkstemp makes the file private: give it the mode FILE has, or would get from open().
                os.fchmod(fd, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
                self.stream = os.fdopen(fd, "wb")
        except OSError as exc:
            raise self._error("open", exc) from None

    def _error(self, verb: str, exc: OSError) -> PlugrefError:
        return PlugrefError(f"can't {verb} {self.path}: {exc.strerror or exc}", "INSPECT-OUTPUT-SAFE")

    def write_error(self, exc: OSError) -> PlugrefError:
        """The error for a failed write, after dropping the incomplete output."""
        self.abandon(keep=False)
        return self._error("write", exc)

    def commit(self) -> None:
        try:
            self.stream.close()
            if self.partial is not None:
                os.replace(self.partial, self.path)
                self.partial = None
        except OSError as exc:
            raise self.write_error(exc) from None

    def abandon(self, keep: bool) -> str | None:
        """Close without touching the target; the partial file is kept if `keep` (its path is returned)."""
        try:
            self.stream.close()
        except OSError:
            keep = False  # what it holds is incomplete even as a capture
        if self.partial is None:
            return None
        if not keep:
            try:
                os.unlink(self.partial)
            except OSError:
                pass
            self.partial = None
            return None
        return self.partial
