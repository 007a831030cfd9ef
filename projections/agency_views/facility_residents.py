"""Social assistance facilities: their residents, each one's plan, protection orders, and referrals in.

One row per (facility agency, case), served to that facility only (addressee scope): a resident is
admitted and not yet discharged; a referral in is one addressed to the facility and not yet refused,
revoked or completed. Sex and birth year are kept because accommodation must suit them (DOMAIN §a).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from lienthong.projections.agency_views._common import (
    ADDRESSEE_ONLY,
    REFERRAL_STATUS,
    ViewSpec,
    add_view_key,
    agency_type_of,
    context,
    day,
    iso,
    jdump,
    jload,
    new_row,
    view_keys,
)
from lienthong.projections.facts import Fact
from lienthong.projections.rows import Row, RowSet
from lienthong.projections.tables import metadata

NAME = "facility_residents"
TABLE = "av_facility_residents"
_OPEN_REFERRAL = ("sent", "accepted")

table = Table(
    TABLE,
    metadata,
    Column("row_key", String, primary_key=True),  # facility agency code | case id
    Column("facility_agency_code", String, nullable=False, index=True),
    Column("case_id", String, nullable=False),
    Column("province_code", String),
    Column("visible", Boolean, nullable=False),
    Column("status", String, nullable=False),
    Column("sex", String),
    Column("birth_year", Integer),
    Column("resident", Boolean, nullable=False),
    Column("facility_code", String),
    Column("admitted_on", String),
    Column("planned_days", Integer),
    Column("extension_days", Integer, nullable=False),
    Column("discharged_on", String),
    Column("need_codes", Text, nullable=False),  # JSON: the case plan (latest needs assessment)
    Column("protection_active", Boolean, nullable=False),
    Column("protection_measures", Text, nullable=False),  # JSON [{measure_code, risk_level, valid_until}]
    Column("referral_id", String),
    Column("referral_status", String),
    Column("referral_service_type", String),
    Column("referred_by", String),
    Column("referred_at", String),
    Column("last_event_at", String, nullable=False),
)

SPEC = ViewSpec(
    name=NAME,
    table=table,
    key="row_key",
    scopes={ADDRESSEE_ONLY: "facility_agency_code"},
    visible="visible",
    json_columns=frozenset({"need_codes", "protection_measures"}),
)


class FacilityResidents:
    name = f"agency_views.{NAME}"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        return []  # rows are found through the case context (loaded on first use)

    def apply(self, rows: RowSet, fact: Fact) -> None:
        ctx = context(rows, fact)
        if ctx is None or ctx["kind"] != "case":
            return
        env, record, event_type = fact.envelope, fact.record, fact.event_type
        addressee = None
        if event_type == "AdmittedToFacility":
            addressee = env["emitter_agency_code"]
        elif event_type == "ReferralSent" and agency_type_of(record["to_agency_code"]) == "social_facility":
            addressee = record["to_agency_code"]
        if addressee is not None:
            key = f"{addressee}|{env['case_id']}"
            if rows.get(TABLE, key) is None:
                rows.put(TABLE, key, _new(key, addressee, env["case_id"]))
            add_view_key(rows, ctx, NAME, key)
        for key in view_keys(ctx, NAME):
            row = rows.get(TABLE, key)
            if row is None:
                continue
            rows.touch(TABLE, key)
            _update(row, ctx, fact)


def _new(key: str, addressee: str, case_id: str) -> Row:
    return new_row(
        table,
        row_key=key,
        facility_agency_code=addressee,
        case_id=case_id,
        resident=False,
        extension_days=0,
        need_codes="[]",
        protection_active=False,
        protection_measures="[]",
    )


def _update(row: Row, ctx: Row, fact: Fact) -> None:
    env, record, event_type = fact.envelope, fact.record, fact.event_type
    mine = env["emitter_agency_code"] == row["facility_agency_code"]
    for name in ("province_code", "status", "sex", "birth_year"):
        row[name] = ctx[name]
    row["last_event_at"] = iso(env["occurred_at"])
    row["need_codes"] = ctx["need_codes"]
    measures = jload(ctx["protection"], [])
    row["protection_active"] = bool(measures)
    row["protection_measures"] = _measures(measures)
    if event_type == "AdmittedToFacility" and mine:
        row.update(
            resident=True,
            facility_code=record["facility_code"],
            admitted_on=day(record["admitted_on"]),
            planned_days=record["planned_days"],
            discharged_on=None,
        )
    elif event_type == "ShelterStayExtended" and row["resident"]:
        row["extension_days"] += record["extension_days"]
    elif event_type == "DischargedFromFacility" and mine:
        row.update(resident=False, discharged_on=day(record["discharged_on"]))
    elif event_type == "ReferralSent" and record["to_agency_code"] == row["facility_agency_code"]:
        row.update(
            referral_id=record["referral_id"],
            referral_status="sent",
            referral_service_type=record["service_type"],
            referred_by=env["emitter_agency_code"],
            referred_at=iso(env["occurred_at"]),
        )
    elif event_type in REFERRAL_STATUS and record["referral_id"] == row["referral_id"]:
        row["referral_status"] = REFERRAL_STATUS[event_type]
    row["visible"] = bool(row["resident"]) or row["referral_status"] in _OPEN_REFERRAL


def _measures(measures: list[dict]) -> str:
    """What a facility needs to apply a measure: which one, how risky, until when (not who decided)."""
    return jdump([{k: m[k] for k in ("measure_code", "risk_level", "valid_until")} for m in measures])
