"""Building the native fake plugin and placing copies of it next to their definitions.

`build_native_fake()` compiles `defined_plugin.c` once per source text (and set of omitted
symbols) into a cache folder; `native_copy(definition, directory)` puts a copy of the right build
at `directory/<name>.so` with the definition beside it at `directory/<name>.so.json`, where the
plugin looks for it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from reference.contract.v0_3 import ALL_SYMBOLS

SOURCE = Path(__file__).with_name("defined_plugin.c")
GENERATOR_SOURCE = Path(__file__).with_name("generator.c")
EXTRACTOR_SOURCE = Path(__file__).with_name("well_behaved_extractor.c")
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = REPO_ROOT / ".cache" / "native"
CFLAGS = ("-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror")


class BuildError(RuntimeError):
    """gcc is missing or refused the source."""


def build_native_fake(cache_dir: str | Path | None = None, omit: frozenset[str] | set[str] = frozenset()) -> Path:
    """The compiled plugin, built now only if this source (and `omit` set) has no cached build.

    `omit` lists `plugin_*` symbols the build must not export: a library's symbol table is fixed
    when it is linked, so this is how a definition's omitted symbols are obtained.
    """
    unknown = set(omit) - set(ALL_SYMBOLS)
    if unknown:
        raise ValueError(f"not symbols of the 0.3.0 contract: {sorted(unknown)}")
    return compile_cached(SOURCE, [*CFLAGS, *(f"-DOMIT_{s}" for s in sorted(omit))], cache_dir=cache_dir)


def build_generator(cache_dir: str | Path | None = None) -> Path:
    """The compiled generator plugin (fake_plugins/native/generator.c), for benchmarks."""
    return compile_cached(GENERATOR_SOURCE, list(CFLAGS), cache_dir=cache_dir)


def build_well_behaved_extractor(cache_dir: str | Path | None = None) -> Path:
    """The compiled well-behaved native extractor (fake_plugins/native/well_behaved_extractor.c)."""
    return compile_cached(EXTRACTOR_SOURCE, list(CFLAGS), cache_dir=cache_dir)


def compile_cached(source: Path, flags: list[str], *, inputs: tuple[Path, ...] = (), stem: str | None = None,
                   cache_dir: str | Path | None = None, cplusplus: bool = False) -> Path:
    """Compile C (or, with `cplusplus`, C++ with g++) `source` with `flags` into the cache, once
    per content of the source, the other `inputs` (headers) and the flags; later calls return
    the cached build."""
    digest = hashlib.sha256(b"\0".join([source.read_bytes(), *(p.read_bytes() for p in inputs),
                                        " ".join(flags).encode(), b"c++" if cplusplus else b"c"]))
    cache = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE
    target = cache / f"{stem or source.stem}-{digest.hexdigest()[:16]}.so"
    if target.is_file():
        return target
    compiler = (shutil.which("g++") or shutil.which("c++")) if cplusplus else (shutil.which("gcc") or shutil.which("cc"))
    if compiler is None:
        raise BuildError("no C++ compiler (g++ or c++) on PATH" if cplusplus else "no C compiler (gcc or cc) on PATH")
    cache.mkdir(parents=True, exist_ok=True)
    # Build under a temporary name and rename, so concurrent builders never see a partial file.
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=cache)
    os.close(fd)
    command = [compiler, *flags, "-o", tmp, str(source)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        os.unlink(tmp)
        raise BuildError(f"{' '.join(command)} failed:\n{result.stderr}")
    os.replace(tmp, target)
    return target


def omitted_symbols(definition: dict) -> frozenset[str]:
    """The symbols the Python twin of `definition` does not export, which the copy must lack too."""
    from fake_plugins.defined import DefinedLibrary

    return frozenset(ALL_SYMBOLS) - DefinedLibrary(definition).symbols


def native_copy(definition: dict, directory: str | Path, *, name: str | None = None,
                cache_dir: str | Path | None = None, omit: frozenset[str] | None = None) -> Path:
    """Place a native plugin answering from `definition` at `directory/<name>.so`.

    The file is a real copy, not a hard link: glibc recognises a library it has loaded by device
    and inode, so two links to one file would be one library with one definition. `omit` defaults
    to the symbols DefinedLibrary would not export for this definition.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = name or str(definition.get("name") or "plugin")
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem) or "plugin"
    built = build_native_fake(cache_dir, omitted_symbols(definition) if omit is None else omit)
    target = directory / f"{stem}.so"
    shutil.copyfile(built, target)
    # json.dumps writes nested values the way DefinedLibrary serialises them, and the plugin hands
    # nested JSON out verbatim, so both give the same text.
    Path(f"{target}.json").write_text(json.dumps(definition))
    return target.resolve()


V3_SOURCE = Path(__file__).with_name("v3_plugin.c")


def build_v3_plugin(defines: dict[str, str | None] | None = None, cache_dir: str | Path | None = None) -> Path:
    """The native 3.x fake plugin (fake_plugins/native/v3_plugin.c) built with `defines`, e.g.
    {"EXTRACT_ONLY": None} or {"API": '"3.13.0"'}; cached per source and flags."""
    flags = [f"-D{k}" if v is None else f"-D{k}={v}" for k, v in sorted((defines or {}).items())]
    return compile_cached(V3_SOURCE, [*CFLAGS, *flags], cache_dir=cache_dir)


V3_DEFINED_SOURCE = Path(__file__).with_name("v3_defined.c")


def v3_native_copy(definition: dict, directory: str | Path, *, cache_dir: str | Path | None = None) -> Path:
    """`native_copy` for the 3.x definition plugin (v3_defined.c): a copy at directory/<name>.so
    with the definition beside it, omitting the symbols DefinedLibraryV3 does not export."""
    from fake_plugins.defined_v3 import DefinedLibraryV3

    omit = (frozenset(ALL_SYMBOLS) - DefinedLibraryV3(definition).symbols) | {"plugin_get_type"}
    built = compile_cached(V3_DEFINED_SOURCE, [*CFLAGS, *(f"-DOMIT_{s}" for s in sorted(omit))],
                           inputs=(SOURCE,), cache_dir=cache_dir)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(definition.get("name") or "plugin")) or "plugin"
    target = directory / f"{stem}.so"
    shutil.copyfile(built, target)
    Path(f"{target}.json").write_text(json.dumps(definition))
    return target.resolve()
