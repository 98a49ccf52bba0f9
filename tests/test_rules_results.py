"""Load results as users read them (RULES-RESULTS, RULES-UNKNOWN-SOURCE in docs/spec.md): each code's
text, a file's verbose block and summary, a load's text and JSON, which error comes first. Built from
messages directly, so that every rendering rule is pinned in-process; how loads fill them is in
conformance/properties/test_rules_files.py."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.falco.rules.results import FileResult, LoadResults, Location, Message

#: docs/spec.md RULES-RESULTS, "The texts".
TEXTS = {
    "LOAD_ERR_FILE_READ": "File read error",
    "LOAD_ERR_YAML_PARSE": "YAML parse error",
    "LOAD_ERR_YAML_VALIDATE": "Error validating internal structure of YAML file",
    "LOAD_ERR_COMPILE_CONDITION": "Error compiling condition",
    "LOAD_ERR_COMPILE_OUTPUT": "Error compiling output",
    "LOAD_ERR_VALIDATE": "Error validating rule/macro/list/exception objects",
    "LOAD_UNKNOWN_SOURCE": "A rule has an unknown event source. This can occur when reading rules content without "
                           "having a corresponding plugin loaded, etc. The rule will be silently ignored.",
    "LOAD_UNKNOWN_FILTER": "A rule condition or output refers to a field that does not exist. The rule was skipped "
                           "(skip-if-unknown-filter).",
    "LOAD_UNUSED_MACRO": "A macro is defined in the rules content but is not used by any other macro or rule.",
    "LOAD_UNUSED_LIST": "A list is defined in the rules content but is not used by any other list, macro, or rule.",
    "LOAD_UNKNOWN_ITEM": "An unknown top-level object is in the rules content. It will be ignored.",
    "LOAD_DEPRECATED_ITEM": "A deprecated item is employed by lists, macros, or rules.",
    "LOAD_EXCEPTION_NAME_NOT_UNIQUE": "Multiple definitions of the same exception in one rule.",
    "LOAD_INVALID_MACRO_NAME": "A macro has an invalid name.",
    "LOAD_INVALID_LIST_NAME": "A list has an invalid name.",
    "LOAD_UNKNOWN_KEY": "An unknown key is in a rules item. It will be ignored.",
    "LOAD_COMPILE_CONDITION": "A rule condition compiled, but part of it may not mean what it seems to.",
}

CONTENT = Location("rules content", "", "a.yaml", 1, 1)
RULE = Location("rule", "r", "a.yaml", 3, 3)


@pytest.mark.clause("RULES-RESULTS")
@pytest.mark.parametrize("code, text", sorted(TEXTS.items()))
def test_each_code_has_its_text_in_the_verbose_line_and_the_json(code, text):
    message = Message(code, "what happened", (CONTENT,))
    assert message.verbose().splitlines()[-1] == f"{code} ({text}): what happened"
    assert message.to_json()["codedesc"] == text


@pytest.mark.clause("RULES-RESULTS")
def test_a_code_without_a_text_shows_itself():
    message = Message("LOAD_ERR_EXTENSION", "m")
    assert message.verbose() == "LOAD_ERR_EXTENSION (LOAD_ERR_EXTENSION): m"
    assert message.to_json() == {"context": {"locations": []}, "code": "LOAD_ERR_EXTENSION", "codedesc": "",
                                 "message": "m"}


locations = st.lists(st.builds(Location, st.sampled_from(["rules content", "rule", "rule condition", "exception"]),
                               st.sampled_from(["", "r", "my rule"]), st.sampled_from(["a.yaml", "/x/b.yaml"]),
                               st.integers(1, 10**6), st.integers(1, 10**6)), max_size=5)


@pytest.mark.clause("RULES-RESULTS")
@given(locations, st.sampled_from(sorted(TEXTS)), st.text(max_size=20))
def test_a_message_shows_its_context_first_then_its_code(context, code, text):
    lines = Message(code, text, tuple(context)).verbose().split("\n")
    for depth, (line, location) in enumerate(zip(lines, context)):
        indent = "" if depth == 0 else "    "
        named = f" '{location.item_name}'" if location.item_name else ""
        assert line == f"{indent}In {location.item_type}{named}: ({location.file}:{location.line}:{location.column})"
    assert "\n".join(lines[len(context):]) == f"{code} ({TEXTS[code]}): {text}"
    document = json.loads(json.dumps(Message(code, text, tuple(context)).to_json()))
    assert document == {"context": {"locations": [
        {"item_type": loc.item_type, "item_name": loc.item_name,
         "position": {"name": loc.file, "line": loc.line, "column": loc.column}} for loc in context]},
        "code": code, "codedesc": TEXTS[code], "message": text}


@pytest.mark.clause("RULES-RESULTS")
def test_a_files_block_lists_errors_then_warnings_with_their_counts():
    error = Message("LOAD_ERR_VALIDATE", "no such list", (CONTENT, RULE))
    warning = Message("LOAD_UNUSED_LIST", "List not referred to by any other rule/macro", (CONTENT,))
    second = Message("LOAD_UNKNOWN_KEY", "Unknown key 'x'. The key will be ignored.", (CONTENT, RULE))
    assert FileResult("a.yaml").verbose() == "a.yaml: Ok"
    assert FileResult("a.yaml", warnings=[warning, second]).verbose() == (
        "a.yaml: Ok, with warnings\n"
        "2 Warnings:\n"
        "In rules content: (a.yaml:1:1)\n"
        f"LOAD_UNUSED_LIST ({TEXTS['LOAD_UNUSED_LIST']}): List not referred to by any other rule/macro\n"
        "In rules content: (a.yaml:1:1)\n"
        "    In rule 'r': (a.yaml:3:3)\n"
        f"LOAD_UNKNOWN_KEY ({TEXTS['LOAD_UNKNOWN_KEY']}): Unknown key 'x'. The key will be ignored.")
    assert FileResult("a.yaml", errors=[error], warnings=[warning]).verbose() == (
        "a.yaml: Invalid\n"
        "1 Errors:\n"
        "In rules content: (a.yaml:1:1)\n"
        "    In rule 'r': (a.yaml:3:3)\n"
        "LOAD_ERR_VALIDATE (Error validating rule/macro/list/exception objects): no such list\n"
        "1 Warnings:\n"
        "In rules content: (a.yaml:1:1)\n"
        f"LOAD_UNUSED_LIST ({TEXTS['LOAD_UNUSED_LIST']}): List not referred to by any other rule/macro")
    assert FileResult("a.yaml", errors=[error]).summary() == "a.yaml: Invalid"
    assert FileResult("a.yaml", errors=[error], warnings=[warning]).summary() == "a.yaml: Invalid"
    assert FileResult("a.yaml", warnings=[warning]).summary() == "a.yaml: Ok, with warnings"


@pytest.mark.clause("RULES-RESULTS")
def test_a_files_json_says_whether_it_loaded():
    error = Message("LOAD_ERR_YAML_PARSE", "yaml: error at line 2, column 1: x", (CONTENT,))
    warning = Message("LOAD_UNKNOWN_ITEM", "Unknown top level item", (CONTENT,))
    assert FileResult("a.yaml", warnings=[warning]).to_json() == {
        "name": "a.yaml", "successful": True, "errors": [], "warnings": [warning.to_json()]}
    assert FileResult("a.yaml", errors=[error]).to_json() == {
        "name": "a.yaml", "successful": False, "errors": [error.to_json()], "warnings": []}
    assert FileResult("a.yaml", warnings=[warning]).successful and not FileResult("a.yaml", errors=[error]).successful


@pytest.mark.clause("RULES-RESULTS", "RULES-PLUGIN-VERSIONS")
def test_a_plugin_requirement_error_comes_first_and_fails_the_load():
    file_error = Message("LOAD_ERR_VALIDATE", "in a file", (CONTENT,))
    requirement = Message("LOAD_ERR_VALIDATE", "Plugin 'p' version '2.0.0' is not compatible")
    good, bad = FileResult("a.yaml"), FileResult("b.yaml", errors=[file_error])
    assert LoadResults([good]).successful and LoadResults([good]).first_error() is None
    assert not LoadResults([good, bad]).successful and LoadResults([good, bad]).first_error() is file_error
    both = LoadResults([good, bad], requirement_errors=[requirement])
    assert not both.successful and both.first_error() is requirement
    assert not LoadResults([good], requirement_errors=[requirement]).successful
    assert both.verbose() == "a.yaml: Ok\n" + bad.verbose() + "\nError: Plugin 'p' version '2.0.0' is not compatible"
    document = both.to_json()
    assert document == {"falco_load_results": [good.to_json(), bad.to_json()],
                        "requirement_errors": [requirement.to_json()]}


@pytest.mark.clause("RULES-RESULTS")
def test_warnings_of_every_file_in_order():
    first = Message("LOAD_UNUSED_MACRO", "1")
    second, third = Message("LOAD_UNUSED_LIST", "2"), Message("LOAD_UNKNOWN_KEY", "3")
    results = LoadResults([FileResult("a", warnings=[first]), FileResult("b"), FileResult("c", warnings=[second, third])])
    assert results.warnings() == [first, second, third]
    assert LoadResults().warnings() == [] and LoadResults().verbose() == ""
    assert LoadResults().to_json() == {"falco_load_results": []}


@pytest.mark.clause("RULES-UNKNOWN-SOURCE", "RULES-RESULTS")
def test_syscall_rules_not_checked_end_the_text_and_are_named_in_the_json():
    assert LoadResults([FileResult("a.yaml")]).not_checked_line() is None
    results = LoadResults([FileResult("a.yaml")], not_checked=["s1", "s2"])
    line = "Not checked: 2 syscall rule(s), since plugref does not model the syscall source: s1, s2"
    assert results.not_checked_line() == line
    assert results.verbose() == "a.yaml: Ok\n" + line
    requirement = Message("LOAD_ERR_VALIDATE", "r")
    assert LoadResults([], [requirement], ["s"]).verbose() == (
        "Error: r\nNot checked: 1 syscall rule(s), since plugref does not model the syscall source: s")
    assert results.to_json() == {"falco_load_results": [FileResult("a.yaml").to_json()], "not_checked": {
        "source": "syscall", "reason": "plugref does not model the syscall source", "rules": ["s1", "s2"]}}
    # syscall rules not checked are no failure of the load: the result says so instead
    assert results.successful
