"""pytest fixtures for the native fake plugin, registered for every test by the root conftest.py.

Only the tests that ask for them build anything (with gcc, once per source, into a cache).
"""
from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest

from fake_plugins.native.build import BuildError, build_native_fake, compile_cached, native_copy


@pytest.fixture(scope="session")
def native_build() -> Path:
    """The compiled native fake plugin with every symbol (built once per source, then cached)."""
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        pytest.skip("no C compiler: the native fake plugin cannot be built")
    try:
        return build_native_fake()
    except BuildError as exc:
        pytest.fail(f"the native fake plugin does not compile: {exc}")


@pytest.fixture(scope="session")
def native_dir(tmp_path_factory, native_build) -> Path:
    """A folder for native copies shared by the whole session."""
    return tmp_path_factory.mktemp("native")


@pytest.fixture(scope="session")
def make_native(native_dir):
    """`make_native(definition) -> path`: a fresh copy (its own file, so its own definition)."""
    counter = itertools.count()

    def make(definition: dict, **kwargs) -> Path:
        return native_copy(definition, native_dir / f"copy{next(counter)}", **kwargs)

    return make


def compile_shared(source: str, target: Path, defines: dict[str, str | None] | None = None) -> Path:
    """Compile C `source` into the shared library `target` (for small ad-hoc test plugins).

    The build is cached per source text and defines (a mutation run starts a fresh session for every
    mutant, and gcc would otherwise dominate it); `target` is a copy of the cached build, so that each
    call gets its own file and therefore its own dlopen handle and static state. The copy replaces
    `target` by a rename, never in place: a library already loaded from that path stays intact."""
    target = Path(target)
    c_file = target.with_suffix(".c")
    c_file.write_text(source)
    flags = [f"-D{k}" if v is None else f"-D{k}={v}" for k, v in (defines or {}).items()]
    built = compile_cached(c_file, ["-shared", "-fPIC", "-O1", "-Wall", "-Wextra", *flags], stem="adhoc")
    partial = target.with_suffix(".so.partial")
    shutil.copyfile(built, partial)
    os.replace(partial, target)
    return target


@pytest.fixture(scope="session")
def compile_plugin(tmp_path_factory):
    """`compile_plugin(source, name, **defines) -> path`, skipping the test when gcc is missing."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    folder = tmp_path_factory.mktemp("adhoc")

    def build(source: str, name: str, **defines) -> Path:
        return compile_shared(source, folder / f"{name}.so", defines)

    return build
