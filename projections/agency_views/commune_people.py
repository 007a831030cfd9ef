"""Commune People's Committee: the people received in or returning to the commune, what they are entitled
to, what they were already given (so nothing is paid twice), their applications, and the referrals
addressed to the commune. Protection shows as a flag and a contact, never the measure or its reason.

The row follows the person: it belongs to the commune of reception until a ReturnedToResidence names
another commune. A person found not to be a victim leaves the commune's view.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from lienthong.domain import lifecycle as lc
from lienthong.projections.agency_views._common import (
    ACTIVE_PERSON_STATUSES,
    OWN_COMMUNE,
    PROTECTION_CONTACT_EN,
    PROTECTION_CONTACT_VI,
    REFERRAL_STATUS,
    ViewSpec,
    add_support,
    agency_type_of,
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
from lienthong.rules import default_rules
from lienthong.rules import vocabulary as v

NAME = "commune_people"
TABLE = "av_commune_people"

table = Table(
    TABLE,
    metadata,
    Column("case_id", String, primary_key=True),
    Column("province_code", String, index=True),
    Column("commune_code", String, index=True),
    Column("visible", Boolean, nullable=False),
    Column("status", String, nullable=False),
    Column("regime", String),
    Column("sex", String),
    Column("birth_year", Integer),
    Column("closed", Boolean, nullable=False),
    Column("received_at", String),
    Column("returned_on", String),
    Column("entitlements", Text, nullable=False),  # JSON [{support_type, one_off, requires, given}]
    Column("support_given", Text, nullable=False),  # JSON {type: {count, amount_vnd, last_on}}
    Column("support_refused", Text, nullable=False),  # JSON [type]
    Column("applications", Text, nullable=False),  # JSON [{application_id, support_type, status, ...}]
    Column("referrals", Text, nullable=False),  # JSON: referrals addressed to a commune People's Committee
    Column("protection_flag", Boolean, nullable=False),
    Column("protection_contact", Text),
    Column("last_event_at", String, nullable=False),
)

SPEC = ViewSpec(
    name=NAME,
    table=table,
    key="case_id",
    scopes={OWN_COMMUNE: "commune_code"},
    visible="visible",
    json_columns=frozenset({"entitlements", "support_given", "support_refused", "applications", "referrals"}),
)

_APPLICATION_STATUS = {
    "SupportApplicationCertified": "certified",
    "SupportApproved": "approved",
    "SupportRejected": "rejected",
}


class CommunePeople:
    name = f"agency_views.{NAME}"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        return case_prefetch(table, fact)

    def apply(self, rows: RowSet, fact: Fact) -> None:
        found = person_case_row(
            rows,
            fact,
            table,
            lambda: dict(
                entitlements="[]",
                support_given="{}",
                support_refused="[]",
                applications="[]",
                referrals="[]",
            ),
        )
        if found is None:
            return
        ctx, row = found
        env, event_type = fact.envelope, fact.event_type
        for name in ("province_code", "commune_code", "status", "regime", "sex", "birth_year", "closed"):
            row[name] = ctx[name]
        row["last_event_at"] = iso(env["occurred_at"])
        row["visible"] = row["status"] in ACTIVE_PERSON_STATUSES and row["commune_code"] is not None
        protected = bool(jload(ctx["protection"], []))
        row["protection_flag"] = protected
        row["protection_contact"] = _contact(row["province_code"]) if protected else None
        if event_type in ("ReceptionRegistered", "VictimHandoverReceived") and row["received_at"] is None:
            row["received_at"] = iso(env["occurred_at"])
        elif event_type == "ReturnedToResidenceConfirmed":
            row["returned_on"] = day(fact.record["arrival_date"])
        _support(row, fact)
        _workflows(row, fact)
        row["entitlements"] = jdump(_entitlements(row, env))


def _contact(province: str | None) -> str:
    who = f"SYT-{province}" if province else "Sở Y tế"
    return f"{PROTECTION_CONTACT_VI} ({who}). / {PROTECTION_CONTACT_EN} ({who})."


def _support(row: Row, fact: Fact) -> None:
    support = support_of(fact)
    if support is not None:
        support_type, amount = support
        ledger = jload(row["support_given"], {})
        row["support_given"] = jdump(
            add_support(ledger, support_type, amount, day(fact.envelope["occurred_at"]))
        )
    if fact.event_type == "SupportRefused":
        refused = set(jload(row["support_refused"], [])) | {fact.record["support_type"]}
        row["support_refused"] = jdump(sorted(refused))


def _workflows(row: Row, fact: Fact) -> None:
    record, event_type = fact.record, fact.event_type
    if event_type == "SupportApplicationSubmitted":
        applications = jload(row["applications"], [])
        applications.append(
            {
                "application_id": record["application_id"],
                "support_type": record["support_type"],
                "status": "submitted",
                "submitted_on": day(record["submitted_on"]),
                "requested_amount_vnd": record.get("requested_amount_vnd"),
                "approved_amount_vnd": None,
            }
        )
        row["applications"] = jdump(applications)
    elif event_type in _APPLICATION_STATUS:
        applications = jload(row["applications"], [])
        for application in applications:
            if application["application_id"] == record["application_id"]:
                application["status"] = _APPLICATION_STATUS[event_type]
                if event_type == "SupportApproved":
                    application["approved_amount_vnd"] = record["approved_amount_vnd"]
        row["applications"] = jdump(applications)
    elif event_type == "ReferralSent" and agency_type_of(record["to_agency_code"]) == "commune_pc":
        row["referrals"] = jdump([*jload(row["referrals"], []), referral_entry(fact)])
    elif event_type in REFERRAL_STATUS:
        referrals = jload(row["referrals"], [])
        for referral in referrals:
            if referral["referral_id"] == record["referral_id"]:
                referral["status"] = REFERRAL_STATUS[event_type]
        row["referrals"] = jdump(referrals)


def _entitlements(row: Row, env: dict) -> list[dict]:
    """Support types the person is entitled to on the day of the latest fact, under their regime, with
    whether a one-off was already given (the decider refuses a second one; the commune sees why)."""
    regime = row["regime"]
    status = lc.entitlement_status(row["status"], regime) if regime else None
    if status is None or row["closed"]:
        return []
    refused = frozenset(jload(row["support_refused"], []))
    if "all" in refused:
        return []
    on = date.fromisoformat(day(env["occurred_at"]))
    given = frozenset(jload(row["support_given"], {}))
    return _entitlement_list(status, regime, on, row["province_code"], given, refused)


@lru_cache(maxsize=65536)
def _entitlement_list(
    status: str, regime: str, on: date, province: str | None, given: frozenset, refused: frozenset
) -> list[dict]:
    # Shared between rows with the same inputs: JSON values are replaced, never changed in place.
    return [
        {
            "support_type": support_type,
            "one_off": one_off,
            "requires": list(requires),
            "given": support_type in given,
        }
        for support_type, one_off, requires in _entitled(status, regime, on, province)
        if support_type not in refused
    ]


@lru_cache(maxsize=65536)
def _entitled(
    status: str, regime: str, on: date, province: str | None
) -> tuple[tuple[str, bool, tuple[str, ...]], ...]:
    """The rules' answer for one (status, regime, day, province): the same for every person sharing them,
    and asked on every fact, so it is looked up once (the packaged rules are fixed for the process)."""
    rules = default_rules()
    found = []
    for support_type in sorted(v.SUPPORT_TYPES):
        entitlement = rules.entitlement(support_type, status, regime, on, province=province)
        if entitlement is not None:
            found.append((support_type, entitlement.one_off, tuple(sorted(entitlement.requires))))
    return tuple(found)
