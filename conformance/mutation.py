"""Mutation testing of reference/: the code-level proof that the suite bites.

switch_off plants one chosen fault per clause; this runs mutmut, which plants every mutation it knows
(operators swapped, conditions negated, constants moved, arguments dropped, return values replaced) in
one module at a time and runs the tests that cover that module against each mutant.

    python -m conformance.mutation [MODULE...] [--budget SECONDS] [--markdown docs/suite-bites.md] [--keep]
    python -m conformance.mutation MODULE --resume WORKDIR [--only MUTANT...]   (continue a --keep run)
    python -m conformance.mutation --table-only --markdown docs/suite-bites.md
    python -m conformance.mutation --equivalent MUTANT "one-line reason" [--equivalent ...] [--markdown ...]

MODULE is a path such as reference/filter/compiler.py (default: every module in COVERING_TESTS). Each
module runs in its own copy of the project (mutmut writes a mutants/ tree next to the code it mutates),
with at most --budget seconds of mutmut per module (default 600); mutants not reached in time are
reported as not run, never as killed. Scores are merged into conformance/data/mutation-scores.json;
--markdown rewrites the mutation section of that file. Surviving mutants are printed with their diff:
kill each with a test, or, when no behaviour can tell it apart, list it in
conformance/data/equivalent-mutants.yaml with a one-line reason (--equivalent does it from the last run's
record of the survivor). Entries whose mutant changed, is gone (mutmut numbers the mutants of a function
anew when it changes) or is killed now are reported as stale; --drop-stale removes them.

Run it niced; it uses one worker (mutmut --max-children 1) so that it shares a small machine.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCORES = ROOT / "conformance" / "data" / "mutation-scores.json"
EQUIVALENTS = ROOT / "conformance" / "data" / "equivalent-mutants.yaml"
SECTION = "## Mutation testing"
# mutmut's own entry point (running it as `python -m mutmut` makes it import itself twice).
MUTMUT = [sys.executable, "-c", "from mutmut.__main__ import cli; cli()"]

# The tests that exercise each module in-process (mutmut only sees calls made in the test process, so
# tests that run plugref as a subprocess cannot kill a mutant and are left out to save time; so are tests that
# signal their own process, such as tests/test_inspect_output.py, whose SIGINT stops mutmut itself).
# The grammar, its messages, its depth limit and its printing (FILTER-GRAMMAR, FILTER-TRANSFORMERS,
# FILTER-MODIFIERS, FILTER-ERRORS, FILTER-DEPTH, FILTER-PRINT) are pinned across these four files.
_FILTER_LANGUAGE_TESTS = ["tests/test_filter_edge_cases.py", "conformance/properties/test_filter_language.py",
                          "conformance/properties/test_current_language.py", "tests/test_filter_limits.py"]
COVERING_TESTS: dict[str, list[str]] = {
    # transformers, buffer and IP operands (the libs 0.2x language) are in test_current_language.py
    # the generated function's parts and labels (test_inspect_explain.py runs it in-process but for two
    # tests), 3.x field arguments, wide and deep conditions (test_filter_compiler_edges.py)
    "reference/filter/compiler.py": _FILTER_LANGUAGE_TESTS + ["tests/test_inspect_explain.py",
                                                              "tests/test_filter_compiler_edges.py"],
    "reference/filter/parser.py": _FILTER_LANGUAGE_TESTS,
    # deep conditions through every stage (test_inspect_explain.py: 999 nested `not`s compiled and run)
    "reference/filter/depth.py": _FILTER_LANGUAGE_TESTS + ["tests/test_inspect_explain.py",
                                                           "tests/test_filter_compiler_edges.py"],
    "reference/filter/errors.py": _FILTER_LANGUAGE_TESTS + ["tests/test_filter_compiler_edges.py"],
    "reference/filter/transformers.py": _FILTER_LANGUAGE_TESTS + ["tests/test_filter_compiler_edges.py",
                                                                  "tests/test_filter_transformers.py"],
    "reference/filter/lexer.py": _FILTER_LANGUAGE_TESTS,
    "reference/filter/ast.py": _FILTER_LANGUAGE_TESTS,
    "reference/host/loader.py": ["tests/test_loader_edge_cases.py", "tests/test_loader_calls.py", "conformance/properties/test_plugin_checks.py",
                                 "conformance/properties/test_event_stream.py",
                                 "conformance/properties/test_lifecycle.py", "tests/test_sdk.py",
                                 # answer types, SDK-style plugins and extraction: 169 survivors without them
                                 "tests/test_plugin_answers.py", "tests/test_sdk_like_plugins.py",
                                 "conformance/properties/test_extraction.py",
                                 # the info kept, a failed init's state, lazy native extraction
                                 "tests/test_loader_info_and_lazy_extraction.py"],
    "reference/falco/rules/collector.py": ["tests/test_rules_exception_overrides.py",
                                           "tests/test_rules_collector_edges.py",
                                           "conformance/properties/test_rules_files.py"],
    "reference/falco/alerts.py": ["tests/test_alerts.py", "conformance/properties/test_falco_alerts.py",
                                  "tests/test_append_output.py"],
    # the bounds at their edges, read at the YAML level (the rules-file and falco.yaml renderings of a refusal are
    # pinned in test_rules_limits.py and test_config_errors.py, which run them in bounded children: slow here)
    "reference/falco/yaml_limits.py": ["tests/test_yaml_limits.py"],
    "reference/falco/rules/results.py": ["tests/test_rules_results.py", "conformance/properties/test_rules_files.py"],
    "reference/falco/rules/reader.py": ["tests/test_rules_reader.py", "conformance/properties/test_rules_files.py"],
    "reference/falco/rules/loader.py": ["tests/test_rules_loading.py", "conformance/properties/test_rules_files.py",
                                        "tests/test_append_output.py"],
    "reference/falco/rules/compiler.py": ["conformance/properties/test_rules_files.py", "tests/test_rules_collector_edges.py",
                                          "tests/test_rules_exception_overrides.py", "tests/test_rules_loading.py",
                                          "tests/test_rules_expansion_edges.py", "tests/test_rules_exception_text.py",
                                          "tests/test_rules_compile_positions.py", "tests/test_append_output.py",
                                          # splices under not, macro visibility, depth at the limit, empty lists
                                          "tests/test_rules_macro_splicing.py"],
    "reference/falco/config.py": ["tests/test_config_run_keys.py", "tests/test_config_errors_exact.py",
                                  "tests/test_config.py", "tests/test_config_errors.py", "tests/test_falco_app.py",
                                  "tests/test_append_output.py"],
    "reference/host/capture.py": ["tests/test_capture.py", "tests/test_capture_large_blocks.py",
                                  "tests/test_capture_writer_edges.py",
                                  "conformance/properties/test_capture_properties.py"],
    "reference/host/native.py": ["tests/test_native_bridge.py", "tests/test_native_silent_plugin.py",
                                 "tests/test_native_calls.py"],
    "reference/output.py": ["tests/test_filter_edge_cases.py", "conformance/properties/test_filter_language.py",
                            "tests/test_inspect.py", "conformance/properties/test_current_language.py",
                            "conformance/properties/test_extraction.py", "tests/test_alerts.py",
                            "tests/test_filter_limits.py", "tests/test_plugins_v3.py"],
    "reference/host/engine.py": ["tests/test_plugin_answers.py", "tests/test_capture.py",
                                 "conformance/properties/test_event_stream.py",
                                 "conformance/properties/test_lifecycle.py", "tests/test_plugins_v3.py",
                                 "tests/test_inspect.py"],
    "reference/host/registry.py": ["tests/test_plugin_answers.py", "conformance/properties/test_plugin_sets.py",
                                   "conformance/properties/test_plugin_checks.py", "tests/test_plugins_v3.py",
                                   "conformance/properties/test_extraction.py", "tests/test_inspect.py"],
    # the stream itself; tests/test_inspect_output.py (whole runs, and signals) cannot be listed
    "reference/tools/output_file.py": ["tests/test_output_file.py"],
    # the config generator alone; tests/test_plugin_check.py (plugins under check, 2 minutes) adds no kill
    "reference/tools/plugin_check/configs.py": ["tests/test_plugin_check_configs.py"],
    # the child's protocol and the parent's reading of it, in-process with scripted children; the parent's own
    # children (python -m reference.tools.plugin_check) run outside the test process, unseen by mutmut
    "reference/tools/plugin_check/child.py": ["tests/test_plugin_check_child.py"],
    # the entry of the check children (called in-process; the isolation tests start it for real)
    "reference/tools/plugin_check/__main__.py": ["tests/test_plugin_check_child.py"],
    "reference/tools/plugin_check/isolation.py": ["tests/test_plugin_check_isolation.py"],
    # `plugref check`'s parent: the target's and options' refusals, the report and its exit status, and quick real
    # runs for the options' effects; tests/test_plugin_check.py (the checks, in children: 40 s a mutant) is left out,
    # the parent-side behaviour it shows being pinned here; its options' texts are checked against docs/cli.md
    "reference/tools/plugin_check/__init__.py": ["tests/test_plugin_check_report.py", "tests/test_cli_reference.py"],
    # each check called in-process on scripted Python plugins (and the native defect that reuses its event memory)
    "reference/tools/plugin_check/checks.py": ["tests/test_plugin_check_checks.py", "tests/test_plugin_check_checks_v3.py"],
    "reference/tools/plugin_check/checks_v3.py": ["tests/test_plugin_check_checks_v3.py"],
    # every adapter call in-process; tests/test_sdk.py adds the bundled plugins written with the SDK
    "reference/sdk.py": ["tests/test_sdk_calls.py", "tests/test_sdk.py"],
    "reference/sdk_v3.py": ["tests/test_sdk_v3_calls.py"],
    "reference/host/event_fields.py": ["tests/test_filter_edge_cases.py", "conformance/properties/test_extraction.py",
                                       "conformance/properties/test_current_language.py", "tests/test_inspect.py",
                                       "tests/test_alerts.py", "conformance/properties/test_filter_language.py",
                                       "tests/test_append_output.py"],
    # mutmut mutates function bodies only: field_types.py (an enum and its names) has no mutant.
    "reference/contract/field_types.py": ["tests/test_contract_v3.py"],
    "reference/errors.py": ["tests/test_errors.py"],
    "reference/host/registry_v3.py": ["tests/test_set_rules_v3.py"],
    "reference/host/libraries.py": ["tests/test_libraries.py"],
    "reference/contract/lifecycle.py": ["tests/test_lifecycle_table.py", "conformance/properties/test_lifecycle.py",
                                        "tests/test_loader_calls.py"],
    "reference/contract/fields.py": ["tests/test_fields_json.py", "conformance/properties/test_plugin_checks.py"],
    "reference/contract/fields_v3.py": ["tests/test_fields_json.py", "tests/test_contract_v3.py"],
    "reference/host/falco_registry.py": ["tests/test_falco_registry.py", "conformance/properties/test_registry_file.py"],
    "reference/contract/v0_3.py": ["tests/test_contract_v0_3.py"],
    "reference/contract/v3.py": ["tests/test_contract_v3.py"],
    "reference/host/native_v3.py": ["tests/test_native_v3_bridge.py", "tests/test_plugins_v3.py",
                                    "conformance/properties/test_v3_parity.py"],
    "reference/host/loader_v3.py": ["tests/test_loader_v3.py", "tests/test_set_rules_v3.py", "tests/test_plugins_v3.py",
                                    "conformance/properties/test_v3_parity.py"],
    "reference/contract/versions.py": ["tests/test_version_rules.py", "conformance/properties/test_versions.py"],
    # the session in-process (main(["inspect", ...]) and Inspector itself); not test_inspect_output.py (it
    # signals its own process) nor test_plugins_v3.py (14 s, its inspect runs are covered here too)
    "reference/tools/inspector.py": ["tests/test_inspect_session.py", "tests/test_inspect.py",
                                     "tests/test_inspect_explain.py", "tests/test_capture.py"],
    # run and validate through main() and directly, load_plugins, the progress bar (test_rules_limits.py runs its
    # validations in bounded children: slow here, and its messages are the rules loader's)
    "reference/falco/app.py": ["tests/test_falco_app.py", "tests/test_cli.py", "tests/test_alerts.py",
                               "tests/test_config.py", "tests/test_config_errors.py", "tests/test_append_output.py",
                               "conformance/properties/test_falco_alerts.py"],
    # main() in-process for every command it dispatches (run, validate, check, conformance, inspect); the
    # parsers against docs/cli.md; the exits (SIGTERM and Ctrl-C come from inside a plugin of the test's own run)
    "reference/tools/cli.py": ["tests/test_cli.py", "tests/test_inspect.py", "tests/test_cli_reference.py",
                               "tests/test_cli_commands.py", "tests/test_cli_conformance.py"],
}

# Tests that need all the Python stack MAX_DEPTH levels take (FILTER-DEPTH): mutmut's trampolines add frames
# to every call, so under mutmut they run out of the room reference/filter/depth.py makes. The boundary of
# the limit is pinned with a small max_depth in test_filter_language.py instead.
NEEDS_FULL_STACK = ["tests/test_filter_limits.py::test_conditions_up_to_the_limit_parse_compile_print_and_evaluate"]

# What a copy of the project needs for its tests to run.
COPIED = ["reference", "conformance", "tests", "fake_plugins", "docs", "conftest.py", "pyproject.toml"]

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code), folded into what a score needs.
KILLED_CODES = {1, 3, 36, -24, 24, 152, 255, -11, -9, 37}  # a failing test, a timeout, a crash


@dataclass
class ModuleScore:
    module: str
    mutants: int = 0
    killed: int = 0
    survived: int = 0
    equivalent: int = 0
    not_run: int = 0
    seconds: float = 0.0
    survivors: dict[str, str] = field(default_factory=dict)  # mutant name -> diff
    stale_equivalents: list[str] = field(default_factory=list)

    @property
    def score(self) -> float | None:
        judged = self.killed + self.survived
        return None if judged == 0 else 100.0 * self.killed / judged


def load_equivalents() -> dict[str, dict[str, dict]]:
    """module -> mutant name -> {change, reason}."""
    if not EQUIVALENTS.exists():
        return {}
    return yaml.safe_load(EQUIVALENTS.read_text()) or {}


class _EquivalentsDumper(yaml.SafeDumper):
    """Writes a change (several lines) as a literal block, as it is read in a diff."""


_EquivalentsDumper.add_representer(
    str, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text,
                                                      style="|" if "\n" in text else None))


def save_equivalents(equivalents: dict[str, dict[str, dict]]) -> None:
    """Rewrite equivalent-mutants.yaml (its leading comment kept), modules and mutants sorted."""
    text = EQUIVALENTS.read_text() if EQUIVALENTS.exists() else ""
    head = "".join(line for line in text.splitlines(True) if line.startswith("#"))
    body = yaml.dump({m: e for m, e in equivalents.items() if e}, Dumper=_EquivalentsDumper, sort_keys=True,
                     allow_unicode=True, width=4096)
    EQUIVALENTS.write_text(head + body)


def declare_equivalent(merged: dict, equivalents: dict[str, dict[str, dict]], mutant: str, reason: str) -> str:
    """List the recorded survivor `mutant` as equivalent, with its change as last measured; returns its module."""
    for module, entry in merged.items():
        if mutant in entry.get("survivors", {}):
            equivalents.setdefault(module, {})[mutant] = {"change": entry["survivors"][mutant], "reason": reason}
            return module
    raise KeyError(f"{mutant} is not a survivor recorded in {SCORES.name}")


def _project_copy(workdir: Path, module: str, tests: list[str]) -> None:
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, workdir / name,
                            ignore=shutil.ignore_patterns("__pycache__", "mutants", "*.so", ".hypothesis"))
        elif source.exists():
            shutil.copy2(source, workdir / name)
    _write_settings(workdir, module, tests)


def _write_settings(workdir: Path, module: str, tests: list[str]) -> None:
    """The copy's pyproject.toml: the project's, with mutmut's settings for `module` and its tests."""
    shutil.copy2(ROOT / "pyproject.toml", workdir / "pyproject.toml")
    settings = {
        "source_paths": ["reference"],
        "only_mutate": [module],
        "also_copy": [n for n in COPIED if n != "reference"],
        # Fastest covering tests first (conformance/mutation_order.py): with -x, a killed mutant dies sooner.
        "pytest_add_cli_args": ["-q", "-p", "no:cacheprovider", "-p", "conformance.mutation_order"]
                               + [f"--deselect={t}" for t in NEEDS_FULL_STACK],
        "pytest_add_cli_args_test_selection": [t for t in tests if (workdir / t).exists()],
        "use_git_change_detection": False,
        "timeout_multiplier": 5.0,
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    with open(workdir / "pyproject.toml", "a") as handle:
        handle.write("\n".join(lines) + "\n")


def _refresh_tests(workdir: Path) -> None:
    """The tests of a kept copy made those of the project now (the code under test stays as copied)."""
    for name in COPIED:
        source = ROOT / name
        if name in ("reference", "pyproject.toml"):
            continue
        if source.is_dir():
            shutil.copytree(source, workdir / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "mutants", "*.so", ".hypothesis"))
        elif source.exists():
            shutil.copy2(source, workdir / name)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # mutmut puts its mutants/ tree first on sys.path itself
    env.pop("CI", None)
    # Derandomized Hypothesis with fewer examples (conftest.py): the same examples for the clean run and every
    # mutant, at a cost that lets a module finish; explicit examples carry the edge cases.
    env["HYPOTHESIS_PROFILE"] = "mutation"
    return env


