"""Native fakes that behave like the official plugins of early 2022 and their SDKs.

Written from observed facts (never from upstream code), so that plugref is tried on what real
plugins do rather than on its own fakes' manners:
- `cloudtrail` (cloudtrail.c), `json` (json_extractor.c) and `dummy` (dummy.c), like cloudtrail
  0.2.5, json 0.2.2 and dummy 0.2.1 built with plugin-sdk-go v0.1.0 (sdk_go.h: "properties":null in get_fields, one result buffer
  per field ID, the whole extract_fields call fails at the first failing field, optionally the
  31-handle limit);
- `dummy_c` (dummy_c.cpp), like dummy_c 0.2.1 built with the C++ wrapper of the time: ID 0, and
  C++ exceptions escaping extract_fields.
`build_sdk_like(name)` compiles one (gcc, or g++ for C++) into the shared native cache.
"""
from __future__ import annotations

from pathlib import Path

from fake_plugins.native.build import compile_cached

SDK_LIKE_DIR = Path(__file__).resolve().parent
HEADERS = (SDK_LIKE_DIR / "sdk_go.h", SDK_LIKE_DIR / "json_pointer.h")
SOURCES = {"cloudtrail": "cloudtrail.c", "json": "json_extractor.c", "dummy": "dummy.c", "dummy_c": "dummy_c.cpp"}
CFLAGS = ("-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror")


def build_sdk_like(name: str, defines: dict[str, str | None] | None = None,
                   cache_dir: str | Path | None = None) -> Path:
    """The compiled SDK-like fake `name` (one of SOURCES), built once per source and defines."""
    if name not in SOURCES:
        raise ValueError(f"no SDK-like fake {name!r} (known: {', '.join(SOURCES)})")
    source = SDK_LIKE_DIR / SOURCES[name]
    flags = [f"-D{key}" if value is None else f"-D{key}={value}" for key, value in sorted((defines or {}).items())]
    return compile_cached(source, [*CFLAGS, *flags, f"-I{SDK_LIKE_DIR}"], inputs=HEADERS,
                          stem=f"sdk-like-{name}", cache_dir=cache_dir, cplusplus=source.suffix == ".cpp")
