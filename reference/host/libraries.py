"""Where plugin libraries come from: a Python module, or a plugin definition file.

`open_library("fake_plugins.counter")` imports the module and takes its `PLUGIN` class (a
`reference.sdk` or `reference.sdk_v3` plugin) or its `library()` factory; a `.json`/`.yaml` file is a plugin
definition (fake_plugins/defined.py). Native `.so` files go through the ctypes bridge.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from reference.contract.v0_3 import PluginLibrary
from reference.errors import PlugrefError
from reference.host.native import is_native_path, open_native

DEFINITION_SUFFIXES = (".json", ".yaml", ".yml")


def open_library(spec: str) -> PluginLibrary:
    """A PluginLibrary for `spec`, or PlugrefError saying why there is none."""
    path = Path(spec)
    if path.suffix in DEFINITION_SUFFIXES:
        if not path.is_file():
            raise PlugrefError(f"cannot load plugin {spec}: no such definition file")
        import yaml  # here, not at the top: only definition files need it

        from fake_plugins.defined import DefinedLibrary  # definitions are a test-plugin format

        try:
            return DefinedLibrary.from_file(path)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            problem = str(exc).replace("\n", " ")
            raise PlugrefError(f"cannot load plugin {spec}: not a valid plugin definition: {problem}") from None
    if is_native_path(spec) or "/" in spec:
        if not path.is_file():
            raise PlugrefError(f"cannot load plugin {spec}: no such file")
        return open_native(path.resolve())
    # Here, not at the top: a run of native plugins never needs the Python SDKs (start-up time).
    from reference.sdk import Plugin, PythonLibrary
    from reference.sdk_v3 import Plugin as PluginV3, PythonLibraryV3

    try:
        module = importlib.import_module(spec)
    except ImportError as exc:
        raise PlugrefError(f"cannot load plugin {spec}: no Python module of that name ({exc})") from None
    if hasattr(module, "library") and callable(module.library) and not hasattr(module, "PLUGIN"):
        return module.library()
    plugin_class = getattr(module, "PLUGIN", None)
    if isinstance(plugin_class, type) and issubclass(plugin_class, PluginV3):
        return PythonLibraryV3(plugin_class, spec)
    if not (isinstance(plugin_class, type) and issubclass(plugin_class, Plugin)):
        raise PlugrefError(f"cannot load plugin {spec}: the module has no PLUGIN class (a reference.sdk plugin)")
    return PythonLibrary(plugin_class, spec)
