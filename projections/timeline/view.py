"""The pure apply of the case timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from lienthong.domain.lifecycle import STREAM_EVENTS
from lienthong.projections.facts import EVENT, Fact
from lienthong.projections.rows import RowSet, dump_json
from lienthong.projections.timeline.tables import TABLE

# Payload fields that carry personal data (sealed at the door). Left out by name, and any other value
# shaped like a sealed blob is left out too, so a future sealed field cannot leak in by omission.
PERSONAL_FIELDS = frozenset({"personal_data", "narrative", "sealed_corrections", "child_best_interest_note"})


class CaseTimeline:
    name = "case_timeline"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        return []  # rows are only ever written, keyed by event id

    def apply(self, rows: RowSet, fact: Fact) -> None:
        if fact.kind != EVENT or fact.event_type in STREAM_EVENTS:
            return
        row = timeline_row(fact.record)
        rows.put(TABLE, row["event_id"], row)


def timeline_row(record: dict[str, Any]) -> dict[str, Any]:
    env = record["envelope"]
    return {
        "event_id": env["event_id"],
        "case_id": env["case_id"],
        "version": env["case_version"],
        "event_type": env["event_type"],
        "occurred_at": env["occurred_at"],
        "emitter_agency_code": env["emitter_agency_code"],
        "admin_unit_code": env["admin_unit_code"],
        "payload_json": dump_json(non_personal_payload(record)),  # json.dumps(ensure_ascii=False, sort_keys)
    }


def non_personal_payload(record: dict[str, Any]) -> dict[str, Any]:
    """The payload without the envelope, the personal fields and anything sealed, as plain JSON values."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        if name == "envelope" or name in PERSONAL_FIELDS or _sealed(value):
            continue
        clean = _plain(value)
        if clean is not _DROP:
            out[name] = clean
    return out


_DROP = object()


def _sealed(value: Any) -> bool:
    return isinstance(value, dict) and "ciphertext" in value


_SCALARS = frozenset({str, int, float, bool, type(None)})  # most values: kept as they are


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return _DROP
    if isinstance(value, dict):
        if _sealed(value):
            return _DROP
        return {k: v for k, v in ((k, _plain(v)) for k, v in value.items()) if v is not _DROP}
    if isinstance(value, list | tuple):
        return [v for v in map(_plain, value) if v is not _DROP]
    return value
