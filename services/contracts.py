"""JSON <-> Avro-shaped values for event payloads, driven by the contract schemas.

Agencies speak JSON (ISO dates, base64 bytes); the log speaks Avro. Conversion follows the schema so
a bad value is refused with the field's dotted path and the rule it broke.
"""

from __future__ import annotations

import base64
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


def from_json(schema: dict, value: dict[str, Any], *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Convert a JSON object to the Avro-python record of `schema`, leaving out fields in `skip`."""
    if not isinstance(value, dict):
        raise _invalid("payload", "must be a JSON object")
    known = {f["name"] for f in schema["fields"]}
    for name in value:
        if name not in known or name in skip:
            raise _invalid(f"payload.{name}", "is not a field of this event type")
    out: dict[str, Any] = {}
    for f in schema["fields"]:
        name = f["name"]
        if name in skip:
            continue
        if name in value:
            out[name] = _convert(f["type"], value[name], f"payload.{name}")
        elif "default" in f:
            out[name] = f["default"]
        elif _is_sealed(f["type"]):
            out[name] = None  # filled by the door from the sealed personal data
        else:
            raise _invalid(f"payload.{name}", "is required")
    return out


def _is_sealed(avro_type: Any) -> bool:
    types = avro_type if isinstance(avro_type, list) else [avro_type]
    return any(isinstance(t, dict) and t.get("name", "").endswith("SealedPersonalData") for t in types)


def _convert(avro_type: Any, value: Any, path: str) -> Any:
    if isinstance(avro_type, list):  # union: null first, then the one that fits
        if value is None and "null" in avro_type:
            return None
        errors = []
        for branch in avro_type:
            if branch == "null":
                continue
            try:
                return _convert(branch, value, path)
            except ContractError as err:
                errors.append(err.rule)
        raise _invalid(path, "; ".join(errors) or "must not be null")
    if isinstance(avro_type, dict):
        logical = avro_type.get("logicalType")
        kind = avro_type["type"]
        if logical in ("timestamp-micros", "timestamp-millis"):
            return _timestamp(value, path)
        if logical == "date":
            return _date(value, path)
        if kind == "array":
            if not isinstance(value, list):
                raise _invalid(path, "must be a JSON array")
            return [_convert(avro_type["items"], v, f"{path}[{i}]") for i, v in enumerate(value)]
        if kind == "enum":
            if value not in avro_type["symbols"]:
                raise _invalid(path, f"must be one of {', '.join(avro_type['symbols'])}")
            return value
        if kind == "record":
            if not isinstance(value, dict):
                raise _invalid(path, "must be a JSON object")
            return {
                f["name"]: _convert(f["type"], value.get(f["name"], f.get("default")), f"{path}.{f['name']}")
                for f in avro_type["fields"]
            }
        return _convert(kind, value, path)
    return _primitive(avro_type, value, path)


def _primitive(kind: str, value: Any, path: str) -> Any:
    if kind == "null":
        if value is not None:
            raise _invalid(path, "must be null")
        return None
    if kind == "string":
        if not isinstance(value, str):
            raise _invalid(path, "must be a string")
        return value
    if kind in ("int", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _invalid(path, "must be an integer")
        return value
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _invalid(path, "must be a number")
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _invalid(path, "must be true or false")
        return value
    if kind == "bytes":
        try:
            return base64.b64decode(value, validate=True)
        except Exception:
            raise _invalid(path, "must be base64 text") from None
    raise _invalid(path, f"has unsupported type {kind}")


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
