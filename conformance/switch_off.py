"""Proof that the suite bites: deliberate faults in a copy of the reference, each caught by the suite.

    python -m conformance.switch_off                      # every fault
    python -m conformance.switch_off FIELD-OVERLAP        # the faults of some clauses
    python -m conformance.switch_off --markdown docs/suite-bites.md     # the whole table
    python -m conformance.switch_off FIELD-OVERLAP --markdown docs/suite-bites.md   # those rows anew

For each fault, one edit breaks (or switches off) a rule in a temporary copy of the repository;
then `plugref conformance --target reference --clauses <its clause>` runs in the copy (the data
cases of the clause and the properties and tests that cite it) and must fail. A fault the suite
does not notice is reported as a hole. Exit status: the number of holes.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from conformance.catalogue import ROOT

#: clause -> (file, exact text, replacement): the smallest edit that turns the rule off.
SWITCHES = {
    "API-VERSION-FORMAT": ("reference/contract/versions.py", "semver.Version.parse(text)",
                           "semver.Version.parse(text, optional_minor_and_patch=True)"),
    "API-VERSION-COMPAT": ("reference/contract/versions.py", "return framework.patch >= required.patch",
                           "return framework.patch > required.patch"),
    "PLUGIN-TYPE": ("reference/host/loader.py", "if raw_type not in (PluginType.SOURCE, PluginType.EXTRACTOR):",
                    "if raw_type not in (PluginType.SOURCE, PluginType.EXTRACTOR) and False:"),
    "PLUGIN-SYMBOLS": ("reference/host/loader.py", "        if symbol not in library.symbols:\n",
                       "        if False:\n"),
    # the NULL check itself: the type check after it is PLUGIN-ANSWER-TYPES
    "PLUGIN-INFO-STRINGS": ("reference/host/loader.py", "    if value is None:\n        raise LoadError(where, f\"plugin_{call} returned NULL\"",
                            "    if False:\n        raise LoadError(where, f\"plugin_{call} returned NULL\""),
    "PLUGIN-VERSION-FORMAT": ("reference/host/loader.py", "if parse_version(version) is None:", "if False:"),
    "FIELDS-JSON": ("reference/contract/fields.py", 'if value is None or value == "":', "if value is None:"),
    "SRC-EVENT-SOURCE": ("reference/host/loader.py", 'if event_source == "":', "if False:"),
    "EXT-SOURCES": ("reference/host/loader.py",
                    "if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):",
                    "if not isinstance(sources, list):"),
    "INIT-SCHEMA": ("reference/host/loader.py", "    if error is not None:\n", "    if False:\n"),
    "INIT-FAILURE": ("reference/host/loader.py", "        if rc != ReturnCode.SUCCESS:\n            self.lifecycle",
                     "        if False:\n            self.lifecycle"),
    "PLUGIN-LIFECYCLE": ("reference/contract/lifecycle.py", "if allowed is not None and self.state not in allowed:",
                         "if False:"),
    "PLUGIN-NAME-UNIQUE": ("reference/host/registry.py", "if self.by_name(info.name) is not None:", "if False:"),
    "SRC-ID-RULES": ("reference/host/registry.py", "if info.id == ZERO_ID:", "if False:"),
    "SRC-ID-UNIQUE": ("reference/host/registry.py", "if same_id is not None:", "if False:"),
    "SRC-EXCLUSIVE": ("reference/host/registry.py", "if same_source is not None:", "if False:"),
    "FIELD-OVERLAP": ("reference/host/registry.py", "        if overlap:\n", "        if False:\n"),
    "EXT-ROUTING": ("reference/host/registry.py",
                    "return not info.extract_event_sources or (source is not None and source in "
                    "info.extract_event_sources)", "return True"),
    "NEXT-BATCH-EMPTY-SUCCESS": ("reference/host/engine.py", "if rc == _SUCCESS:\n                raise",
                                 "if False:\n                raise"),
    "NEXT-BATCH-DEFERRED-RC": ("reference/host/engine.py", "self._deferred = rc", "self._deferred = _SUCCESS"),
    "EVT-NUM-FROM-ONE": ("reference/host/engine.py", "for num, (data, ts, _evtnum) in enumerate(events, first_num)]", "for num, (data, ts, _evtnum) in enumerate(events, first_num - 1)]"),
    "TS-NOW": ("reference/host/engine.py", "clock() if ts == TS_NOW else ts,", "ts,"),
    "EXTRACT-ARG-EMPTY": ("reference/host/loader.py", "ExtractRequest(field.field_id, field.name, arg, field.type)",
                          "ExtractRequest(field.field_id, field.name, arg or None, field.type)"),
    "EXTRACT-FAILURE-NO-VALUE": ("reference/host/loader.py", "    return rc != _SUCCESS\n", "    return False\n"),
    "SDK-EXCEPTIONS": ("reference/sdk.py", "instance._ended = True", "pass"),
    "REGISTRY-RULES": ("reference/host/falco_registry.py", "if entry.name in names:", "if False:"),
    "REGISTRY-IDENTITY": ("reference/host/falco_registry.py", "if owner is not None and owner.name != name:",
                          "if False:"),
    "FILTER-GRAMMAR": ("reference/filter/parser.py", "negate = not negate", "negate = True"),
    "FILTER-ESCAPES": ("reference/filter/lexer.py", '"n": "\\n"', '"n": "n"'),
    "FILTER-PRINT": ("reference/filter/ast.py",
                     'return "(" + joiner.join(to_text(child) for child in node.children) + ")"',
                     'return joiner.join(to_text(child) for child in node.children)'),
    "FILTER-MIXED-ANDOR": ("reference/filter/parser.py", 'return self._chain("or", Or, self._and)',
                           'return self._chain("or", Or, self._not)'),
    "FILTER-ERRORS": ("reference/filter/lexer.py", 'return FilterError(message, self.position(idx), "FILTER-GRAMMAR")',
                      'return FilterError(message, None, "FILTER-GRAMMAR")'),
    "FILTER-COMPILE": ("reference/filter/compiler.py", "        if resolved is None:\n", "        if False:\n"),
    "FILTER-OPERATORS": ("reference/filter/compiler.py", "return lambda v: rhs in v", "return lambda v: v in rhs"),
    "FILTER-MISSING-VALUE": ("reference/filter/compiler.py", "(({variable} := {value}) is not None and {verdict})",
                             "(({variable} := {value}) is None or {verdict})"),
    "FILTER-TRANSFORMERS": ("reference/filter/transformers.py", 'return _ascii_map(text, 32, "A", "Z")',
                            "return text"),
    "FILTER-VAL": ("reference/filter/compiler.py", "        if right.shape.type != left.shape.type:\n",
                   "        if False:\n"),
    "FILTER-MODIFIERS": ("reference/filter/compiler.py",
                         "return lambda value, tests: sum(1 for t in tests if t(value)) == 1",
                         "return lambda value, tests: sum(1 for t in tests if t(value)) >= 1"),
    "FILTER-REGEX": ("reference/filter/compiler.py", "options.posix_syntax = True", "options.posix_syntax = False"),
    "FILTER-TYPES": ("reference/filter/compiler.py", 'return text == "true"', 'return text == "false"'),
    "FILTER-WARNINGS": ("reference/filter/compiler.py", "if name and self.table.resolve(name.group(1)) is not None:",
                        "if False:"),
    "FILTER-PLUGIN-FIELDS": ("reference/host/event_fields.py", "found = self.registry.resolve_field(self.source, name)",
                             "found = None"),
    "EVT-FIELDS": ("reference/host/event_fields.py", "lambda c: c.event.num)", "lambda c: c.event.num + 1)"),
    # The host batches: every planned field of a plugin in one call, as the API allows and no host does.
    "EXTRACT-BATCHED": ("reference/host/event_fields.py", "mode: ExtractionMode = ExtractionMode.LAZY):",
                        "mode: ExtractionMode = ExtractionMode.BATCHED):"),
    "OUTPUT-FORMAT": ("reference/output.py", "text = text[:width].ljust(width)",
                      "text = text.ljust(width)"),
    "OUTPUT-MISSING": ("reference/output.py", "                if not self.keep_missing:\n                    return None",
                       "                if False:\n                    return None"),
    "OUTPUT-JSON": ("reference/output.py", "if builtin is not None and builtin.json_is_timestamp:", "if False:"),
    "OUTPUT-TRANSFORMERS": ("reference/output.py", 'if any(text.startswith(name + "(", i) for name in TRANSFORMERS):',
                            "if False:"),
    "OUTPUT-VALUES": ("reference/output.py", 'return "true" if value else "false"', "return str(value)"),
    "OUTPUT-DEFAULT": ("reference/tools/inspector.py", '"*%evt.num %evt.datetime.s [%evt.pluginname] %evt.plugininfo"',
                       '"*%evt.num %evt.datetime [%evt.pluginname] %evt.plugininfo"'),
    "CAPTURE-FORMAT": ("reference/host/capture.py", "SHB_MINOR = 2", "SHB_MINOR = 3"),
    "CAPTURE-BLOCK-TYPES": ("reference/host/capture.py", "    EVF_BLOCK_TYPE_V2: (True, V2_HEADER),\n", ""),
    "CAPTURE-GZIP": ("reference/host/capture.py", '_GZIP_MAGIC = b"\\x1f\\x8b"', '_GZIP_MAGIC = b"\\x00\\x00"'),
    "CAPTURE-BAD-FILE": ("reference/host/capture.py", "MAX_BLOCK = 64 * 1024 * 1024", "MAX_BLOCK = 2**40"),
    "CAPTURE-PLUGIN-VERSION": ("reference/tools/inspector.py", "        if errors:\n            reader.close()\n",
                               "        if False:\n            reader.close()\n"),
    "CAPTURE-UNKNOWN-PLUGIN": ("reference/host/event_fields.py", "        if self.source_plugin is None:\n",
                               "        if False:\n"),
    "CAPTURE-SYSDIG-INTEROP": ("reference/host/capture.py", "SHB_SECTION_LENGTH_UNKNOWN = 0xFFFFFFFFFFFFFFFF",
                               "SHB_SECTION_LENGTH_UNKNOWN = 0"),
    "CONFIG-PLUGINS": ("reference/falco/config.py", 'return json.dumps(value, sort_keys=True, separators=(",", ":"), '
                       'ensure_ascii=False)', 'return json.dumps(value, ensure_ascii=False)'),
    "CONFIG-LOAD-PLUGINS": ("reference/falco/config.py", "        if self.load_plugins is None:\n",
                            "        if True:\n"),
    "CONFIG-LIBRARY-PATH": ("reference/falco/config.py", "joined = posixpath.normpath(posixpath.join(directory, library_path))",
                            "joined = posixpath.join(directory, library_path)"),
    "CONFIG-SOURCE-NAME": ("reference/falco/app.py", "if plugin.info.is_source and plugin.name != entry.name:",
                           "if False:"),
    "FALCO-RUN": ("reference/falco/app.py", "        if not sources:\n", "        if False:\n"),
    "FALCO-VALIDATE": ("reference/falco/app.py", "return 0 if results.successful else 1", "return 0"),
    "CONFIG-RULE-MATCHING": ("reference/falco/config.py", "    if text.lower() not in RULE_MATCHING:\n", "    if False:\n"),
    "CONFIG-RUN-KEYS": ("reference/falco/config.py", '_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", '
                        '"on", "On", "ON"}', '_TRUE = {"true"}'),
    "EXTRACT-REQUEST": ("reference/contract/fields.py", "    for field_id, entry in enumerate(entries):",
                        "    for field_id, entry in enumerate(entries, 1):"),
    "OPEN-PARAMS-LIST": ("reference/host/loader.py",
                         'if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):',
                         'if not isinstance(entry, dict):'),
    "RULES-SHAPE": ("reference/falco/rules/reader.py", '        if node.value == "":\n', "        if False:\n"),
    "RULES-ITEM-KEYS": ("reference/falco/rules/reader.py", "                    if key not in EXPECTED_KEYS[kind]:",
                        "                    if False:"),
    "RULES-DEFINE": ("reference/falco/rules/collector.py", '    if lowered == "info":', '    if lowered == "inf":'),
    "RULES-APPEND-OVERRIDE": ("reference/falco/rules/collector.py",
                              'setattr(rule, key, f"{getattr(rule, key)} {text}" if op == "append" else text)',
                              "setattr(rule, key, text)"),
    "RULES-LISTS": ("reference/falco/rules/compiler.py", 'return f\'"{item}"\' if " " in item and', 'return item if " " in item and'),
    "RULES-MACROS": ("reference/falco/rules/compiler.py", "            if node.name in stack:\n", "            if False:\n"),
    "RULES-EXCEPTIONS": ("reference/falco/rules/compiler.py", 'return "(" + " or ".join(alternatives) + ")"',
                         'return "(" + " and ".join(alternatives) + ")"'),
    "RULES-EXCEPTIONS-SHAPE": ("reference/falco/rules/collector.py", "        if not isinstance(comps, list) or len(comps) != "
                               "len(exception.fields):", "        if not isinstance(comps, list):"),
    "RULES-UNKNOWN-SOURCE": ("reference/falco/rules/loader.py", "table = sources.get(rule.source)",
                             "table = sources.get(rule.source) or next(iter(sources.values()), None)"),
    "RULES-COMPILE": ("reference/falco/rules/compiler.py", "if rule.skip_if_unknown_filter and", "if False and"),
    "RULES-PLUGIN-VERSIONS": ("reference/contract/versions.py", "return have.major == want.major and (have.major",
                              "return (have.major"),
    "RULES-ENGINE-VERSION": ("reference/falco/rules/loader.py", '    if plugin_version_compatible(ENGINE_VERSION, required):',
                             '    if True:'),
    "RULES-ATOMIC": ("reference/falco/rules/loader.py", "    if not results.successful:\n        raise RulesLoadError(results)\n\n"
                     "    if not results.files:", "    if not results.successful:\n        return RuleSet([], results)\n\n"
                     "    if not results.files:"),
    "RULES-RESULTS": ("reference/falco/rules/reader.py", "        return node.start_mark.line + 1, node.start_mark.column + 1",
                      "        return node.start_mark.line, node.start_mark.column"),
    "ENGINE-RULES-PER-SOURCE": ("reference/falco/rules/loader.py", "if r.source == source and r.enabled and",
                                "if r.enabled and"),
    "ENGINE-STREAM": ("reference/falco/alerts.py", "                    if stream.ended:\n                        streams.remove(stream)",
                      "                    streams.remove(stream)"),
    "ALERT-TEXT": ("reference/falco/alerts.py", 'return f"{_time(self.ts)}: {self.priority} {self.output}"',
                   'return f"{_time(self.ts)}: {self.priority[:4]} {self.output}"'),
    "ALERT-JSON": ("reference/falco/alerts.py", '"tags": list(self.tags)', '"tags": list(reversed(self.tags))'),
    "CHECK-LOAD": ("reference/tools/plugin_check/checks.py", "        error, warning = id_diagnostics(info)\n        if error:",
                   "        error, warning = id_diagnostics(info)\n        if False:"),
    "CHECK-INIT": ("reference/tools/plugin_check/checks.py", "    if not error.strip():\n", "    if False:\n"),
    "CHECK-OPEN": ("reference/tools/plugin_check/checks.py", "        if instance is None:\n            problems.append(error)",
                   "        if False:\n            problems.append(error)"),
    "CHECK-NEXT-BATCH": ("reference/tools/plugin_check/checks.py", "if rc == ReturnCode.SUCCESS and not batch:", "if False:"),
    "CHECK-EXTRACT": ("reference/tools/plugin_check/checks.py", '        raise CheckFailed(f"{ctx.library.detail}: {exc.message}")'
                      " from None", "        return ReturnCode.FAILURE, [None] * len(requests)"),
    "CHECK-BATCHED-EXTRACTION": ("reference/tools/plugin_check/checks.py",
                                 "if rc == ReturnCode.SUCCESS and (x, y) != (a, b):", "if False:"),
    "CHECK-EVENT-TO-STRING": ("reference/tools/plugin_check/checks.py",
                              '        return f"event {number} ({describe_bytes(event.data)}): {exc.message}"',
                              "        return None"),
    "CHECK-PROGRESS": ("reference/tools/plugin_check/checks.py", "    if not 0 <= pct <= 10000:", "    if False:"),
    "CHECK-TEARDOWN": ("reference/tools/plugin_check/checks.py", '    "plugin_close": "teardown",', '    "plugin_close": "open",'),
    "CHECK-ISOLATION": ("reference/tools/plugin_check/isolation.py",
                        'return f"crashed ({signal.Signals(-returncode).name})"', 'return "exited"'),
    "CHECK-REPORT": ("reference/tools/plugin_check/__init__.py", 'status = EXIT_FAILED if counts["FAIL"] else EXIT_PASSED',
                     "status = EXIT_PASSED"),
    "SUITE-CASES": ("conformance/cases.py", '            if case["id"] in seen:', "            if False:"),
    "SUITE-ADAPTERS": ("conformance/adapters/protocol.py", "        if line is None:\n            raise ConnectionError",
                       "        if False:\n            raise ConnectionError"),
    "SUITE-REPORT": ("conformance/runner.py", "return 1 if any(o.unexpected_failure for o in self.outcomes) or self.stale "
                     "else 0", "return 0"),
    "SUITE-COVERAGE": ("conformance/runner.py", "    covered = set(cited_clauses())", "    covered = set()"),
    "SUITE-COUNTEREXAMPLES": ("conformance/differential.py", "found.update(case=case, problems=problems)",
                              "found.update(problems=problems)"),
    "NATIVE-STRUCT-LAYOUT": ("reference/host/native.py", '("field_present", ctypes.c_bool)',
                             '("field_present", ctypes.c_uint8 * 2)'),
    "NATIVE-EMPTY-ARG": ("reference/host/native.py", "slot.arg = arg_bytes  #", "slot.arg = arg_bytes or None  #"),
    "NATIVE-BAD-INPUT": ("reference/host/native.py", "        if count > MAX_BATCH_EVENTS:\n",
                         "        if False:\n"),
    "NATIVE-API-DISPATCH": ("reference/host/native.py", "    if major == 3:\n", "    if False:\n"),
    "NATIVE-MEMORY-COPY": ("reference/host/native.py", "append(new(Event, (memory[data:data + length].tobytes() if length else b\"\", ts, 0)))",
                           "append(new(Event, (memory[data:data + length] if length else b\"\", ts, 0)))"),
    "V3-CONTRACT-DISPATCH": ("reference/host/loader_v3.py", "    if why is not None:\n        raise LoadError(where, f\"plugin required",
                             "    if False:\n        raise LoadError(where, f\"plugin required"),
    "V3-STRUCT-LAYOUT": ("reference/contract/v3.py", '("arg_present", ctypes.c_uint32)', '("arg_present", ctypes.c_bool)'),
    "V3-REQUIRED-SYMBOLS": ("reference/host/loader_v3.py",
                            "        if symbol not in library.symbols:\n            raise LoadError(where, f\"required",
                            "        if False:\n            raise LoadError(where, f\"required"),
    "V3-CAPABILITIES": ("reference/host/loader_v3.py", "    if caps & Capability.BROKEN:\n", "    if False:\n"),
    "V3-SOURCE-ID": ("reference/host/loader_v3.py", "if plugin_id != 0 and event_source == SYSCALL_SOURCE:", "if False:"),
    "V3-SET-RULES": ("reference/host/registry_v3.py",
                     "if any(p.info.is_source and p.info.id == info.id for p in registry.plugins):", "if False:"),
    "V3-EXTRACT-SOURCES": ("reference/host/loader_v3.py", "        if event_source:\n            extract_sources.append",
                           "        if False:\n            extract_sources.append"),
    "CONFIG-APPEND-OUTPUT": ("reference/falco/rules/loader.py", "        if entry.suggested_output:\n",
                             "        if False:\n"),
    "V3-EVENT-SCHEMA": ("reference/host/loader_v3.py", "        if why is None:\n            return None\n        return (f\"plugin",
                        "        if True:\n            return None\n        return (f\"plugin"),
    "V3-INIT-INPUT": ("reference/host/loader_v3.py", "        if rc != ReturnCode.SUCCESS:\n            self.lifecycle",
                      "        if False:\n            self.lifecycle"),
    "V3-EVENT-FORMAT": ("reference/contract/v3.py", "_PLUGIN_PARAMS.pack(4, len(payload), plugin_id)",
                        "_PLUGIN_PARAMS.pack(4, len(payload), 0)"),
    "V3-EVENT-CHECKS": ("reference/host/loader_v3.py", "if event.plugin_id not in (0, own_id):", "if False:"),
    "V3-FIELDS-JSON": ("reference/contract/fields_v3.py", "    if not entries:\n", "    if False:\n"),
    "V3-FIELD-ARGS": ("reference/contract/fields_v3.py", 'if len(arg) > 1 and arg.startswith("0"):', "if False:"),
    "V3-EXTRACT-ONE-FIELD": ("reference/host/loader_v3.py", "        if len(request.values) > 1:\n", "        if False:\n"),
    "V3-OUTPUT-TYPES": ("reference/output.py", 'return "true" if value else "false"', "return str(value)"),
    "V3-SDK-CAPABILITIES": ("reference/sdk_v3.py", '        if cls.defines("open"):\n', "        if False:\n"),
    "CHECK-V3": ("reference/tools/plugin_check/child.py", '    if speaks_v3(info):  # the event',
                 '    if False:  # the event'),
    "SUITE-CONTRACTS": ("conformance/runner.py", 'if _contract(case["api_version"]) not in', 'if False and _contract(case["api_version"]) not in'),
    "V3-MIXED-CONTRACTS": ("reference/host/loader.py", '    if speaks_v3(info):\n        from',
                           '    if False:\n        from'),
}

# Reliability (bad input never loses data, never blows up).
SWITCHES.update({
    "RELIABILITY-BAD-INPUT": ("reference/tools/cli.py", '        print(f"plugref: error: {exc}", file=sys.stderr)\n'
                              '        return 1', '        print(f"plugref: error: {exc}", file=sys.stderr)\n        return 70'),
    "PLUGIN-ANSWER-TYPES": ("reference/host/loader.py", "def _is_int(value: Any) -> bool:\n    return isinstance(value, int) "
                            "and not isinstance(value, bool)", "def _is_int(value: Any) -> bool:\n    return True"),
    "DEFINITION-KEYS": ("fake_plugins/defined.py", "        check_definition(definition)\n", ""),
    "RULES-EXPANSION-LIMITS": ("reference/falco/rules/compiler.py", "MAX_CONDITION_NODES = 100_000",
                               "MAX_CONDITION_NODES = 10**9"),
    "YAML-LIMITS": ("reference/falco/yaml_limits.py", "MAX_YAML_DEPTH = 200", "MAX_YAML_DEPTH = 10**6"),
    "CONFIG-ERRORS": ("reference/falco/config.py", "            if not library:\n", "            if False:\n"),
    "FILTER-DEPTH": ("reference/filter/depth.py", "MAX_DEPTH = 1000", "MAX_DEPTH = 2000"),
    "OUTPUT-WIDTH-LIMIT": ("reference/output.py", "            if width is not None and width > MAX_FIELD_WIDTH:",
                           "            if False:"),
    "INSPECT-OUTPUT-SAFE": ("reference/tools/inspector.py", "settings.write is not None and same_file(settings.read, "
                            "settings.write)", "False"),
})


#: Seconds one fault's clause run may take before the fault counts as not caught (a hang).
FAULT_TIMEOUT = 900

#: Further faults named by the conformance issue: (name, clause, file, text, replacement).
EXTRA_FAULTS = [
    ("NA-dropped", "OUTPUT-MISSING", "reference/output.py", 'NOT_AVAILABLE = "<NA>"', 'NOT_AVAILABLE = ""'),
    ("not-equal-true-on-missing", "FILTER-MISSING-VALUE", "reference/filter/compiler.py",
     "        if op == \"exists\":\n",
     "        if op == \"!=\":\n            return f\"({value} != {self.rhs(check)[0]!r})\"\n"
     "        if op == \"exists\":\n"),
    ("res-str-offset", "NATIVE-STRUCT-LAYOUT", "reference/host/native.py",
     '("field_present", ctypes.c_bool), ("res_str", ctypes.c_void_p)',
     '("field_present", ctypes.c_bool), ("pad", ctypes.c_uint64), ("res_str", ctypes.c_void_p)'),
]


def faults(clauses: list[str] | None = None) -> list[tuple[str, str, str, str, str]]:
    """Every fault as (name, clause, file, text, replacement), optionally only for some clauses."""
    every = [(clause, clause, *edit) for clause, edit in sorted(SWITCHES.items())] + EXTRA_FAULTS
    return [f for f in every if not clauses or f[1] in clauses or f[0] in clauses]


def run_fault(fault: tuple[str, str, str, str, str]) -> tuple[bool, str]:
    """(the suite failed as it should, what it said) for one fault."""
    name, clause, path, old, new = fault
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", ".hypothesis", "__pycache__", ".cache"))
        source = (copy / path).read_text()
        if source.count(old) != 1:
            return False, f"fault text not found exactly once in {path}"
        (copy / path).write_text(source.replace(old, new))
        # Its own process group, so that a run that does not end is stopped whole (pytest included).
        process = subprocess.Popen([sys.executable, "-m", "reference.tools.cli", "conformance", "--target", "reference",
                                    "--clauses", clause, "--no-save"], cwd=copy, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True,
                                   env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "CI": "1"})
        try:
            stdout, stderr = process.communicate(timeout=FAULT_TIMEOUT)
        except subprocess.TimeoutExpired:
            # A suite that hangs on a fault has not caught it: a user would wait for ever.
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return False, f"the suite did not finish within {FAULT_TIMEOUT} s"
        result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        said = [line for line in result.stdout.splitlines() if line.startswith(("FAIL", "SKIP"))]
        # A fault in the report's own exit status still shows as a FAIL line.
        caught = result.returncode != 0 or any(line.startswith("FAIL") for line in said)
        last = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        return caught, (said[0] if said else (last[-1] if last else f"exit status {result.returncode}"))


TABLE_HEAD = ["# The suite bites: deliberate faults, each caught", "",
              "Made with `python -m conformance.switch_off --markdown docs/suite-bites.md`. Each row is one "
              "deliberate fault applied to a copy of the reference (the edit is in `conformance/switch_off.py`); "
              "`plugref conformance --target reference --clauses <clause>` then runs in the copy and must fail."]


def table_row(fault: tuple[str, str, str, str, str], bites: bool, said: str) -> str:
    name, clause, path, old, new = fault
    edit = f"`{path}`: `{old.strip()[:60]}` → `{new.strip()[:60]}`".replace("\n", " ").replace("|", "\\|")
    return f"| {name} | `{clause}` | {edit} | {'yes' if bites else '**no**'} | {said.replace('|', '/')[:160]} |"


def write_table(markdown: Path, rows: dict[str, str], partial: bool) -> None:
    """The fault table of `markdown` made of `rows` (fault name -> row). A partial run (some
    clauses) replaces those rows of the table already there and keeps the others, so that rerunning
    one fault keeps the whole table true."""
    text = markdown.read_text() if markdown.exists() else ""
    table, mutation = text.partition("\n## Mutation testing")[0], "".join(text.partition("\n## Mutation testing")[1:])
    if partial:
        kept = {line.split(" | ")[0][2:]: line for line in table.splitlines() if line.startswith("| ")
                and not line.startswith(("| fault ", "|---"))}
        order = list(kept) + [name for name in rows if name not in kept]
        rows = {name: rows.get(name, kept.get(name)) for name in order}
    caught = sum(" | yes | " in row for row in rows.values())
    lines = TABLE_HEAD + ["", f"{caught} of {len(rows)} faults caught.", "",
                          "| fault | clause | edit | caught | what the suite said |", "|---|---|---|---|---|"]
    markdown.write_text("\n".join(lines + list(rows.values())) + "\n" + mutation)


def main(argv: list[str]) -> int:
    markdown = None
    if "--markdown" in argv:
        index = argv.index("--markdown")
        markdown = Path(argv[index + 1])
        argv = argv[:index] + argv[index + 2:]
    holes, rows = 0, {}
    for fault in faults(argv or None):
        bites, said = run_fault(fault)
        holes += not bites
        rows[fault[0]] = table_row(fault, bites, said)
        print(f"{'caught' if bites else 'HOLE  '} {fault[0]:26} {said}", flush=True)
    if markdown is not None:
        write_table(markdown, rows, partial=bool(argv))
    return holes


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
