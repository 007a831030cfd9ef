"""Path-aware record validation, compiled once per schema.

fastavro's own validate() reports only "<record full name>.<field>", accepts unknown keys silently and
accepts naive datetimes (which its writer converts with the *host's* local time zone via time.mktime).
This checker follows fastavro's writer rules otherwise, and on failure raises ContractError with the
dotted path from the record root ("envelope.case_version", "items[1].quantity") and a rule code:

  required       a field without default is missing or None
  type           wrong Python type for the Avro type
  range          int/long out of range
  enum           symbol not in the enum
  union          value matches no branch of a union
  unknown_field  a key the schema does not have (would be dropped silently)
  timezone       naive datetime for a timestamp (would be read in the host's local time zone)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from .errors import ContractError

Check = Callable[[Any], None]

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
_MISSING = object()


class _Fail(Exception):
    """Internal: carries the rule and the path segments (innermost first) up to the record root."""

    def __init__(self, rule: str, detail: str) -> None:
        self.rule = rule
        self.detail = detail
        self.path: list[str] = []


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _type_fail(expected: str, value: Any) -> _Fail:
    if value is None:
        return _Fail("required", f"expected {expected}, got None")
    return _Fail("type", f"expected {expected}, got {_describe(value)}")


def _check_null(v: Any) -> None:
    if v is not None:
        raise _Fail("type", f"expected null, got {_describe(v)}")


def _check_boolean(v: Any) -> None:
    if v is not True and v is not False:
        raise _type_fail("boolean", v)


def _integer(name: str, low: int, high: int) -> Check:
    def check(v: Any) -> None:
        if type(v) is not int:  # bool is an int subclass; refuse it
            if isinstance(v, int) and not isinstance(v, bool):
                v = int(v)
            else:
                raise _type_fail(name, v)
        if not low <= v <= high:
            raise _Fail("range", f"{v} is out of range for {name}")

    return check


def _check_float(v: Any) -> None:
    if not isinstance(v, int | float) or isinstance(v, bool):
        raise _type_fail("float/double", v)


def _check_bytes(v: Any) -> None:
    if not isinstance(v, bytes | bytearray):
        raise _type_fail("bytes", v)


def _check_string(v: Any) -> None:
    if not isinstance(v, str):
        raise _type_fail("string", v)


def _timestamp(name: str, low: int, high: int) -> Check:
    as_int = _integer(name, low, high)

    def check(v: Any) -> None:
        if isinstance(v, dt.datetime):
            if v.tzinfo is None or v.utcoffset() is None:
                raise _Fail("timezone", f"naive datetime {v.isoformat()}; give a timezone-aware datetime")
        else:
            as_int(v)

    return check


def _check_date(v: Any) -> None:
    if isinstance(v, dt.datetime) or not isinstance(v, dt.date):
        if type(v) is int:
            if not INT_MIN <= v <= INT_MAX:
                raise _Fail("range", f"{v} is out of range for date (days since 1970-01-01)")
            return
        raise _type_fail("datetime.date", v)


PRIMITIVE_CHECKS: dict[str, Check] = {
    "null": _check_null,
    "boolean": _check_boolean,
    "int": _integer("int", INT_MIN, INT_MAX),
    "long": _integer("long", LONG_MIN, LONG_MAX),
    "float": _check_float,
    "double": _check_float,
    "bytes": _check_bytes,
    "string": _check_string,
}
LOGICAL_CHECKS: dict[tuple[str, str], Check] = {
    ("long", "timestamp-micros"): _timestamp("timestamp-micros", LONG_MIN, LONG_MAX),
    ("long", "timestamp-millis"): _timestamp("timestamp-millis", LONG_MIN, LONG_MAX),
    ("int", "date"): _check_date,
}


def compile_checker(parsed: Any) -> Check:
    """Compile a fastavro-parsed schema into a function raising ContractError for a bad datum."""
    named: dict[str, Check] = {}
    inner = _compile(parsed, named)

    def check(datum: Any) -> None:
        try:
            inner(datum)
        except _Fail as fail:
            path = "".join(reversed(fail.path)).lstrip(".") or "<root>"
            raise ContractError(path, fail.rule, f"{path}: {fail.detail}") from None

    return check


def _compile(schema: Any, named: dict[str, Check]) -> Check:
    if isinstance(schema, str):
        if schema in PRIMITIVE_CHECKS:
            return PRIMITIVE_CHECKS[schema]
        return lambda v: named[schema](v)  # reference to a named type (maybe recursive)
    if isinstance(schema, list):
        return _compile_union(schema, named)
    kind = schema["type"]
    if isinstance(kind, dict | list):
        return _compile(kind, named)
    if kind in ("record", "error"):
        return _compile_record(schema, named)
    if kind == "enum":
        return _compile_enum(schema, named)
    if kind == "array":
        return _compile_array(schema, named)
    if kind == "map":
        return _compile_map(schema, named)
    if kind == "fixed":
        size = schema["size"]

        def check_fixed(v: Any) -> None:
            if not isinstance(v, bytes | bytearray) or len(v) != size:
                raise _type_fail(f"{size} bytes", v)

        named[schema["name"]] = check_fixed
        return check_fixed
    logical = schema.get("logicalType")
    return LOGICAL_CHECKS.get((kind, logical)) or _compile(kind, named)


def _compile_record(schema: dict[str, Any], named: dict[str, Check]) -> Check:
    def check_record(v: Any) -> None:
        if not isinstance(v, Mapping):
            raise _type_fail(f"record {schema['name']} (a mapping)", v)
        for key in v:
            if key not in field_names:
                fail = _Fail("unknown_field", f"{schema['name']} has no field {key!r}")
                fail.path.append(f".{key}")
                raise fail
        for name, check, optional in fields:
            value = v.get(name, _MISSING)
            if value is _MISSING:
                if optional:
                    continue
                fail = _Fail("required", "required field is missing (no default)")
                fail.path.append(f".{name}")
                raise fail
            try:
                check(value)
            except _Fail as fail:
                fail.path.append(f".{name}")
                raise

    named[schema["name"]] = check_record
    fields: list[tuple[str, Check, bool]] = []
    for f in schema["fields"]:
        ftype = f["type"]
        nullable = isinstance(ftype, list) and "null" in ftype
        fields.append((f["name"], _compile(ftype, named), "default" in f or nullable))
    field_names = frozenset(name for name, _, _ in fields)
    return check_record


def _compile_enum(schema: dict[str, Any], named: dict[str, Check]) -> Check:
    symbols = frozenset(schema["symbols"])
    listing = ", ".join(schema["symbols"])

    def check_enum(v: Any) -> None:
        if not isinstance(v, str) or v not in symbols:
            if v is None:
                raise _Fail("required", f"expected one of {listing}, got None")
            raise _Fail("enum", f"{v!r} is not a symbol of {schema['name']} ({listing})")

    named[schema["name"]] = check_enum
    return check_enum


def _compile_array(schema: dict[str, Any], named: dict[str, Check]) -> Check:
    item = _compile(schema["items"], named)

    def check_array(v: Any) -> None:
        if not isinstance(v, list | tuple):
            raise _type_fail("array (list)", v)
        for i, x in enumerate(v):
            try:
                item(x)
            except _Fail as fail:
                fail.path.append(f"[{i}]")
                raise

    return check_array


def _compile_map(schema: dict[str, Any], named: dict[str, Check]) -> Check:
    value_check = _compile(schema["values"], named)

    def check_map(v: Any) -> None:
        if not isinstance(v, Mapping):
            raise _type_fail("map (dict)", v)
        for k, x in v.items():
            if not isinstance(k, str):
                raise _type_fail("string map key", k)
            try:
                value_check(x)
            except _Fail as fail:
                fail.path.append(f"[{k!r}]")
                raise

    return check_map


def _compile_union(branches: list[Any], named: dict[str, Check]) -> Check:
    checks = [_compile(b, named) for b in branches]
    non_null = [c for b, c in zip(branches, checks, strict=True) if b != "null"]
    nullable = len(non_null) < len(checks)
    labels = " | ".join(b if isinstance(b, str) else str(b.get("name") or b.get("type")) for b in branches)

    if nullable and len(non_null) == 1:
        only = non_null[0]

        def check_optional(v: Any) -> None:
            if v is not None:
                only(v)  # errors inside the value keep their own path and rule

        return check_optional

    def check_union(v: Any) -> None:
        if v is None and nullable:
            return
        for check in non_null:
            try:
                check(v)
                return
            except _Fail:
                continue
        raise _Fail("required" if v is None else "union", f"{_describe(v)} matches no branch of [{labels}]")

    return check_union
