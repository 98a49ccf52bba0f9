"""The SDK-like native fakes (fake_plugins/native/sdk_like) under plugref, and against sysdig 0.29.

They behave as the official plugins of early 2022 do (plugin-sdk-go v0.1.0's null keys, one
result buffer per field ID and whole-call failures; dummy_c's ID 0 and escaping C++ exceptions),
so these tests try plugref on what real plugins do. Clauses: EXTRACT-BATCHED, FIELDS-JSON,
SRC-ID-RULES, FILTER-ERRORS, OUTPUT-FORMAT.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_plugins.native.sdk_like import build_sdk_like
from reference.errors import LoadError
from reference.filter import FilterError
from reference.host.event_fields import ExtractionMode
from reference.host.native import open_native
from reference.host.registry import PluginRegistry
from reference.tools.inspector import Inspection, Inspector

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None or shutil.which("g++") is None,
                               reason="gcc and g++ are needed to build the SDK-like fakes")
needs_sysdig = pytest.mark.skipif(shutil.which("sysdig") is None, reason="sysdig 0.29 is not installed")
pytestmark = needs_gcc

RULES = os.path.join(os.path.dirname(__file__), "..", "fake_plugins", "native", "sdk_like", "aws_cloudtrail_rules.yaml")

LOGIN_WITHOUT_MFA = {
    "eventVersion": "1.08", "userIdentity": {"type": "IAMUser", "userName": "bob"},
    "eventTime": "2022-02-25T10:00:01Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
    "awsRegion": "eu-west-1", "sourceIPAddress": "10.0.0.2", "responseElements": {"ConsoleLogin": "Success"},
    "additionalEventData": {"MFAUsed": "No"}, "eventID": "e2"}
GET_OBJECT = {
    "eventVersion": "1.08", "userIdentity": {"type": "IAMUser", "userName": "alice"},
    "eventTime": "2022-02-25T10:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
    "awsRegion": "us-east-1", "sourceIPAddress": "10.0.0.1", "eventID": "e1"}
DENIED = {
    "userIdentity": {"type": "Root"}, "eventTime": "2022-02-25T10:00:02Z", "eventSource": "ec2.amazonaws.com",
    "eventName": "RunInstances", "awsRegion": "us-west-2", "errorCode": "AccessDenied", "eventID": "e3"}


@pytest.fixture(scope="module")
def cloudtrail():
    return str(build_sdk_like("cloudtrail"))


@pytest.fixture(scope="module")
def json_plugin():
    return str(build_sdk_like("json"))


def write_trail(folder, records) -> str:
    path = folder / f"trail-{abs(hash(json.dumps(records))):x}.json"
    path.write_text(json.dumps({"Records": records}, separators=(",", ":")))
    return str(path)


def plugref_lines(cloudtrail, json_plugin, trail, fmt, condition=None, mode=ExtractionMode.LAZY):
    inspector = Inspector()
    try:
        settings = Inspection(plugins=[cloudtrail, json_plugin], input=f"{cloudtrail}:{trail}", format=fmt,
                              filter=condition, extraction=mode)
        return list(inspector.run(settings))
    finally:
        inspector.registry.shutdown()


def sysdig_lines(cloudtrail, json_plugin, trail, fmt, condition=None):
    command = ["sysdig", "-H", cloudtrail, "-H", json_plugin, "-I", f"{cloudtrail}:{trail}", "-p", fmt]
    result = subprocess.run(command + ([condition] if condition else []), capture_output=True, text=True,
                            timeout=60, env={**os.environ, "TZ": "UTC"})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


# The Go-SDK-like plugins load, and print what sysdig prints.


@pytest.mark.clause("FIELDS-JSON")
def test_the_go_sdk_like_plugins_load_with_their_null_keys(cloudtrail, json_plugin):
    text = open_native(json_plugin).get_fields()
    assert '"properties":null' in text
    registry = PluginRegistry()
    try:
        source = registry.load(open_native(cloudtrail))
        extractor = registry.load(open_native(json_plugin))
        assert (source.info.id, source.info.event_source) == (2, "aws_cloudtrail")
        assert [f.name for f in extractor.info.fields][:3] == ["json.value", "json.obj", "json.rawtime"]
        assert all(f.properties == () for f in extractor.info.fields)
        assert extractor.info.fields[0].arg_required
    finally:
        registry.shutdown()


@pytest.mark.clause("EXTRACT-BATCHED")
def test_the_same_field_under_two_arguments_and_a_failing_field_next_to_good_ones(tmp_path, cloudtrail, json_plugin):
    trail = write_trail(tmp_path, [GET_OBJECT, LOGIN_WITHOUT_MFA])
    fmt = "*%json.value[/eventName] %json.value[/awsRegion] %json.value[/nope] %ct.name"
    assert plugref_lines(cloudtrail, json_plugin, trail, fmt) == [
        "GetObject us-east-1 <NA> GetObject", "ConsoleLogin eu-west-1 <NA> ConsoleLogin"]
    # A host asking them in one call meets the SDK's ways: the failing pointer voids the others.
    assert plugref_lines(cloudtrail, json_plugin, trail, fmt, mode=ExtractionMode.BATCHED) == [
        "<NA> <NA> <NA> GetObject", "<NA> <NA> <NA> ConsoleLogin"]
    # ... and without it, both arguments read the one buffer of json.value: the last value written.
    assert plugref_lines(cloudtrail, json_plugin, trail, "%json.value[/eventName] %json.value[/awsRegion]",
                         mode=ExtractionMode.BATCHED) == ["us-east-1 us-east-1", "eu-west-1 eu-west-1"]


RECORD_KEYS = {
    "eventName": st.sampled_from(["ConsoleLogin", "GetObject", "RunInstances"]),
    "awsRegion": st.sampled_from(["us-east-1", "eu-west-1"]),
    "errorCode": st.just("AccessDenied"),
    "sourceIPAddress": st.sampled_from(["10.0.0.1", "192.168.1.7"]),
    "userIdentity": st.fixed_dictionaries({"type": st.sampled_from(["IAMUser", "Root", "AssumedRole"])},
                                          optional={"userName": st.sampled_from(["alice", "bob"])}),
    "responseElements": st.fixed_dictionaries({"ConsoleLogin": st.sampled_from(["Success", "Failure"])}),
    "additionalEventData": st.fixed_dictionaries({"MFAUsed": st.sampled_from(["Yes", "No"])}),
}
records = st.lists(
    st.fixed_dictionaries({"eventTime": st.sampled_from(["2022-02-25T10:00:00Z", "2022-03-01T23:59:59Z"])},
                          optional=RECORD_KEYS), min_size=1, max_size=4)
#: The same field under several arguments, pointers to no value (a field error in json 0.2.2),
#: and fields of the source plugin between them.
TOKENS = ["json.value[/eventName]", "json.value[/awsRegion]", "json.value[/userIdentity/type]",
          "json.value[/userIdentity]", "json.value[/responseElements/ConsoleLogin]",
          "json.value[/additionalEventData/MFAUsed]", "json.value[/nope]", "json.rawtime",
          "ct.name", "ct.user", "ct.region", "ct.error", "ct.user.identitytype", "evt.num"]
formats = st.builds(lambda star, tokens: ("*" if star else "") + " ".join(f"%{t}" for t in tokens),
                    st.booleans(), st.lists(st.sampled_from(TOKENS), min_size=1, max_size=6))
CHECKS = ['json.value[/eventName] = ConsoleLogin', 'json.value[/awsRegion] = "us-east-1"',
          'json.value[/responseElements/ConsoleLogin] = Success', 'json.value[/additionalEventData/MFAUsed] = No',
          'json.value[/nope] exists', 'json.value[/userIdentity/type] != Root', 'ct.error exists',
          'ct.name = RunInstances', 'ct.user.identitytype != AssumedRole', 'ct.user exists']
# sysdig 0.29 refuses `and` and `or` mixed without brackets: one kind per level.
conditions = st.builds(
    lambda joiner, parts, negate: (" and " if joiner else " or ").join(
        (f"not {p}" if n else p) for p, n in zip(parts, negate)),
    st.booleans(), st.lists(st.sampled_from(CHECKS), min_size=1, max_size=4), st.lists(st.booleans(), min_size=4,
                                                                                       max_size=4))


@needs_sysdig
@pytest.mark.clause("EXTRACT-BATCHED", "OUTPUT-FORMAT")
@settings(max_examples=20, deadline=None)
@given(records, formats)
def test_formats_over_the_go_sdk_like_plugins_print_as_in_sysdig(tmp_path_factory, cloudtrail, json_plugin,
                                                                  trail_records, fmt):
    trail = write_trail(tmp_path_factory.mktemp("trail"), trail_records)
    assert plugref_lines(cloudtrail, json_plugin, trail, fmt) == sysdig_lines(cloudtrail, json_plugin, trail, fmt)


@needs_sysdig
@pytest.mark.clause("EXTRACT-BATCHED", "FILTER-OPERATORS")
@settings(max_examples=20, deadline=None)
@given(records, formats, conditions)
def test_filters_over_the_go_sdk_like_plugins_select_as_in_sysdig(tmp_path_factory, cloudtrail, json_plugin,
                                                                   trail_records, fmt, condition):
    trail = write_trail(tmp_path_factory.mktemp("trail"), trail_records)
    assert plugref_lines(cloudtrail, json_plugin, trail, fmt, condition) == \
        sysdig_lines(cloudtrail, json_plugin, trail, fmt, condition)


@needs_sysdig
@pytest.mark.clause("EXTRACT-BATCHED")
def test_the_issue_examples_print_as_in_sysdig(tmp_path, cloudtrail, json_plugin):
    trail = write_trail(tmp_path, [GET_OBJECT, LOGIN_WITHOUT_MFA, DENIED])
    for fmt, condition in [("%json.value[/eventName] %json.value[/awsRegion]", None),
                           ("*%ct.name %json.value[/nope] %json.value[/awsRegion]", None),
                           ("*%evt.num", 'json.value[/responseElements/ConsoleLogin] = Success and '
                                         'json.value[/additionalEventData/MFAUsed] = No')]:
        ours = plugref_lines(cloudtrail, json_plugin, trail, fmt, condition)
        assert ours == sysdig_lines(cloudtrail, json_plugin, trail, fmt, condition)
        assert ours  # something printed: the example means something
    assert plugref_lines(cloudtrail, json_plugin, trail, "%json.value[/eventName] %json.value[/awsRegion]")[0] == \
        "GetObject us-east-1"


DUMMY_OPEN = '{"start": 1, "maxEvents": 6}'
DUMMY_TOKENS = ["dummy.value", "dummy.strvalue", "dummy.divisible[2]", "dummy.divisible[3]", "dummy.divisible[abc]",
                "dummy.divisible[0]", "evt.num", "evt.plugininfo"]
DUMMY_CHECKS = ["dummy.divisible[2] = 1", "dummy.divisible[abc] = 1", "dummy.value > 5", "dummy.strvalue = 6",
                "dummy.divisible[3] != 1", "dummy.divisible[abc] exists"]


def dummy_lines(path, fmt, condition=None, mode=ExtractionMode.LAZY, sysdig=False):
    if sysdig:
        command = ["sysdig", "-H", path, "-I", f"{path}:{DUMMY_OPEN}", "-p", fmt] + ([condition] if condition else [])
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()
    inspector = Inspector()
    try:
        return list(inspector.run(Inspection(plugins=[path], input=f"{path}:{DUMMY_OPEN}", format=fmt,
                                             filter=condition, extraction=mode)))
    finally:
        inspector.registry.shutdown()


@pytest.mark.clause("EXTRACT-BATCHED")
def test_a_failing_field_leaves_the_others_their_values(tmp_path):
    path = str(build_sdk_like("dummy"))
    lines = dummy_lines(path, "*%dummy.value %dummy.divisible[abc]")
    assert lines[0] == "4 <NA>" and all(line.endswith(" <NA>") and line != "<NA> <NA>" for line in lines)
    assert set(dummy_lines(path, "*%dummy.value %dummy.divisible[abc]", mode=ExtractionMode.BATCHED)) == {"<NA> <NA>"}


@needs_sysdig
@pytest.mark.clause("EXTRACT-BATCHED", "OUTPUT-FORMAT")
@settings(max_examples=15, deadline=None)
@given(st.builds(lambda star, tokens: ("*" if star else "") + " ".join(f"%{t}" for t in tokens), st.booleans(),
                 st.lists(st.sampled_from(DUMMY_TOKENS), min_size=1, max_size=5)),
       st.none() | st.builds(lambda parts, joiner: joiner.join(parts),
                             st.lists(st.sampled_from(DUMMY_CHECKS), min_size=1, max_size=3),
                             st.sampled_from([" and ", " or "])))
def test_the_go_sdk_like_dummy_prints_and_filters_as_in_sysdig(fmt, condition):
    path = str(build_sdk_like("dummy"))
    assert dummy_lines(path, fmt, condition) == dummy_lines(path, fmt, condition, sysdig=True)


# The 2022 cloudtrail rules style through `plugref run`.


@pytest.mark.clause("EXTRACT-BATCHED")
def test_console_login_without_mfa_fires_in_plugref_run(tmp_path, cloudtrail, json_plugin):
    trail = write_trail(tmp_path, [GET_OBJECT, LOGIN_WITHOUT_MFA, DENIED])
    config = tmp_path / "falco.yaml"
    config.write_text(f"plugins:\n  - name: cloudtrail\n    library_path: {cloudtrail}\n    open_params: {trail}\n"
                      f"  - name: json\n    library_path: {json_plugin}\nload_plugins: [cloudtrail, json]\n")
    result = subprocess.run([sys.executable, "-m", "reference.tools.cli", "run", "-c", str(config), "-r", RULES,
                             "--json"], capture_output=True, text=True, timeout=120, env={**os.environ, "TZ": "UTC"})
    assert result.returncode == 0, result.stderr
    alerts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["rule"] for a in alerts] == ["Console Login Without MFA", "Access Denied By Region"]
    assert alerts[0]["output"] == ("10:00:01.000000000: Critical Console login without MFA (user=bob, source ip=10.0.0.2, region=eu-west-1, "
                                   "mfa=No, result=Success)")
    assert alerts[1]["output"] == ("10:00:02.000000000: Warning Access denied (call=RunInstances, region=us-west-2, "
                                   "identity=Root)")


# The C++-SDK-like dummy_c.


@pytest.mark.clause("SRC-ID-RULES")
def test_dummy_c_as_released_is_refused_for_its_id_0_with_the_registry_id():
    with pytest.raises(LoadError) as caught:
        PluginRegistry().load(open_native(build_sdk_like("dummy_c")), "")
    assert caught.value.clause == "SRC-ID-RULES"
    assert "has ID 0" in str(caught.value) and "the plugin registry gives dummy_c ID 4" in str(caught.value)


def test_dummy_c_with_its_registry_id_prints_and_its_exception_aborts_inspect():
    path = str(build_sdk_like("dummy_c", {"DUMMY_C_ID": "4"}))
    inspector = Inspector()
    try:
        lines = list(inspector.run(Inspection(plugins=[path], input=f'{path}:{{"start":1,"maxEvents":3}}',
                                              format="%dummy.value %dummy.strvalue %dummy.divisible[2]")))
    finally:
        inspector.registry.shutdown()
    values = [int(line.split()[0]) for line in lines]
    assert len(lines) == 3 and all(line == f"{v} {v} {int(v % 2 == 0)}" for v, line in zip(values, lines))
    # std::stoi("abc") throws through extract_fields: no host in the same process survives it.
    result = subprocess.run([sys.executable, "-m", "reference.tools.cli", "inspect", "-H", path, "-I",
                             f'{path}:{{"start":1,"maxEvents":3}}', "-p", "%dummy.value %dummy.divisible[abc]"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == -6 and "std::invalid_argument" in result.stderr


def test_the_go_sdk_handle_limit_panics_at_the_32nd_init():
    path = str(build_sdk_like("json", {"GOSDK_HANDLE_LIMIT": "31"}))
    script = ("import sys; from reference.host.native import open_native\n"
              "lib = open_native(sys.argv[1])\n"
              "for n in range(1, 33):\n"
              "    state, rc = lib.init('')\n"
              "    print(n, rc, flush=True)\n"
              "    lib.destroy(state)\n")
    result = subprocess.run([sys.executable, "-c", script, path], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "panic: " in result.stderr
    assert result.stdout.splitlines()[-1] == "31 0"


# Errors.


@pytest.mark.clause("FILTER-ERRORS")
@pytest.mark.parametrize("condition, column", [
    ("evt.num = abc", 11), ("evt.num > 1 and evt.num = abc", 27), ("evt.num in (1, abc)", 16),
    ("evt.num !=   abc", 14)])
def test_a_bad_number_is_reported_at_the_value(condition, column):
    inspector = Inspector()
    with pytest.raises(FilterError) as caught:
        list(inspector.run(Inspection(plugins=["fake_plugins.counter"], input="fake_plugins.counter",
                                      format="%evt.num", filter=condition)))
    inspector.registry.shutdown()
    assert str(caught.value) == f"filter error at index {column - 1}, line 1, column {column}: abc is not a valid number"


@pytest.mark.clause("INIT-SCHEMA")
def test_list_plugins_prints_the_init_schema_as_the_plugin_returned_it():
    from fake_plugins.native.defects import build_defect

    schema = '{"type":"object",  "properties":{"rate":{"type":"integer"}}}'  # spacing no serializer makes
    path = str(build_defect("well_behaved", {"DEFECT_SCHEMA": json.dumps(schema)}))
    inspector = Inspector()
    try:
        inspector.load(path)
        listing = inspector.plugin_listing()
    finally:
        inspector.registry.shutdown()
    assert f"Init Config Schema: {schema}" in listing
