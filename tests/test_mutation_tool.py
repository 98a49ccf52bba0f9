"""The wiring of conformance/mutation.py (the mutation run itself is not part of the test run)."""
from pathlib import Path

from conformance import mutation
from conformance.mutation import (COVERING_TESTS, ModuleScore, forget_unkilled, main, markdown_section, tally,
                                  write_markdown)

ROOT = Path(__file__).resolve().parent.parent


def test_every_module_and_covering_test_exists():
    for module, tests in COVERING_TESTS.items():
        assert (ROOT / module).is_file(), module
        assert tests and all((ROOT / t).is_file() for t in tests), module


def test_verdicts_are_tallied_with_equivalents_checked_against_their_change():
    # mutmut's exit codes: 1 a test failed, 36 timeout, -11 segfault, 0 survived, 33 no tests, None not run,
    # 2 interrupted.
    verdicts = {"m.a__mutmut_1": 1, "m.a__mutmut_2": 36, "m.a__mutmut_3": -11, "m.a__mutmut_4": 0,
                "m.a__mutmut_5": 33, "m.a__mutmut_6": None, "m.a__mutmut_7": 2, "m.a__mutmut_8": 0,
                "m.a__mutmut_9": 0}
    diffs = {"m.a__mutmut_4": "-x\n+y", "m.a__mutmut_5": "-p\n+q", "m.a__mutmut_8": "-a < b\n+a <= b",
             "m.a__mutmut_9": "-c\n+d"}
    equivalents = {"m.a__mutmut_8": {"change": "-a < b\n+a <= b", "reason": "b is never equal to a"},
                   "m.a__mutmut_9": {"change": "-c\n+e", "reason": "the code changed since"}}
    score = ModuleScore("m.py")
    tally(score, verdicts, diffs.__getitem__, equivalents)
    assert (score.mutants, score.killed, score.survived, score.equivalent, score.not_run) == (9, 3, 3, 1, 2)
    assert score.score == 50.0
    assert sorted(score.survivors) == ["m.a__mutmut_4", "m.a__mutmut_5", "m.a__mutmut_9"]
    assert score.stale_equivalents == ["m.a__mutmut_9"]
    assert ModuleScore("empty.py").score is None


def test_the_markdown_section_is_replaced_and_what_precedes_it_kept(tmp_path):
    doc = tmp_path / "bites.md"
    doc.write_text("# Faults\n\n| table |\n\n## Mutation testing\n\nold table\n")
    merged = {"reference/x.py": {"mutants": 10, "killed": 8, "survived": 1, "equivalent": 1, "not_run": 0,
                                 "score": 88.9}}
    write_markdown(doc, merged)
    text = doc.read_text()
    assert text.startswith("# Faults\n\n| table |\n\n## Mutation testing\n")
    assert "old table" not in text and "| `reference/x.py` | 10 | 8 | 1 | 1 | 0 | 88.9% |" in text
    assert text.endswith(markdown_section(merged))


def test_an_unknown_module_is_a_clear_error(capsys):
    assert main(["reference/no_such_module.py"]) == 1
    assert "no such module: reference/no_such_module.py" in capsys.readouterr().err


def test_the_switch_off_table_keeps_the_mutation_section(tmp_path, monkeypatch):
    from conformance import switch_off

    doc = tmp_path / "bites.md"
    doc.write_text("# old\n\n## Mutation testing\n\nkept\n")
    monkeypatch.setattr(switch_off, "faults", lambda clauses: [])
    switch_off.main(["--markdown", str(doc)])
    text = doc.read_text()
    assert text.startswith("# The suite bites") and text.endswith("\n## Mutation testing\n\nkept\n")
    assert mutation.SECTION == "## Mutation testing"


def test_table_only_rewrites_the_section_from_the_scores(tmp_path, monkeypatch):
    scores = tmp_path / "scores.json"
    scores.write_text('{"reference/y.py": {"mutants": 4, "killed": 4, "survived": 0, "equivalent": 0, '
                      '"not_run": 0, "score": 100.0}}')
    monkeypatch.setattr(mutation, "SCORES", scores)
    doc = tmp_path / "bites.md"
    doc.write_text("# Faults\n")
    assert main(["--table-only", "--markdown", str(doc)]) == 0
    assert "| `reference/y.py` | 4 | 4 | 0 | 0 | 0 | 100.0% |" in doc.read_text()
    assert main(["--table-only"]) == 1


