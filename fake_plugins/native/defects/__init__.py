"""Native plugins with one known defect each, for `plugref check` (reference/plugin_check).

Each `<name>.c` here includes `base_plugin.h`, a small well-behaved source plugin, and replaces
the function(s) that carry its defect; the first comment of the file says which check must fail.
`build_defect(name)` compiles one with gcc into the shared native cache (.cache/native).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from fake_plugins.native.build import DEFAULT_CACHE, BuildError

DEFECTS_DIR = Path(__file__).resolve().parent
BASE_HEADER = DEFECTS_DIR / "base_plugin.h"
#: Not -Werror: a defect is sometimes exactly what a warning is about.
CFLAGS = ("-shared", "-fPIC", "-O1", "-Wall", "-Wextra")


def defect_names() -> list[str]:
    return sorted(path.stem for path in DEFECTS_DIR.glob("*.c"))


def build_defect(name: str, defines: dict[str, str | None] | None = None,
                 cache_dir: str | Path | None = None) -> Path:
    """The compiled defect plugin `name` (built once per source, header and defines, then cached)."""
    source = DEFECTS_DIR / f"{name}.c"
    if not source.is_file():
        raise ValueError(f"no defect plugin {name!r} (known: {', '.join(defect_names())})")
    flags = [f"-D{key}" if value is None else f"-D{key}={value}" for key, value in sorted((defines or {}).items())]
    key = hashlib.sha256(b"\0".join([source.read_bytes(), BASE_HEADER.read_bytes(),
                                     " ".join(CFLAGS + tuple(flags)).encode()])).hexdigest()[:16]
    cache = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE
    target = cache / f"defect-{name}-{key}.so"
    if target.is_file():
        return target
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise BuildError("no C compiler (gcc or cc) on PATH")
    cache.mkdir(parents=True, exist_ok=True)
    # Build under a temporary name and rename, so concurrent builders never see a partial file.
    fd, temporary = tempfile.mkstemp(suffix=".so", dir=cache)
    os.close(fd)
    command = [compiler, *CFLAGS, *flags, f"-I{DEFECTS_DIR}", "-o", temporary, str(source)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        os.unlink(temporary)
        raise BuildError(f"{' '.join(command)} failed:\n{result.stderr}")
    os.replace(temporary, target)
    return target
