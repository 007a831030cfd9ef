"""Border Guard and Coast Guard: handovers to expect and receipts made.

A case becomes an expected handover when the overseas side moves it towards return (nationality
verification requested, travel document issued, repatriation paid), and a receipt when a person is
handed over at the border or rescued at the border or at sea. The row names the province the person
returns to; it carries no amounts, no personal data and nothing of the person's history.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table

from lienthong.projections.agency_views._common import (
    OWN_PROVINCE,
    ViewSpec,
    context,
    day,
    iso,
    new_row,
    place,
)
from lienthong.projections.facts import EVENT, Fact
from lienthong.projections.rows import RowSet
from lienthong.projections.tables import metadata

NAME = "border_receipts"
TABLE = "av_border_receipts"
EXPECTING = frozenset({"NationalityVerificationRequested", "TravelDocumentIssued", "RepatriationCostPaid"})
RECEIVING = frozenset({"VictimHandoverReceived", "RescueCompleted"})
_FOLLOWED = EXPECTING | RECEIVING | {"NationalityVerificationCompleted"}

table = Table(
    TABLE,
    metadata,
    Column("case_id", String, primary_key=True),
    Column("province_code", String, index=True),
    Column("status", String, nullable=False),  # expected | received
    Column("expected_since", String),
    Column("nationality_verification", String),  # requested | the result
    Column("travel_document_issued_on", String),
    Column("repatriation_paid_on", String),
    Column("route_to_code", String),
    Column("received_at", String),
    Column("received_by", String),
    Column("receipt_type", String),  # handover | rescue
    Column("border_gate_code", String),
    Column("foreign_authority_code", String),
    Column("handover_record_no", String),
    Column("rescue_location_type", String),
    Column("persons_count", Integer),
    Column("last_event_at", String, nullable=False),
)

SPEC = ViewSpec(name=NAME, table=table, key="case_id", scopes={OWN_PROVINCE: "province_code"})


class BorderReceipts:
    name = f"agency_views.{NAME}"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        return [(TABLE, fact.envelope["case_id"])] if fact.kind == EVENT else []

    def apply(self, rows: RowSet, fact: Fact) -> None:
        ctx = context(rows, fact)
        if ctx is None or ctx["kind"] != "case":
            return
        env, record, event_type = fact.envelope, fact.record, fact.event_type
        case_id = env["case_id"]
        row = rows.get(TABLE, case_id)
        if row is None:
            if not _border_fact(fact):
                return
            row = new_row(table, case_id=case_id, status="expected")
            rows.put(TABLE, case_id, row)
        elif event_type in _FOLLOWED:
            rows.touch(TABLE, case_id)
        else:
            return
        at = iso(env["occurred_at"])
        row["last_event_at"] = at
        row["province_code"] = row["province_code"] or ctx["province_code"]
        if event_type in EXPECTING and row["expected_since"] is None:
            row["expected_since"] = at
        if event_type == "NationalityVerificationRequested":
            row["nationality_verification"] = "requested"
        elif event_type == "NationalityVerificationCompleted":
            row["nationality_verification"] = record["result"]
        elif event_type == "TravelDocumentIssued":
            row["travel_document_issued_on"] = day(env["occurred_at"])
        elif event_type == "RepatriationCostPaid":
            row["repatriation_paid_on"] = day(env["occurred_at"])
            province, _ = place(record["route_to_code"])
            row["route_to_code"] = record["route_to_code"]
            row["province_code"] = province or row["province_code"]
        elif event_type == "VictimHandoverReceived":
            row.update(
                status="received",
                received_at=at,
                received_by=env["emitter_agency_code"],
                receipt_type="handover",
                border_gate_code=record.get("border_gate_code"),
                foreign_authority_code=record["foreign_authority_code"],
                handover_record_no=record["handover_record_no"],
                persons_count=len(record["handed_over_person_refs"]) or 1,
                province_code=place(env["admin_unit_code"])[0] or row["province_code"],
            )
        elif event_type == "RescueCompleted" and _border_fact(fact):
            row.update(
                status="received",
                received_at=at,
                received_by=env["emitter_agency_code"],
                receipt_type="rescue",
                rescue_location_type=record["location_type"],
                persons_count=len(record["rescued_person_refs"]) or 1,
                province_code=place(env["admin_unit_code"])[0] or row["province_code"],
            )


def _border_fact(fact: Fact) -> bool:
    """Facts that make a case the border's business: overseas return steps, handovers, and rescues at
    the border or at sea (or by the Border Guard or Coast Guard themselves)."""
    if fact.event_type in EXPECTING or fact.event_type == "VictimHandoverReceived":
        return True
    if fact.event_type == "RescueCompleted":
        return fact.record["location_type"] in ("border", "sea") or fact.envelope["emitter_agency_type"] in (
            "border_guard",
            "coast_guard",
        )
    return False
