"""Police of the province and of the commune: persons in identification in the area, protection orders and
risk flags.

A row is served while its person is in identification (reported, received, being verified) or under
protection or a pending protection request; an identified victim without protection needs no police
view (non-punishment principle, DOMAIN §f). Provincial police may open the sealed personal data they
need to verify identity; commune police may not.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from lienthong.contracts import PERSONAL_DATA_FIELD
from lienthong.projections.agency_views._common import (
    IDENTIFICATION_STATUSES,
    OWN_COMMUNE,
    OWN_PROVINCE,
    ViewSpec,
    case_prefetch,
    iso,
    jdump,
    jload,
    person_case_row,
)
from lienthong.projections.facts import Fact
from lienthong.projections.rows import Row, RowSet
from lienthong.projections.tables import metadata
from lienthong.projections.views.case_register import seal_to_text

NAME = "police_area"
TABLE = "av_police_area"
_RISK_RANK = {"unknown": 0, "low": 1, "medium": 2, "high": 3}

table = Table(
    TABLE,
    metadata,
    Column("case_id", String, primary_key=True),
    Column("province_code", String, index=True),
    Column("commune_code", String, index=True),
    Column("visible", Boolean, nullable=False),
    Column("status", String, nullable=False),
    Column("sex", String),
    Column("birth_year", Integer),
    Column("opened_at", String, nullable=False),
    Column("received_at", String),
    Column("verification_requested_at", String),
    Column("verification_due_at", String),
    Column("verification_completed_at", String),
    Column("verification_result", String),
    Column("nationality_verification", String),  # requested | the result
    Column("protection_active", Boolean, nullable=False),
    Column("protection_measures", Text, nullable=False),  # JSON
    Column("protection_requests", Text, nullable=False),  # JSON, pending
    Column("risk_level", String),
    Column("risk_flags", Text, nullable=False),  # JSON [flag]
    Column("criminal_case_stage", String),
    Column("last_event_at", String, nullable=False),
    Column("sealed_personal_data", Text),
)

SPEC = ViewSpec(
    name=NAME,
    table=table,
    key="case_id",
    scopes={OWN_PROVINCE: "province_code", OWN_COMMUNE: "commune_code"},
    visible="visible",
    json_columns=frozenset({"protection_measures", "protection_requests", "risk_flags"}),
    sealed_column="sealed_personal_data",
)


class PoliceArea:
    name = f"agency_views.{NAME}"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        return case_prefetch(table, fact)

    def apply(self, rows: RowSet, fact: Fact) -> None:
        found = person_case_row(
            rows,
            fact,
            table,
            lambda: dict(
                opened_at=iso(fact.envelope["occurred_at"]),
            ),
        )
        if found is None:
            return
        ctx, row = found
        env, record, event_type = fact.envelope, fact.record, fact.event_type
        for name in ("province_code", "commune_code", "status", "sex", "birth_year"):
            row[name] = ctx[name]
        row["last_event_at"] = iso(env["occurred_at"])
        at = iso(env["occurred_at"])
        if event_type in ("ReceptionRegistered", "VictimHandoverReceived") and row["received_at"] is None:
            row["received_at"] = at
        elif event_type == "VerificationRequested":
            row["verification_requested_at"] = at
            row["verification_due_at"] = iso(record["due_at"])
        elif event_type == "InitialVerificationCompleted":
            row["verification_completed_at"] = at
            row["verification_result"] = record["result"]
        elif event_type == "NationalityVerificationRequested":
            row["nationality_verification"] = "requested"
        elif event_type == "NationalityVerificationCompleted":
            row["nationality_verification"] = record["result"]
        sealed_field = PERSONAL_DATA_FIELD.get(event_type)
        if sealed_field and record.get(sealed_field) and event_type != "TipReceived":
            row["sealed_personal_data"] = seal_to_text(record[sealed_field])
        _protection(row, ctx, fact)


def _protection(row: Row, ctx: Row, fact: Fact) -> None:
    measures = jload(ctx["protection"], [])
    requests = jload(ctx["protection_requests"], [])
    row["protection_measures"] = ctx["protection"]
    row["protection_requests"] = ctx["protection_requests"]
    row["protection_active"] = bool(measures)
    levels = [m["risk_level"] for m in measures] + [r["risk_level"] for r in requests]
    row["risk_level"] = max(levels, key=_RISK_RANK.__getitem__) if levels else None
    flags = set()
    if row["risk_level"] == "high":
        flags.add("high_risk")
    if requests:
        flags.add("protection_requested")
    if ctx["protection_refused"]:
        flags.add("protection_refused")
    if ctx["family_unsafe"]:
        flags.add("family_unsafe")
    if ctx["birth_year"] is not None and fact.envelope["occurred_at"].year - ctx["birth_year"] < 18:
        flags.add("child")
    row["risk_flags"] = jdump(sorted(flags))
    stages = jload(ctx["criminal_cases"], {})
    latest = max(stages.values(), key=lambda c: c["at"], default=None)
    row["criminal_case_stage"] = latest["stage"] if latest else None
    row["visible"] = (not ctx["closed"] and row["status"] in IDENTIFICATION_STATUSES) or bool(
        measures or requests
    )
