"""Init configs drawn from a plugin's JSON schema: valid ones init must accept, invalid ones it must refuse.

`hypothesis-jsonschema` is used when it is installed; otherwise a small generator covers the
schemas plugins actually publish (objects of typed properties, enums, bounds, arrays, anyOf).
Whatever produces them, every config is checked with `jsonschema` before use, so a construct the
small generator does not understand costs examples, never correctness.
"""
from __future__ import annotations

import json
from typing import Any

import jsonschema
from hypothesis import strategies as st

#: Texts no JSON parser accepts (Python's json.loads included: no NaN, no bare words).
NOT_JSON = ("{", "not json", "{'single': 'quotes'}", '{"key": }', "[1, 2", '{"a": 1,}', '"unterminated', "{}}")

#: One sample value of each JSON type, to put where the schema expects another type.
_SAMPLES_BY_TYPE = {
    "string": "plugref",
    "integer": 7,
    "number": 2.5,
    "boolean": True,
    "null": None,
    "array": [1, "two"],
    "object": {"plugref": 1},
}

UNKNOWN_KEY = "plugref_unknown_key"
MAX_DEPTH = 3


def _validator(schema: dict):
    return jsonschema.validators.validator_for(schema)(schema)


def is_valid_config(schema: dict, text: str) -> bool:
    """Would the framework pass `text` to init (INIT-SCHEMA)? Non-JSON never is."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return _validator(schema).is_valid(document)


def _any_json(depth: int) -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=12)
    if depth >= MAX_DEPTH:
        return scalars
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


def _declared_types(schema: dict) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in declared if isinstance(t, str)]
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        return ["object"]
    if "items" in schema:
        return ["array"]
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return ["number"]
    if any(k in schema for k in ("minLength", "maxLength", "pattern")):
        return ["string"]
    return []


def _bounds(schema: dict, integral: bool) -> tuple[float | None, float | None]:
    low, high = schema.get("minimum"), schema.get("maximum")
    step = 1 if integral else 1e-9
    exclusive_low, exclusive_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    # Draft 4 spells exclusivity as booleans next to minimum/maximum; later drafts as numbers.
    if exclusive_low is True and low is not None:
        low += step
    elif isinstance(exclusive_low, (int, float)) and not isinstance(exclusive_low, bool):
        low = exclusive_low + step if low is None else max(low, exclusive_low + step)
    if exclusive_high is True and high is not None:
        high -= step
    elif isinstance(exclusive_high, (int, float)) and not isinstance(exclusive_high, bool):
        high = exclusive_high - step if high is None else min(high, exclusive_high - step)
    return low, high


def _values_of_type(schema: dict, kind: str, depth: int) -> st.SearchStrategy[Any]:
    if kind == "object":
        properties = schema.get("properties") or {}
        required = [k for k in schema.get("required") or [] if isinstance(k, str)]
        mandatory = {k: values_for(properties.get(k, {}), depth + 1) for k in required}
        optional = {k: values_for(v, depth + 1) for k, v in properties.items() if k not in mandatory}
        return st.fixed_dictionaries(mandatory, optional=optional)
    if kind == "array":
        items = schema.get("items", {})
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", low + 4), low + 4)
        return st.lists(values_for(items if isinstance(items, dict) else {}, depth + 1), min_size=low, max_size=high)
    if kind == "string":
        low = schema.get("minLength", 0)
        high = schema.get("maxLength", low + 24)
        if isinstance(schema.get("pattern"), str):
            return st.from_regex(schema["pattern"]).filter(lambda s: low <= len(s) <= high)
        return st.text(st.characters(exclude_characters="\0"), min_size=low, max_size=high)
    if kind == "integer":
        low, high = _bounds(schema, integral=True)
        return st.integers(min_value=None if low is None else int(-(-low // 1)),
                           max_value=None if high is None else int(high // 1))
    if kind == "number":
        low, high = _bounds(schema, integral=False)
        return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return _any_json(depth)


def values_for(schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Documents that often satisfy `schema` (callers filter with a validator)."""
    if schema is True or not isinstance(schema, dict):
        return _any_json(depth)
    if schema is False:
        return st.nothing()
    if "const" in schema:
        return st.just(schema["const"])
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return st.sampled_from(schema["enum"])
    for combinator in ("anyOf", "oneOf"):
        branches = schema.get(combinator)
        if isinstance(branches, list) and branches:
            return st.one_of([values_for({**{k: v for k, v in schema.items() if k != combinator}, **branch}
                                         if isinstance(branch, dict) else branch, depth) for branch in branches])
    if isinstance(schema.get("allOf"), list) and schema["allOf"]:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            if isinstance(part, dict):
                merged.update(part)
        return values_for(merged, depth)
    kinds = _declared_types(schema)
    if not kinds:
        return _any_json(depth)
    if depth >= MAX_DEPTH and ("object" in kinds or "array" in kinds):
        return st.just({} if "object" in kinds else [])
    return st.one_of([_values_of_type(schema, kind, depth) for kind in kinds])


def _document_strategy(schema: dict) -> st.SearchStrategy[Any]:
    try:
        from hypothesis_jsonschema import from_schema
    except ImportError:
        return values_for(schema)
    try:
        return from_schema(schema)
    except Exception:  # it refuses schemas it cannot handle; the small generator still tries
        return values_for(schema)


def valid_configs(schema: dict) -> st.SearchStrategy[str]:
    """Config texts the framework passes to init: JSON documents `schema` accepts."""
    validator = _validator(schema)
    return _document_strategy(schema).filter(validator.is_valid).map(lambda doc: json.dumps(doc))


def _mutations(schema: dict, base: Any) -> list[Any]:
    """Documents one step away from a valid `base`, each breaking one rule of `schema`."""
    broken: list[Any] = [value for kind, value in _SAMPLES_BY_TYPE.items() if kind not in _declared_types(schema)]
    if not isinstance(base, dict):
        return broken
    properties = schema.get("properties") or {}
    for key, subschema in properties.items():
        if not isinstance(subschema, dict):
            continue
        declared = _declared_types(subschema)
        for kind, value in _SAMPLES_BY_TYPE.items():
            if declared and kind not in declared and not (kind == "integer" and "number" in declared):
                broken.append({**base, key: value})
        if isinstance(subschema.get("enum"), list):
            broken.append({**base, key: "plugref-not-in-enum"})
        low, high = _bounds(subschema, integral="integer" in declared)
        if low is not None:
            broken.append({**base, key: low - 1})
        if high is not None:
            broken.append({**base, key: high + 1})
        if isinstance(subschema.get("minLength"), int) and subschema["minLength"] > 0:
            broken.append({**base, key: ""})
    for key in schema.get("required") or []:
        if key in base:
            broken.append({k: v for k, v in base.items() if k != key})
    if schema.get("additionalProperties") is False:
        broken.append({**base, UNKNOWN_KEY: 1})
    return broken


def invalid_configs(schema: dict | None) -> st.SearchStrategy[str]:
    """Config texts a correct plugin refuses: not JSON at all, or (with a schema) JSON it refuses."""
    not_json = st.sampled_from(NOT_JSON)
    if schema is None:
        return not_json
    validator = _validator(schema)
    mutated = _document_strategy(schema).filter(validator.is_valid).flatmap(
        lambda base: st.sampled_from(_mutations(schema, base) or [None]))
    documents = mutated.filter(lambda doc: not validator.is_valid(doc)).map(lambda doc: json.dumps(doc))
    return st.one_of(not_json, documents)
