"""Every clause of docs/spec.md is checked by a test, and every test cites a real clause."""
from conformance.catalogue import cited_clauses, clause_ids


def test_clause_ids_are_unique():
    ids = clause_ids()
    assert ids and len(ids) == len(set(ids))


def test_every_clause_has_a_test():
    cited = cited_clauses()
    assert [c for c in clause_ids() if c not in cited] == []


def test_every_cited_clause_exists():
    assert sorted(set(cited_clauses()) - set(clause_ids())) == []


def test_every_clause_lists_the_files_that_test_it():
    from conformance.catalogue import SPEC
    text = SPEC.read_text()
    for clause, files in cited_clauses().items():
        section = text.split(f"### `{clause}`", 1)[1].split("\n### ", 1)[0]
        missing = [f for f in files if f not in section]
        assert not missing, f"{clause}: docs/spec.md does not list {missing}"