def _run_mutmut(workdir: Path, budget: float, log, only: list[str] = ()) -> float:
    started = time.monotonic()
    process = subprocess.Popen(["nice", "-n", "15", sys.executable, "-m", "mutmut", "run", "--max-children", "1",
                                *only],
                               cwd=workdir, env=_environment(), stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        process.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        # mutmut saves each verdict as it comes; an interrupt stops it with the verdicts so far kept.
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return time.monotonic() - started


_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
print(json.dumps({name: get_diff_for_mutant(name, path=sys.argv[1]) for name in json.load(sys.stdin)}))
"""


def _diffs(workdir: Path, module: str, mutants: list[str]) -> dict[str, str]:
    """The changed lines of each mutant, as `mutmut show` prints them (one process for them all)."""
    if not mutants:
        return {}
    shown = subprocess.run(["nice", "-n", "15", sys.executable, "-c", _DIFFS, module], cwd=workdir,
                           env=_environment(), input=json.dumps(mutants), capture_output=True, text=True, timeout=900)
    if shown.returncode != 0:
        raise RuntimeError(f"mutmut could not show the mutants of {module}:\n{shown.stderr[-2000:]}")
    return {name: "\n".join(line for line in diff.splitlines()
                            if line[:1] in "+-" and not line.startswith(("+++", "---")))
            for name, diff in json.loads(shown.stdout).items()}


def tally(score: ModuleScore, verdicts: dict[str, int | None], diff_of, equivalents: dict[str, dict]) -> None:
    """Count mutmut's verdicts (mutant name -> exit code) into `score`; a surviving mutant listed as
    equivalent counts as such only while its change is still the one recorded."""
    for mutant, code in sorted(verdicts.items()):
        score.mutants += 1
        if code is None or code == 2:  # not reached, or interrupted at the budget
            score.not_run += 1
        elif code in KILLED_CODES:
            score.killed += 1
        else:  # survived, no test reaches it, or "suspicious" (flaky under this mutant): not killed
            diff = diff_of(mutant)
            known = equivalents.get(mutant)
            if known is not None and known.get("change", "").strip() == diff.strip():
                score.equivalent += 1
                continue
            if known is not None:
                score.stale_equivalents.append(mutant)
            score.survived += 1
            score.survivors[mutant] = diff
    # An entry for a mutant that no longer exists (the code moved, and mutmut numbers mutants anew) or that a
    # test kills now says nothing any more; an entry for a mutant not run yet may still hold.
    score.stale_equivalents += sorted(m for m in equivalents
                                      if m not in verdicts or verdicts[m] in KILLED_CODES)


def forget_unkilled(record: dict) -> dict:
    """mutmut's record of a module (its .meta) with only the killed mutants' verdicts kept."""
    return {**record, "exit_code_by_key": {m: (code if code in KILLED_CODES else None)
                                           for m, code in record["exit_code_by_key"].items()}}


def run_module(module: str, budget: float, keep: bool = False, resume: Path | None = None,
               only: list[str] = ()) -> ModuleScore:
    """Mutate `module` in a new copy of the project, or continue the run kept in `resume` (--keep): mutmut
    keeps the killed mutants' verdicts and runs the others; with `only`, it runs just these mutants again."""
    score = ModuleScore(module)
    workdir = resume if resume is not None else Path(tempfile.mkdtemp(prefix="plugref-mutation-"))
    keep = keep or resume is not None
    try:
        if resume is None:
            _project_copy(workdir, module, COVERING_TESTS.get(module, []))
        else:
            _refresh_tests(workdir)
            _write_settings(workdir, module, COVERING_TESTS.get(module, []))
            # mutmut reruns only the mutants without a verdict: forget those of the survivors (the tests may
            # kill them now) and of the mutant interrupted at the last budget; the killed stay killed.
            meta = workdir / "mutants" / (module + ".meta")
            if not only:
                meta.write_text(json.dumps(forget_unkilled(json.loads(meta.read_text()))))
        with open(workdir / "mutmut.log", "a") as log:
            score.seconds = round(_run_mutmut(workdir, budget, log, only), 1)
        meta = workdir / "mutants" / (module + ".meta")
        if not meta.exists():
            tail = (workdir / "mutmut.log").read_text()[-2000:]
            raise RuntimeError(f"mutmut produced no results for {module}:\n{tail}")
        verdicts = json.loads(meta.read_text())["exit_code_by_key"]
        unkilled = [m for m, code in verdicts.items() if code not in KILLED_CODES and code not in (None, 2)]
        tally(score, verdicts, _diffs(workdir, module, unkilled).__getitem__, load_equivalents().get(module, {}))
    finally:
        if keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return score


def reclassify(merged: dict, equivalents: dict[str, dict[str, dict]]) -> None:
    """Count as equivalent the recorded survivors listed since the run (with the same change)."""
    for module, entry in merged.items():
        known = equivalents.get(module, {})
        for mutant, diff in list(entry.get("survivors", {}).items()):
            if mutant in known and known[mutant].get("change", "").strip() == diff.strip():
                del entry["survivors"][mutant]
                entry["survived"] -= 1
                entry["equivalent"] += 1
        judged = entry["killed"] + entry["survived"]
        entry["score"] = None if judged == 0 else round(100.0 * entry["killed"] / judged, 1)


def merge_scores(scores: list[ModuleScore]) -> dict:
    merged = json.loads(SCORES.read_text()) if SCORES.exists() else {}
    for s in scores:
        entry = asdict(s)
        entry["score"] = None if s.score is None else round(s.score, 1)
        merged[s.module] = entry
    SCORES.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")
    return merged


def markdown_section(merged: dict) -> str:
    lines = [SECTION, "",
             "The code-level proof, next to the clause-level one above: "
             "`nice -n 15 python -m conformance.mutation [MODULE...] --budget SECONDS --markdown docs/suite-bites.md` "
             "runs [mutmut](https://pypi.org/project/mutmut/) (`pip install .[mutation]`) on each module of "
             "reference/ with the tests that cover it, and rewrites this table from "
             "`conformance/data/mutation-scores.json`. Equivalent mutants (no behaviour tells them apart "
             "from the original) are listed with their reason in `conformance/data/equivalent-mutants.yaml`; "
             "score = killed / (mutants − equivalent − not run). Not run = not reached within the budget. "
             "A survivor no behaviour can tell apart is listed with `--equivalent MUTANT \"reason\"` (its change is "
             "taken from the last run and checked on every later one; `--drop-stale` removes entries whose mutant "
             "changed, is gone or is killed now). Each mutant's covering tests run fastest first "
             "(`conformance/mutation_order.py`), and the native test plugins are compiled once per run, not once per "
             "mutant, so a module of 600-900 mutants is measured in 5-15 minutes on one core. A run cut by its "
             "budget, or whose survivors new tests should kill, continues where it stopped: run it with `--keep`, "
             "then `MODULE --resume WORKDIR` reruns, with the tests as they are now, only the mutants not run "
             "and the survivors (`--only MUTANT...`: just these). Nothing is excluded from mutation: the "
             "command line's texts (help, descriptions, metavars) are user documentation, pinned by "
             "`tests/test_cli_reference.py` against `docs/cli.md`, and mutmut sees only functions, so code that "
             "should be measured lives in one (as `plugin_check/__main__.py`'s entry does).", "",
             "| module | mutants | killed | survived | equivalent | not run | score |",
             "|---|---|---|---|---|---|---|"]
    for module in sorted(merged):
        e = merged[module]
        score = "—" if e["score"] is None else f"{e['score']:.1f}%"
        lines.append(f"| `{module}` | {e['mutants']} | {e['killed']} | {e['survived']} | {e['equivalent']} | "
                     f"{e['not_run']} | {score} |")
    unmeasured = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "reference").rglob("*.py")
                        if p.name != "__init__.py" and str(p.relative_to(ROOT)) not in merged)
    if unmeasured:
        lines += ["", "Not measured yet: " + ", ".join(f"`{m}`" for m in unmeasured) + "."]
    return "\n".join(lines) + "\n"


