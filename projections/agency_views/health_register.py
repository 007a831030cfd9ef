"""Sở Y tế, the lead agency: the province-wide register with its deadlines, stays, support and protection.

One row per case with a person. The lead's own staff see full detail, and only the lead may open the
sealed personal data (a reference to the ciphertext; the read API opens it through the keystore).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import BigInteger, Boolean, Column, Integer, String, Table, Text

from lienthong.contracts import PERSONAL_DATA_FIELD
from lienthong.domain import lifecycle as lc
from lienthong.projections.agency_views._common import (
    OWN_PROVINCE,
    REFERRAL_STATUS,
    ViewSpec,
    add_support,
    case_prefetch,
    day,
    iso,
    jdump,
    jload,
    person_case_row,
    referral_entry,
    support_of,
)
from lienthong.projections.facts import Fact
from lienthong.projections.rows import Row, RowSet
from lienthong.projections.tables import metadata
from lienthong.projections.views.case_register import seal_to_text
from lienthong.rules import RuleNotFound, default_rules

NAME = "health_register"
TABLE = "av_health_register"

table = Table(
    TABLE,
    metadata,
    Column("case_id", String, primary_key=True),
    Column("province_code", String, index=True),
    Column("commune_code", String, index=True),
    Column("person_ref", String),
    Column("status", String, nullable=False, index=True),
    Column("regime", String),
    Column("closed", Boolean, nullable=False),
    Column("close_reason", String),
    Column("sex", String),
    Column("birth_year", Integer),
    Column("opened_by", String, nullable=False),
    Column("opened_at", String, nullable=False),
    Column("reception_type", String),
    Column("received_at", String),
    Column("verification_due_at", String),  # 3 days from reception (L53 Art27(2) am. L86/2025)
    Column("verification_requested_at", String),
    Column("verification_completed_at", String),
    Column("verification_result", String),
    Column("status_determined_on", String),
    Column("certificate_no", String),
    Column("essential_needs_until", String),  # 120 days + extensions (ND162/2025 Art17)
    Column("facility_code", String),
    Column("stay_started_on", String),
    Column("stay_planned_days", Integer),
    Column("stay_extensions", Integer, nullable=False),
    Column("stay_extension_days", Integer, nullable=False),
    Column("stay_discharged_on", String),
    Column("stay_day_count", Integer),
    Column("support_by_type", Text, nullable=False),  # JSON {type: {count, amount_vnd, last_on}}
    Column("support_total_vnd", BigInteger, nullable=False),
    Column("support_refused", Text, nullable=False),  # JSON [type]
    Column("protection_active", Boolean, nullable=False),
    Column("protection_measures", Text, nullable=False),  # JSON, full detail for the lead
    Column("referrals", Text, nullable=False),  # JSON [{referral_id, from, to, service_type, status}]
    Column("last_event_type", String, nullable=False),
    Column("last_event_at", String, nullable=False),
    Column("sealed_personal_data", Text),
)

SPEC = ViewSpec(
    name=NAME,
    table=table,
    key="case_id",
    scopes={OWN_PROVINCE: "province_code"},
    json_columns=frozenset({"support_by_type", "support_refused", "protection_measures", "referrals"}),
    sealed_column="sealed_personal_data",
)


class HealthRegister:
    name = f"agency_views.{NAME}"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        return case_prefetch(table, fact)

    def apply(self, rows: RowSet, fact: Fact) -> None:
        found = person_case_row(
            rows,
            fact,
            table,
            lambda: dict(
                opened_by=fact.envelope["emitter_agency_code"],
                opened_at=iso(fact.envelope["occurred_at"]),
                closed=False,
                stay_extensions=0,
                stay_extension_days=0,
                support_by_type="{}",
                support_total_vnd=0,
                support_refused="[]",
                protection_active=False,
                referrals="[]",
            ),
        )
        if found is None:
            return
        ctx, row = found
        env, record, event_type = fact.envelope, fact.record, fact.event_type
        for name in ("province_code", "commune_code", "person_ref", "status", "regime", "sex", "birth_year"):
            row[name] = ctx[name]
        row["closed"] = ctx["closed"]
        row["protection_measures"] = ctx["protection"]
        row["protection_active"] = bool(jload(ctx["protection"], []))
        row["last_event_type"] = event_type
        row["last_event_at"] = iso(env["occurred_at"])
        sealed_field = PERSONAL_DATA_FIELD.get(event_type)
        if sealed_field and record.get(sealed_field) and event_type != "TipReceived":
            row["sealed_personal_data"] = seal_to_text(record[sealed_field])
        _facts(row, fact)
        _deadlines(row, ctx)


def _facts(row: Row, fact: Fact) -> None:
    env, record, event_type = fact.envelope, fact.record, fact.event_type
    at = iso(env["occurred_at"])
    if event_type in ("ReceptionRegistered", "VictimHandoverReceived") and row["received_at"] is None:
        row["received_at"] = at
        row["reception_type"] = record.get("reception_type", "handed_over")
    elif event_type == "VerificationRequested":
        row["verification_requested_at"] = row["verification_requested_at"] or at
    elif event_type == "InitialVerificationCompleted":
        row["verification_completed_at"] = at
        row["verification_result"] = record["result"]
    elif event_type == "VictimStatusDetermined":
        row["status_determined_on"] = day(record["decision_date"])
    elif event_type == "VictimCertificateIssued":
        row["certificate_no"] = record["certificate_no"]
    elif event_type == "AdmittedToFacility":
        row["facility_code"] = record["facility_code"]
        row["stay_started_on"] = day(record["admitted_on"])
        row["stay_planned_days"] = record["planned_days"]
        row["stay_discharged_on"] = row["stay_day_count"] = None
    elif event_type == "ShelterStayExtended":
        row["stay_extensions"] += 1
        row["stay_extension_days"] += record["extension_days"]
    elif event_type == "DischargedFromFacility":
        row["stay_discharged_on"] = day(record["discharged_on"])
        row["stay_day_count"] = record["day_count"]
    elif event_type == "CaseClosed":
        row["close_reason"] = record["reason"]
    elif event_type == "CaseReopened":
        row["close_reason"] = None
    elif event_type == "SupportRefused":
        row["support_refused"] = jdump(
            sorted(set(jload(row["support_refused"], [])) | {record["support_type"]})
        )
    elif event_type == "ReferralSent":
        row["referrals"] = jdump([*jload(row["referrals"], []), referral_entry(fact)])
    elif event_type in REFERRAL_STATUS:
        referrals = jload(row["referrals"], [])
        for referral in referrals:
            if referral["referral_id"] == record["referral_id"]:
                referral["status"] = REFERRAL_STATUS[event_type]
        row["referrals"] = jdump(referrals)
    support = support_of(fact)
    if support is not None:
        support_type, amount = support
        ledger = add_support(jload(row["support_by_type"], {}), support_type, amount, day(env["occurred_at"]))
        row["support_by_type"] = jdump(ledger)
        row["support_total_vnd"] += amount


def _deadlines(row: Row, ctx: Row) -> None:
    """The 3-day initial verification and the 120-day essential-needs period, from the rules as data;
    a regime or date without such a rule (L2011, before 2025-07-01) has no deadline, not an error."""
    row["verification_due_at"] = None
    row["essential_needs_until"] = None
    if row["received_at"] is None or not row["regime"]:
        return
    status = lc.entitlement_status(ctx["status"], row["regime"])
    due, max_days = _deadline_rules(row["received_at"], row["regime"], status, row["province_code"])
    row["verification_due_at"] = due
    if max_days is not None:
        received_on = _received_on(row["received_at"])
        row["essential_needs_until"] = (
            received_on + timedelta(days=max_days + row["stay_extension_days"])
        ).isoformat()


@lru_cache(maxsize=65536)
def _received_on(received_at: str) -> date:
    return date.fromisoformat(day(datetime.fromisoformat(received_at)))


@lru_cache(maxsize=65536)
def _deadline_rules(
    received_at: str, regime: str, status: str | None, province: str | None
) -> tuple[str | None, int | None]:
    """(verification due, essential-needs days) for one reception: asked on every later fact of the
    case with the same inputs, so the rules are read once (the packaged rules are fixed per process)."""
    rules = default_rules()
    received = datetime.fromisoformat(received_at)
    try:
        due = iso(rules.due("initial_verification", regime, received, province=province))
    except RuleNotFound:
        due = None
    if status is None:
        return due, None
    received_on = date.fromisoformat(day(received))
    entitlement = rules.entitlement("essential_needs", status, regime, received_on, province=province)
    return due, entitlement.max_days if entitlement is not None else None
