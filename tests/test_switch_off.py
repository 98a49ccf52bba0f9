"""The rule switches of conformance/switch_off.py still apply to the reference as it is."""
from conformance.catalogue import ROOT, clause_ids
from conformance.switch_off import SWITCHES


def test_every_switch_edits_exactly_one_place():
    for clause, (path, old, new) in SWITCHES.items():
        assert (ROOT / path).read_text().count(old) == 1, clause
        assert old != new


def test_every_clause_has_a_switch():
    # NATIVE-PARITY and NATIVE-SYSDIG-LOAD are properties of the fake plugin, not rules of the reference.
    # SUITE-SYSDIG-REPORT is about a committed document.
    exempt = {"NATIVE-PARITY", "NATIVE-SYSDIG-LOAD", "SUITE-SYSDIG-REPORT"}
    assert [c for c in clause_ids() if c not in SWITCHES and c not in exempt] == []


def test_a_partial_run_replaces_its_rows_and_keeps_the_others_and_the_mutation_section(tmp_path):
    from conformance.switch_off import table_row, write_table

    page = tmp_path / "bites.md"
    a = ("a-fault", "A-CLAUSE", "reference/a.py", "x", "y")
    b = ("b-fault", "B-CLAUSE", "reference/b.py", "x", "y")
    write_table(page, {"a-fault": table_row(a, True, "FAIL A"), "b-fault": table_row(b, False, "pass")}, partial=False)
    page.write_text(page.read_text() + "\n## Mutation testing\n\nkept as it is\n")
    assert "1 of 2 faults caught." in page.read_text()
    write_table(page, {"b-fault": table_row(b, True, "FAIL B")}, partial=True)
    text = page.read_text()
    assert "2 of 2 faults caught." in text
    rows = [line for line in text.splitlines() if line.startswith(("| a-fault", "| b-fault"))]
    assert rows == [table_row(a, True, "FAIL A"), table_row(b, True, "FAIL B")]
    assert text.endswith("## Mutation testing\n\nkept as it is\n")