def write_markdown(path: Path, merged: dict) -> None:
    text = path.read_text() if path.exists() else ""
    head = text.split(SECTION)[0].rstrip("\n")
    path.write_text((head + "\n\n" if head else "") + markdown_section(merged))


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m conformance.mutation", description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help="reference/... module paths (default: all covered)")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds of mutmut per module")
    parser.add_argument("--markdown", type=Path, help="rewrite the mutation section of this file")
    parser.add_argument("--keep", action="store_true", help="keep each module's working copy")
    parser.add_argument("--resume", type=Path, metavar="WORKDIR",
                        help="continue the run of the one MODULE kept in WORKDIR (--keep) with the tests as "
                             "they are now: the mutants not run yet and the survivors run, the killed stay killed")
    parser.add_argument("--only", nargs="+", metavar="MUTANT", default=[],
                        help="with --resume: run just these mutants again (mutmut names; * and ? match)")
    parser.add_argument("--table-only", action="store_true",
                        help="only rewrite the --markdown table from the scores already measured")
    parser.add_argument("--equivalent", nargs=2, action="append", metavar=("MUTANT", "REASON"), default=[],
                        help="list a survivor of the last run in equivalent-mutants.yaml with its change and a "
                             "one-line reason (then recount, as --table-only)")
    parser.add_argument("--drop-stale", action="store_true",
                        help="after the run, remove the equivalent-mutants.yaml entries it found stale")
    args = parser.parse_args(argv)
    if args.equivalent:
        merged = json.loads(SCORES.read_text()) if SCORES.exists() else {}
        equivalents = load_equivalents()
        try:
            for mutant, reason in args.equivalent:
                declare_equivalent(merged, equivalents, mutant, reason)
        except KeyError as exc:
            print(f"mutation: {exc.args[0]}", file=sys.stderr)
            return 1
        save_equivalents(equivalents)
        reclassify(merged, equivalents)
        SCORES.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")
        if args.markdown:
            write_markdown(args.markdown, merged)
        return 0
    if args.table_only:
        if not args.markdown:
            print("mutation: --table-only needs --markdown FILE", file=sys.stderr)
            return 1
        merged = json.loads(SCORES.read_text()) if SCORES.exists() else {}
        reclassify(merged, load_equivalents())
        SCORES.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")
        write_markdown(args.markdown, merged)
        return 0
    modules = args.modules or list(COVERING_TESTS)
    unknown = [m for m in modules if not (ROOT / m).is_file()]
    if unknown:
        print(f"mutation: no such module: {', '.join(unknown)}", file=sys.stderr)
        return 1
    if shutil.which("nice") is None or importlib.util.find_spec("mutmut") is None:
        print("mutation: needs mutmut (pip install .[mutation]) and nice", file=sys.stderr)
        return 1
    if args.only and args.resume is None:
        print("mutation: --only needs --resume WORKDIR", file=sys.stderr)
        return 1
    kept_run = (args.resume is not None and len(modules) == 1
                and (args.resume / "mutants" / (modules[0] + ".meta")).exists())
    if args.resume is not None and not kept_run:
        print(f"mutation: --resume needs one MODULE whose kept run is in {args.resume}", file=sys.stderr)
        return 1
    for module in modules:
        try:
            s = run_module(module, args.budget, keep=args.keep, resume=args.resume, only=args.only)
        except RuntimeError as exc:
            print(f"mutation: {exc}", file=sys.stderr)
            return 1
        shown = "—" if s.score is None else f"{s.score:.1f}%"
        print(f"{module}: {s.mutants} mutants, {s.killed} killed, {s.survived} survived, "
              f"{s.equivalent} equivalent, {s.not_run} not run: {shown} ({s.seconds} s)", flush=True)
        for mutant, diff in s.survivors.items():
            print(f"  survived {mutant}\n    " + diff.replace("\n", "\n    "), flush=True)
        for mutant in s.stale_equivalents:
            print(f"  equivalent-mutants.yaml entry {mutant} is stale (changed, gone or killed)", flush=True)
        if args.drop_stale and s.stale_equivalents:
            equivalents = load_equivalents()
            for mutant in s.stale_equivalents:
                equivalents.get(module, {}).pop(mutant, None)
            save_equivalents(equivalents)
        merged = merge_scores([s])  # after each module, so that an interrupted run keeps what it measured
        if args.markdown:
            write_markdown(args.markdown, merged)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
