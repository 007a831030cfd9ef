"""JSON <-> Avro-shaped values for event payloads, driven by the contract schemas.

Agencies speak JSON (ISO dates, base64 bytes); the log speaks Avro. Conversion follows the schema so
a bad value is refused with the field's dotted path and the rule it broke.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from lienthong.schemas import ContractError

EVENT_NAMESPACE = "lienthong.events"
# Where each event type carries the sealed personal data of its subject (ARCHITECTURE rule 5).
PERSONAL_DATA_FIELD: dict[str, str] = {
    "PersonReported": "personal_data",
    "ReceptionRegistered": "personal_data",
    "TipReceived": "narrative",
}


def _invalid(field: str, rule: str) -> ContractError:
    return ContractError(field, rule, f"{field}: {rule}")


Convert = Callable[[Any, str], Any]  # (JSON value, its dotted path) -> Avro-python value
_SEALED, _REQUIRED = object(), object()


def from_json(schema: dict, value: dict[str, Any], *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Convert a JSON object to the Avro-python record of `schema`, leaving out fields in `skip`."""
    if not isinstance(value, dict):
        raise _invalid("payload", "must be a JSON object")
    known, fields = _plan(schema, skip)
    for name in value:
        if name not in known:
            raise _invalid(f"payload.{name}", "is not a field of this event type")
    out: dict[str, Any] = {}
    for name, path, convert, default in fields:
        if name in value:
            out[name] = convert(value[name], path)
        elif default is _SEALED:
            out[name] = None  # filled by the door from the sealed personal data
        elif default is _REQUIRED:
            raise _invalid(path, "is required")
        else:
            out[name] = default
    return out


# Plans per (schema, skip), compiled once: the decider converts every payload with one of a few dozen.
# The schema is kept with its plan, so its id is never reused while the entry lives (schemas never change).
_PLANS: dict[tuple[int, tuple[str, ...]], tuple[dict, frozenset[str], tuple]] = {}


def _plan(schema: dict, skip: tuple[str, ...]) -> tuple[frozenset[str], tuple]:
    entry = _PLANS.get((id(schema), skip))
    if entry is None or entry[0] is not schema:
        known = frozenset(f["name"] for f in schema["fields"]) - set(skip)
        fields = tuple(
            (f["name"], f"payload.{f['name']}", _compile(f["type"]), _default_of(f))
            for f in schema["fields"]
            if f["name"] not in skip
        )
        entry = _PLANS[(id(schema), skip)] = (schema, known, fields)
    return entry[1], entry[2]


def _default_of(f: dict[str, Any]) -> Any:
    if "default" in f:
        return f["default"]
    return _SEALED if _is_sealed(f["type"]) else _REQUIRED


def _is_sealed(avro_type: Any) -> bool:
    types = avro_type if isinstance(avro_type, list) else [avro_type]
    return any(isinstance(t, dict) and t.get("name", "").endswith("SealedPersonalData") for t in types)


def _compile(avro_type: Any) -> Convert:
    """The converter for one Avro type: checks and converts as the JSON contract says, naming the path."""
    if isinstance(avro_type, list):
        return _compile_union(avro_type)
    if isinstance(avro_type, dict):
        logical = avro_type.get("logicalType")
        kind = avro_type["type"]
        if logical in ("timestamp-micros", "timestamp-millis"):
            return _timestamp
        if logical == "date":
            return _date
        if kind == "array":
            return _compile_array(avro_type)
        if kind == "enum":
            return _compile_enum(avro_type)
        if kind == "record":
            return _compile_record(avro_type)
        return _compile(kind)
    return _PRIMITIVES.get(avro_type) or _unsupported(avro_type)


def _compile_union(branches: list[Any]) -> Convert:
    """null first, then the first branch that fits; else every branch's rule, joined."""
    if branches == ["null", "string"]:
        return _optional_string
    nullable = "null" in branches
    converts = [_compile(b) for b in branches if b != "null"]

    def convert(value: Any, path: str) -> Any:
        if value is None and nullable:
            return None
        errors = []
        for branch in converts:
            try:
                return branch(value, path)
            except ContractError as err:
                errors.append(err.rule)
        raise _invalid(path, "; ".join(errors) or "must not be null")

    return convert


def _optional_string(value: Any, path: str) -> str | None:
    """["null", "string"], the commonest field type (same outcome as the general union)."""
    if value is None or isinstance(value, str):
        return value
    raise _invalid(path, "must be a string")


def _compile_array(avro_type: dict[str, Any]) -> Convert:
    item = _compile(avro_type["items"])

    def convert(value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise _invalid(path, "must be a JSON array")
        try:
            return [item(v, path) for v in value]
        except ContractError:
            # Paths are built only to name what broke: converting again (it is pure) names the item.
            return [item(v, f"{path}[{i}]") for i, v in enumerate(value)]

    return convert


def _compile_enum(avro_type: dict[str, Any]) -> Convert:
    symbols = frozenset(avro_type["symbols"])
    rule = f"must be one of {', '.join(avro_type['symbols'])}"

    def convert(value: Any, path: str) -> Any:
        if not isinstance(value, str) or value not in symbols:  # symbols are strings: same as `in` the list
            raise _invalid(path, rule)
        return value

    return convert


def _compile_record(avro_type: dict[str, Any]) -> Convert:
    fields = [(f["name"], f.get("default"), _compile(f["type"])) for f in avro_type["fields"]]

    def convert(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _invalid(path, "must be a JSON object")
        try:
            return {name: conv(value.get(name, default), path) for name, default, conv in fields}
        except ContractError:  # as for arrays: again, to name the field that broke
            return {name: conv(value.get(name, default), f"{path}.{name}") for name, default, conv in fields}

    return convert


def _unsupported(kind: Any) -> Convert:
    def convert(value: Any, path: str) -> Any:
        raise _invalid(path, f"has unsupported type {kind}")

    return convert


def _null(value: Any, path: str) -> None:
    if value is not None:
        raise _invalid(path, "must be null")


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _invalid(path, "must be a string")
    return value


def _integer(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(path, "must be an integer")
    return value


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(path, "must be a number")
    return float(value)


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _invalid(path, "must be true or false")
    return value


def _bytes(value: Any, path: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except Exception:
        raise _invalid(path, "must be base64 text") from None


_PRIMITIVES: dict[str, Convert] = {
    "null": _null,
    "string": _string,
    "int": _integer,
    "long": _integer,
    "float": _number,
    "double": _number,
    "boolean": _boolean,
    "bytes": _bytes,
}


def _timestamp(value: Any, path: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise _invalid(path, "must be an ISO 8601 date-time with a UTC offset") from None
    if parsed.tzinfo is None:
        raise _invalid(path, "must carry a UTC offset (e.g. +07:00)")
    return parsed.astimezone(UTC)


def _date(value: Any, path: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _invalid(path, "must be an ISO 8601 date (YYYY-MM-DD)") from None


def to_json(value: Any) -> Any:
    """Avro-python values to JSON-friendly ones (for the read API and audit exports)."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value