def test_survivors_listed_as_equivalent_since_the_run_are_recounted():
    from conformance.mutation import reclassify

    merged = {"m.py": {"mutants": 5, "killed": 3, "survived": 2, "equivalent": 0, "not_run": 0, "score": 60.0,
                       "survivors": {"m.x__mutmut_1": "-a\n+b", "m.x__mutmut_2": "-c\n+d"}}}
    reclassify(merged, {"m.py": {"m.x__mutmut_1": {"change": "-a\n+b", "reason": "r"},
                                 "m.x__mutmut_2": {"change": "-c\n+e", "reason": "stale"}}})
    assert (merged["m.py"]["survived"], merged["m.py"]["equivalent"], merged["m.py"]["score"]) == (1, 1, 75.0)
    assert list(merged["m.py"]["survivors"]) == ["m.x__mutmut_2"]


def test_entries_for_mutants_gone_or_killed_are_stale():
    verdicts = {"m.a__mutmut_1": 1, "m.a__mutmut_2": 0, "m.a__mutmut_3": None}
    equivalents = {"m.a__mutmut_1": {"change": "-a\n+b", "reason": "killed by a test since"},
                   "m.a__mutmut_2": {"change": "-c\n+d", "reason": "still equivalent"},
                   "m.a__mutmut_3": {"change": "-e\n+f", "reason": "not run: may still hold"},
                   "m.a__mutmut_7": {"change": "-g\n+h", "reason": "renumbered away"}}
    score = ModuleScore("m.py")
    tally(score, verdicts, {"m.a__mutmut_2": "-c\n+d"}.__getitem__, equivalents)
    assert (score.killed, score.equivalent, score.not_run) == (1, 1, 1)
    assert score.stale_equivalents == ["m.a__mutmut_1", "m.a__mutmut_7"]


def test_a_survivor_is_listed_as_equivalent_with_its_recorded_change(tmp_path, monkeypatch):
    scores, listed = tmp_path / "scores.json", tmp_path / "equivalent.yaml"
    scores.write_text('{"reference/y.py": {"mutants": 3, "killed": 1, "survived": 2, "equivalent": 0, "not_run": 0, '
                      '"score": 33.3, "survivors": {"y.f__mutmut_1": "-    a = 1\\n+    a = 2", '
                      '"y.f__mutmut_2": "-b\\n+c"}}}')
    listed.write_text("# kept comment\n")
    monkeypatch.setattr(mutation, "SCORES", scores)
    monkeypatch.setattr(mutation, "EQUIVALENTS", listed)
    assert main(["--equivalent", "y.f__mutmut_1", "a is never read"]) == 0
    assert listed.read_text() == ("# kept comment\nreference/y.py:\n  y.f__mutmut_1:\n    change: |-\n"
                                  "      -    a = 1\n      +    a = 2\n    reason: a is never read\n")
    assert mutation.load_equivalents()["reference/y.py"]["y.f__mutmut_1"]["change"] == "-    a = 1\n+    a = 2"
    assert '"score": 50.0' in scores.read_text()
    assert main(["--equivalent", "y.f__mutmut_9", "no such survivor"]) == 1


def test_a_resumed_run_keeps_the_killed_verdicts_only(tmp_path, capsys):
    # 1 and -9 killed; 0 survived, 33 no tests, 2 interrupted: run again, like the mutants not run (None).
    record = {"exit_code_by_key": {"m.a__mutmut_1": 1, "m.a__mutmut_2": 0, "m.a__mutmut_3": 33,
                                   "m.a__mutmut_4": 2, "m.a__mutmut_5": None, "m.a__mutmut_6": -9},
              "durations_by_key": {"m.a__mutmut_1": 0.5}}
    assert forget_unkilled(record) == {
        "exit_code_by_key": {"m.a__mutmut_1": 1, "m.a__mutmut_2": None, "m.a__mutmut_3": None,
                             "m.a__mutmut_4": None, "m.a__mutmut_5": None, "m.a__mutmut_6": -9},
        "durations_by_key": {"m.a__mutmut_1": 0.5}}
    # a directory without the module's kept run is refused by name
    assert main(["reference/filter/errors.py", "--resume", str(tmp_path)]) == 1
    assert f"--resume needs one MODULE whose kept run is in {tmp_path}" in capsys.readouterr().err
    assert main(["reference/filter/errors.py", "--only", "m.a__mutmut_2"]) == 1
    assert "--only needs --resume WORKDIR" in capsys.readouterr().err
