"""A plugin whose every answer comes from a *definition* (a JSON/YAML document).

It implements the C contract directly (`reference.contract.v0_3.PluginLibrary`), call by call, the way the
native fake plugin in `fake_plugins/native/` does from the same definition, so that generated
definitions can be loaded as Python and as native plugins and compared. The format is in
docs/fake-plugin-definitions.md; in short:

    required_api_version, type, id, name, description, contact, version, event_source
    fields: [get_fields entries]      or  fields_json: "<raw text>"
    extract_event_sources: [..]       (absent: the symbol is not exported)
    init_schema: {..}                 (absent: the symbol is not exported)
    init_error: "text"                init fails (FAILURE) with this last error
    init_returns_null: true           init returns a NULL state
    open_error: "text"                open fails with this last error
    open_params: [{value, desc}]      list_open_params answer (absent: not exported)
    omit_symbols: [plugin_..]         symbols the library does not export
    events: [{ts: int | "now", values: {"f": v, "f[arg]": v}} | {ts, data: "text"}]
    batches: [{events: n, rc: success|timeout|eof|failure, error: "text"}]

An event's payload is its `values` encoded as `key=value;key=value` (or `data` verbatim);
extracting `f` with argument `a` looks up the key `f[a]` (or `f` with no argument), so a missing
key is "no value" and uint64 fields hold decimal text. event_to_string returns the payload. After
the scripted batches the remaining events come one batch of `batch_size` (default 1) at a time,
then EOF, which is sticky.
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from reference.contract.v0_3 import ALL_SYMBOLS, TS_NOW, Event, ExtractRequest, FieldType, ReturnCode, SchemaType

_RC_NAMES = {"success": ReturnCode.SUCCESS, "timeout": ReturnCode.TIMEOUT, "eof": ReturnCode.EOF,
             "failure": ReturnCode.FAILURE}


def encode_payload(event: dict) -> bytes:
    """The payload bytes of a definition event."""
    if "data" in event:
        return event["data"].encode()
    return ";".join(f"{key}={value}" for key, value in event.get("values", {}).items()).encode()


def decode_payload(data: bytes) -> dict[str, str]:
    values = {}
    for item in data.decode("utf-8", "replace").split(";"):
        key, sep, value = item.partition("=")
        if sep:
            values.setdefault(key, value)
    return values


def event_timestamp(event: dict) -> int:
    ts = event.get("ts", "now")
    return TS_NOW if ts == "now" else int(ts)


def _is_json(value) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


def _is_int(value) -> bool:
    return type(value) is int


def _is_event(event) -> bool:
    if not isinstance(event, dict):
        return False
    ts = event.get("ts", "now")
    if not (ts == "now" or (_is_int(ts) and 0 <= ts < 2**64)):
        return False
    if "data" in event:
        return isinstance(event["data"], str)
    return isinstance(event.get("values", {}), dict)


def _is_batch(step) -> bool:
    return (isinstance(step, dict) and _is_int(step.get("events", 0)) and step.get("events", 0) >= 0
            and step.get("rc", "success") in _RC_NAMES and isinstance(step.get("error", ""), str))


_TEXT = (lambda v: v is None or isinstance(v, str), "a string or null")
#: key -> (test, what the key must be). Strings may be null: a NULL answer is a case to test.
DEFINITION_KEYS = {
    **{key: _TEXT for key in ("required_api_version", "name", "description", "contact", "version", "event_source",
                              "fields_json", "extract_event_sources_json", "init_schema_json", "open_params_json")},
    "type": (_is_int, "an integer"),
    "id": (_is_int, "an integer"),
    "fields": (lambda v: isinstance(v, list) and _is_json(v), "a list of JSON values"),
    "extract_event_sources": (_is_json, "a JSON value"),
    "init_schema": (lambda v: v is None or (isinstance(v, dict) and _is_json(v)), "a mapping (a JSON schema) or null"),
    "open_params": (_is_json, "a JSON value"),
    "init_error": (lambda v: isinstance(v, str), "a string"),
    "open_error": (lambda v: isinstance(v, str), "a string"),
    "init_returns_null": (lambda v: isinstance(v, bool), "true or false"),
    "omit_symbols": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of symbol names"),
    "events": (lambda v: isinstance(v, list) and all(_is_event(e) for e in v),
               "a list of {ts: u64 | now, values: {...}} or {ts, data: text}"),
    "batches": (lambda v: isinstance(v, list) and all(_is_batch(b) for b in v),
                "a list of {events: n >= 0, rc: success|timeout|eof|failure, error: text}"),
    "batch_size": (lambda v: _is_int(v) and v >= 0, "an integer >= 0"),
}


def check_definition(definition: dict) -> None:
    """ValueError `KEY must be ...` for the first key of the wrong type (unknown keys are ignored)."""
    for key, (test, what) in DEFINITION_KEYS.items():
        if key in definition and not test(definition[key]):
            raise ValueError(f"{key} must be {what}")


class _State:
    def __init__(self) -> None:
        self.last_error = ""


class _Instance:
    def __init__(self, events: list[dict], script: list[dict], batch_size: int):
        self.events = events
        self.position = 0
        self.script = list(script)
        self.batch_size = batch_size
        self.ended = False


class DefinedLibrary:
    """`reference.contract.v0_3.PluginLibrary` answering from a definition."""

    def __init__(self, definition: dict, location: str | None = None):
        self.definition = definition
        self.location = location or f"definition:{definition.get('name', '?')}"
        exported = set(ALL_SYMBOLS)
        if definition.get("type", 1) != 1:
            exported -= {"plugin_get_id", "plugin_get_event_source", "plugin_open", "plugin_close",
                         "plugin_next_batch", "plugin_get_progress", "plugin_event_to_string",
                         "plugin_list_open_params"}
        optional = {"plugin_get_extract_event_sources": "extract_event_sources",
                    "plugin_get_init_schema": "init_schema", "plugin_list_open_params": "open_params"}
        for symbol, key in optional.items():
            if key not in definition and f"{key}_json" not in definition:
                exported.discard(symbol)
        if "fields" not in definition and "fields_json" not in definition:
            exported -= {"plugin_get_fields", "plugin_extract_fields"}
        self.symbols = frozenset(exported - set(definition.get("omit_symbols", ())))
        self._fields = definition.get("fields") if isinstance(definition.get("fields"), list) else []

    @classmethod
    def from_file(cls, path: str | Path) -> "DefinedLibrary":
        """The plugin a definition file describes; ValueError naming the key that is wrong."""
        text = Path(path).read_text()
        definition = yaml.safe_load(text)
        if not isinstance(definition, dict):
            raise ValueError(f"{path}: a plugin definition must be a mapping")
        check_definition(definition)
        return cls(definition, str(path))

    def _get(self, key: str, default=""):
        return self.definition.get(key, default)

    def _json(self, key: str, default: object) -> str | None:
        raw = f"{key}_json"
        if raw in self.definition:
            return self.definition[raw]
        return json.dumps(self.definition.get(key, default))

    def get_required_api_version(self) -> str | None:
        return self._get("required_api_version", "0.3.0")

    def get_type(self) -> int:
        return self._get("type", 1)

    def get_id(self) -> int:
        return self._get("id", 0)

    def get_name(self) -> str | None:
        return self._get("name")

    def get_description(self) -> str | None:
        return self._get("description")

    def get_contact(self) -> str | None:
        return self._get("contact")

    def get_version(self) -> str | None:
        return self._get("version", "0.1.0")

    def get_event_source(self) -> str | None:
        return self._get("event_source")

    def get_fields(self) -> str | None:
        return self._json("fields", [])

    def get_extract_event_sources(self) -> str | None:
        return self._json("extract_event_sources", [])

    def get_init_schema(self) -> tuple[str | None, int]:
        if "init_schema_json" in self.definition:
            return self.definition["init_schema_json"], SchemaType.JSON
        schema = self.definition.get("init_schema")
        return ("", SchemaType.NONE) if schema is None else (json.dumps(schema), SchemaType.JSON)

    def init(self, config: str) -> tuple[_State | None, int]:
        if self.definition.get("init_returns_null"):
            return None, ReturnCode.FAILURE
        state = _State()
        if "init_error" in self.definition:
            state.last_error = self.definition["init_error"]
            return state, ReturnCode.FAILURE
        return state, ReturnCode.SUCCESS

    def destroy(self, state: _State) -> None:
        pass

    def get_last_error(self, state: _State) -> str:
        return state.last_error

    def open(self, state: _State, params: str) -> tuple[_Instance | None, int]:
        if "open_error" in self.definition:
            state.last_error = self.definition["open_error"]
            return None, ReturnCode.FAILURE
        return _Instance(self.definition.get("events", []), self.definition.get("batches", []),
                         self.definition.get("batch_size", 1)), ReturnCode.SUCCESS

    def close(self, state: _State, instance: _Instance) -> None:
        pass

    def next_batch(self, state: _State, instance: _Instance) -> tuple[int, list[Event]]:
        if instance.ended:
            return ReturnCode.EOF, []
        if instance.script:
            step = instance.script.pop(0)
            count, rc = step.get("events", 0), _RC_NAMES[step.get("rc", "success")]
            if rc == ReturnCode.FAILURE:
                state.last_error = step.get("error", "")
        else:
            count, rc = instance.batch_size, ReturnCode.SUCCESS
            if instance.position >= len(instance.events):
                count, rc = 0, ReturnCode.EOF
        batch = instance.events[instance.position:instance.position + count]
        instance.position += len(batch)
        if rc == ReturnCode.EOF:
            instance.ended = True
        return rc, [Event(encode_payload(e), event_timestamp(e)) for e in batch]

    def get_progress(self, state: _State, instance: _Instance) -> tuple[str, int]:
        total = max(len(instance.events), 1)
        permyriad = instance.position * 10000 // total
        return f"{permyriad / 100:.2f}", permyriad

    def event_to_string(self, state: _State, data: bytes) -> str:
        return data.decode("utf-8", "replace")

    def extract_fields(self, state: _State, event: Event, requests: list[ExtractRequest]) -> int:
        values = decode_payload(event.data)
        for request in requests:
            key = f"{request.field}[{request.arg}]" if request.arg else request.field
            value = values.get(key)
            request.field_present = value is not None
            if value is None:
                continue
            if request.ftype == FieldType.UINT64:
                if not (value.isascii() and value.isdigit()) or int(value) >= 2**64:
                    state.last_error = f"field {request.field}: {value!r} is not a uint64"
                    return ReturnCode.FAILURE
                request.res_u64 = int(value)
            else:
                request.res_str = value
        return ReturnCode.SUCCESS

    def list_open_params(self, state: _State) -> tuple[str | None, int]:
        return self._json("open_params", []), ReturnCode.SUCCESS


def library(path: str) -> DefinedLibrary:
    """Entry point used by `reference.host.libraries` for definition files."""
    return DefinedLibrary.from_file(path)
