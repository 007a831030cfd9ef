"""Provincial foreign affairs (Văn phòng UBND tỉnh, Phòng Ngoại vụ): the province's cases abroad, their
destination country and nationality verification, and what repatriation cost ([S003] §4, §5, §8).

A case is "abroad" when a mission reported it, when nationality verification or a travel document was
asked for or issued, when repatriation was paid, or when a foreign authority handed the person over.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table

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
from lienthong.projections.rows import Row, RowSet
from lienthong.projections.tables import metadata

NAME = "foreign_affairs_abroad"
TABLE = "av_foreign_affairs_abroad"
_ABROAD = frozenset(
    {
        "NationalityVerificationRequested",
        "TravelDocumentIssued",
        "RepatriationCostPaid",
        "VictimHandoverReceived",
    }
)

table = Table(
    TABLE,
    metadata,
    Column("case_id", String, primary_key=True),
    Column("province_code", String, index=True),
    Column("status", String, nullable=False),
    Column("reported_abroad_by", String),
    Column("destination_country", String),
    Column("nationality_verification", String),  # requested | the result
    Column("nationality_verification_requested_at", String),
    Column("nationality_verification_completed_at", String),
    Column("travel_document_issued_on", String),
    Column("travel_document_type", String),
    Column("repatriation_payments", Integer, nullable=False),
    Column("repatriation_cost_vnd", BigInteger, nullable=False),
    Column("repatriation_fund", String),
    Column("returned_at", String),
    Column("last_event_at", String, nullable=False),
)

SPEC = ViewSpec(name=NAME, table=table, key="case_id", scopes={OWN_PROVINCE: "province_code"})


class ForeignAffairsAbroad:
    name = f"agency_views.{NAME}"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        return [(TABLE, fact.envelope["case_id"])] if fact.kind == EVENT else []

    def apply(self, rows: RowSet, fact: Fact) -> None:
        ctx = context(rows, fact)
        if ctx is None or ctx["kind"] != "case":
            return
        env, event_type = fact.envelope, fact.event_type
        case_id = env["case_id"]
        by_mission = env["emitter_agency_type"] == "mission" and event_type == "PersonReported"
        row = rows.get(TABLE, case_id)
        if row is None:
            if not (by_mission or event_type in _ABROAD):
                return
            row = new_row(table, case_id=case_id, repatriation_payments=0, repatriation_cost_vnd=0)
            rows.put(TABLE, case_id, row)
        else:
            rows.touch(TABLE, case_id)
        row["status"] = ctx["status"]
        row["destination_country"] = ctx["destination_country"]
        row["province_code"] = row["province_code"] or ctx["province_code"]
        row["last_event_at"] = iso(env["occurred_at"])
        if by_mission:
            row["reported_abroad_by"] = env["emitter_agency_code"]
        _steps(row, fact)


def _steps(row: Row, fact: Fact) -> None:
    env, record, event_type = fact.envelope, fact.record, fact.event_type
    at = iso(env["occurred_at"])
    if event_type == "NationalityVerificationRequested":
        row["nationality_verification"] = "requested"
        row["nationality_verification_requested_at"] = at
    elif event_type == "NationalityVerificationCompleted":
        row["nationality_verification"] = record["result"]
        row["nationality_verification_completed_at"] = at
    elif event_type == "TravelDocumentIssued":
        row["travel_document_issued_on"] = day(env["occurred_at"])
        row["travel_document_type"] = record["document_type"]
    elif event_type == "RepatriationCostPaid":
        row["repatriation_payments"] += 1
        row["repatriation_cost_vnd"] += record["amount_vnd"]
        row["repatriation_fund"] = record["fund"]
        row["province_code"] = place(record["route_to_code"])[0] or row["province_code"]
    elif event_type in ("VictimHandoverReceived", "ReceptionRegistered") and row["returned_at"] is None:
        row["returned_at"] = at
