"""sysdig 0.29 (Debian) as an implementation under test, driven as a subprocess.

Each plugin definition becomes a copy of the native fake plugin (fake_plugins/native/), which sysdig
loads with -H; a case's input is opened with -I (by path: sysdig 0.29 cannot open by name).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from fake_plugins.native.build import native_copy

TIMEOUT = 60


class SysdigAdapter:
    name = "sysdig"

    def __init__(self, executable: str = "sysdig"):
        self.executable = shutil.which(executable)

    def describe(self) -> dict:
        version = "not installed"
        if self.executable:
            result = subprocess.run([self.executable, "--version"], capture_output=True, text=True, timeout=TIMEOUT)
            version = result.stdout.strip().split()[-1] if result.stdout.strip() else "?"
        return {"implementation": {"name": "sysdig", "version": version, "language": "c++"},
                "api_versions": ["0.3.0"], "capabilities": ["load", "inspect", "capture"]}

    def close(self) -> None:
        pass

    def run(self, case: dict) -> dict:
        if self.executable is None:
            return {"skipped": {"reason": "sysdig is not installed"}}
        if case["kind"] == "rules":
            return {"skipped": {"reason": "sysdig has no rules engine"}}
        with tempfile.TemporaryDirectory() as folder:
            paths = [native_copy(p["definition"], Path(folder) / f"p{i}", name=f"plugin{i}")
                     for i, p in enumerate(case["plugins"])]
            specs = [f"{path}:{p['init_config']}" if p.get("init_config") else str(path)
                     for path, p in zip(paths, case["plugins"])]
            return {"observed": getattr(self, f"_{case['kind']}")(case, paths, specs, Path(folder))}

    def _sysdig(self, *args: str) -> tuple[int, str, str]:
        result = subprocess.run([self.executable, *args], capture_output=True, text=True, timeout=TIMEOUT,
                                env={**os.environ, "TZ": "UTC"})
        return result.returncode, result.stdout, result.stderr

    @staticmethod
    def _error(stdout: str, stderr: str) -> str:
        text = (stderr.strip() or stdout.strip()).splitlines()
        return text[-1] if text else "sysdig failed with no message"

    def _load(self, case: dict, paths, specs, folder) -> dict:
        """One verdict per plugin: each is added to those sysdig accepted before it."""
        accepted, verdicts = [], []
        for spec in specs:
            args = [a for s in accepted + [spec] for a in ("-H", s)]
            code, out, err = self._sysdig(*args, "-Il")
            if code == 0:
                accepted.append(spec)
                verdicts.append("ok")
            else:
                verdicts.append({"error": self._error(out, err)})
        return {"verdicts": verdicts}

    def _plugin_args(self, specs) -> list[str]:
        return [a for spec in specs for a in ("-H", spec)]

    def _input_args(self, case: dict, paths) -> list[str]:
        source = str(paths[case.get("input", 0)])
        return ["-I", f"{source}:{case['open_params']}" if case.get("open_params") else source]

    def _print_args(self, case: dict) -> list[str]:
        args = ["-p", case["format"]] if case.get("format") else []
        return args + (["-j"] if case.get("json") else [])

    def _result(self, case: dict, code: int, out: str, err: str) -> dict:
        if code != 0:
            return {"error": self._error(out, err)}
        lines = out.splitlines()
        if case.get("json"):
            return {"json_lines": [json.loads(line) for line in lines]}
        return {"lines": lines}

    def _inspect(self, case: dict, paths, specs, folder) -> dict:
        args = self._plugin_args(specs) + self._input_args(case, paths) + self._print_args(case)
        if case.get("max_events") is not None:
            args += ["-n", str(case["max_events"])]
        if case.get("filter"):
            args.append(case["filter"])
        return self._result(case, *self._sysdig(*args))

    def _capture(self, case: dict, paths, specs, folder) -> dict:
        capture = str(folder / "case.scap")
        args = self._plugin_args(specs) + self._input_args(case, paths) + ["-w", capture]
        code, out, err = self._sysdig(*args, *([case["filter"]] if case.get("filter") else []))
        if code != 0:
            return {"error": self._error(out, err)}
        return self._result(case, *self._sysdig(*self._plugin_args(specs), "-r", capture, *self._print_args(case)))
