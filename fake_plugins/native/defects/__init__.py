"""Native plugins with one known defect each, for `plugref check` (reference/tools/plugin_check).

Each `<name>.c` here includes `base_plugin.h`, a small well-behaved source plugin, and replaces
the function(s) that carry its defect; the first comment of the file says which check must fail.
`build_defect(name)` compiles one with gcc into the shared native cache (.cache/native).
"""
from __future__ import annotations

from pathlib import Path

from fake_plugins.native.build import compile_cached

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
    return compile_cached(source, [*CFLAGS, *flags, f"-I{DEFECTS_DIR}"], inputs=(BASE_HEADER,),
                          stem=f"defect-{name}", cache_dir=cache_dir)
