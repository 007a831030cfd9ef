"""What every agency view shares: the spec the read API serves a view by, the private case context and
person index the views read, and small pure helpers.

The context and the index are derived state, never served: pseudonymous refs and classifications only
(no personal data). Text columns have no length: their values come from agencies' payloads, and
PostgreSQL would refuse an overlong one in the middle of a projector batch. `CaseContext` is the first
view of the family, so when a later view applies a fact the context already reflects it (the runner
applies each fact to every view in list order).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from lienthong import places
from lienthong.agencies import default_registry
from lienthong.domain import lifecycle as lc
from lienthong.projections.facts import EVENT, Fact
from lienthong.projections.rows import Row, RowSet
from lienthong.projections.tables import metadata

CONTEXT = "av_case_context"
PERSONS = "av_person_index"
VIETNAM = timedelta(hours=7)

# Scope rules a reader row of view_access.toml may name, and what each compares.
OWN_COMMUNE, OWN_PROVINCE, NATIONAL, ADDRESSEE_ONLY = (
    "own_commune",
    "own_province",
    "national",
    "addressee_only",
)
SCOPES = (OWN_COMMUNE, OWN_PROVINCE, NATIONAL, ADDRESSEE_ONLY)

# Protection flags travel without their reason (DOMAIN §f duty 5).
PROTECTION_CONTACT_VI = "Không tiết lộ địa chỉ, nơi ở, nơi làm việc, trường học; liên hệ qua Sở Y tế"
PROTECTION_CONTACT_EN = (
    "Do not disclose address, residence, workplace or school; contact via the Department of Health"
)

# Statuses in which a person is someone an agency acts for (a closed "not a victim" is not).
ACTIVE_PERSON_STATUSES = frozenset(lc.PERSON_STATUSES - {lc.NOT_A_VICTIM})
IDENTIFICATION_STATUSES = frozenset({lc.REPORTED, lc.RECEIVED, lc.IN_IDENTIFICATION})


@dataclass(frozen=True)
class ViewSpec:
    """How the read API serves a view: its table, key, scope columns, and columns that are not plain."""

    name: str
    table: Table
    key: str
    scopes: Mapping[str, str]  # scope rule -> the indexed column it filters on; national needs none
    visible: str | None = None  # internal flag: rows outside the mandate are kept for replay, never served
    json_columns: frozenset[str] = field(default_factory=frozenset)
    sealed_column: str | None = None  # sealed personal data: opened through the keystore, never listed

    def __post_init__(self) -> None:
        names = set(self.table.columns.keys())
        for column in (self.key, *self.scopes.values(), self.visible, self.sealed_column, *self.json_columns):
            if column is not None and column not in names:
                raise ValueError(f"view {self.name}: column {column!r} is not in table {self.table.name}")

    def supports(self, scope: str) -> bool:
        return scope == NATIONAL or scope in self.scopes


# --- the private case context and person index -------------------------------------------------------

case_context = Table(
    CONTEXT,
    metadata,
    Column("case_id", String, primary_key=True),
    Column("kind", String, nullable=False),  # case | stream
    Column("person_ref", String),
    Column("status", String, nullable=False),
    Column("regime", String),
    Column("closed", Boolean, nullable=False),
    Column("province_code", String),  # today's map
    Column("commune_code", String),  # today's map; moves with ReturnedToResidence
    Column("sex", String),
    Column("birth_year", Integer),
    Column("destination_country", String),
    Column("protection", Text, nullable=False),  # JSON: active measures
    Column("protection_requests", Text, nullable=False),  # JSON: pending requests
    Column("protection_refused", Boolean, nullable=False),
    Column("family_unsafe", Boolean, nullable=False),
    Column("need_codes", Text, nullable=False),  # JSON: the latest needs assessment
    Column("criminal_cases", Text, nullable=False),  # JSON: {ref: {role, stage, at}}
    Column("view_keys", Text, nullable=False),  # JSON: {view: [row keys]} for rows not keyed by case id
    Column("first_event_at", String, nullable=False),
    Column("last_event_at", String, nullable=False),
)

person_index = Table(
    PERSONS,
    metadata,
    Column("person_ref", String, primary_key=True),
    Column("case_id", String, nullable=False),
    Column("role", String, nullable=False),
    Column("status", String, nullable=False),
    Column("birth_year", Integer),
    Column("merged_into", String),
    Column("justice_entries", Text, nullable=False),  # JSON: reconciliation rows naming this person
)


class CaseContext:
    """Keeps the case context and person index up to date; serves nothing."""

    name = "agency_views.context"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        if fact.kind != EVENT:
            return []
        return [(CONTEXT, fact.envelope["case_id"]), *((PERSONS, ref) for ref in person_refs(fact))]

    def apply(self, rows: RowSet, fact: Fact) -> None:
        if fact.kind != EVENT:
            return
        env, record, event_type = fact.envelope, fact.record, fact.event_type
        case_id = env["case_id"]
        ctx = rows.get(CONTEXT, case_id)
        if ctx is None:
            ctx = new_row(
                case_context,
                case_id=case_id,
                kind="stream" if event_type in lc.STREAM_EVENTS else "case",
                status=lc.TIP,
                closed=False,
                protection="[]",
                protection_requests="[]",
                protection_refused=False,
                family_unsafe=False,
                need_codes="[]",
                criminal_cases="{}",
                view_keys="{}",
                first_event_at=iso(env["occurred_at"]),
            )
            rows.put(CONTEXT, case_id, ctx)
        else:
            rows.touch(CONTEXT, case_id)
        ctx["last_event_at"] = iso(env["occurred_at"])
        ctx["province_code"], ctx["commune_code"] = places.settled(
            ctx["province_code"], ctx["commune_code"], env["admin_unit_code"]
        )
        if event_type == "ReturnedToResidence":
            to_province, to_commune = place(record["destination_unit_code"])
            ctx["province_code"] = to_province or ctx["province_code"]
            ctx["commune_code"] = to_commune or ctx["commune_code"]
        elif event_type == "CaseTransferAccepted":
            # Only the agency the transfer names may accept it (the decider's check): from now on the
            # case is in its territory, and its readers, not the sender's, read the case's rows.
            handed = places.taken_over(ctx["province_code"], ctx["commune_code"], env["emitter_unit_code"])
            ctx["province_code"], ctx["commune_code"] = handed
        subject = env.get("subject_person_ref")
        merging = event_type in ("PersonsMerged", "PersonsUnmerged")
        if ctx["person_ref"] is None and subject and not merging:
            ctx["person_ref"] = subject
        if not merging and (subject is None or subject == ctx["person_ref"]):
            ctx["status"] = lc.next_status(ctx["status"], event_type, record)
            ctx["regime"] = env["legal_regime"]
            if record.get("sex") not in (None, "unknown"):
                ctx["sex"] = record["sex"]
            if record.get("birth_year") is not None:
                ctx["birth_year"] = record["birth_year"]
        _case_facts(ctx, event_type, record, env)
        _persons(rows, fact)


def _case_facts(ctx: Row, event_type: str, record: dict, env: dict) -> None:
    at = iso(env["occurred_at"])
    if event_type == "CaseClosed":
        ctx["closed"] = True
    elif event_type == "CaseReopened":
        ctx["closed"] = False
    elif event_type == "VictimStatusDetermined" and record.get("destination_country"):
        ctx["destination_country"] = record["destination_country"]
    elif event_type == "ProtectionRequested":
        request = {
            "measure_codes": sorted(record["measure_codes"]),
            "risk_level": record["risk_level"],
            "requested_by": record["requested_by"],
            "requested_at": at,
        }
        ctx["protection_requests"] = jdump([*jload(ctx["protection_requests"], []), request])
    elif event_type == "ProtectionMeasureApplied":
        active = [m for m in jload(ctx["protection"], []) if m["measure_code"] != record["measure_code"]]
        active.append(
            {
                "measure_code": record["measure_code"],
                "risk_level": record["risk_level"],
                "decision_org": record["decision_org"],
                "valid_until": iso(record.get("valid_until")),
                "applied_at": at,
            }
        )
        ctx["protection"] = jdump(sorted(active, key=lambda m: m["measure_code"]))
        ctx["protection_requests"] = jdump(_settle(ctx, {record["measure_code"]}))
    elif event_type == "ProtectionMeasureLifted":
        active = [m for m in jload(ctx["protection"], []) if m["measure_code"] != record["measure_code"]]
        ctx["protection"] = jdump(active)
    elif event_type == "ProtectionRefused":
        ctx["protection_refused"] = True
        ctx["protection_requests"] = jdump(_settle(ctx, set(record["measure_codes"])))
    elif event_type == "FamilyContacted" and record["outcome"] == "unsafe":
        ctx["family_unsafe"] = True
    elif event_type == "NeedsAssessed":
        ctx["need_codes"] = jdump(sorted(set(record["need_codes"])))
    elif event_type == "CriminalCaseLinked":
        cases = {**jload(ctx["criminal_cases"], {})}
        cases[record["criminal_case_ref"]] = {"role": record["role"], "stage": record["stage"], "at": at}
        ctx["criminal_cases"] = jdump(cases)


def _settle(ctx: Row, measure_codes: set[str]) -> list[dict]:
    """Pending requests once `measure_codes` were decided: a request is settled when all its codes are."""
    out = []
    for request in jload(ctx["protection_requests"], []):
        left = [c for c in request["measure_codes"] if c not in measure_codes]
        if left:
            out.append({**request, "measure_codes": left})
    return out


def _persons(rows: RowSet, fact: Fact) -> None:
    env, record, event_type = fact.envelope, fact.record, fact.event_type
    subject = env.get("subject_person_ref")
    if event_type == "PersonsMerged":
        for ref in record["merged_person_refs"]:
            _person(rows, fact, ref)["merged_into"] = record["surviving_person_ref"]
        return
    if event_type == "PersonsUnmerged":
        for ref in record["restored_person_refs"]:
            _person(rows, fact, ref)["merged_into"] = None
        return
    if subject:
        person = _person(rows, fact, subject)
        person["status"] = lc.next_status(person["status"], event_type, record)
        if record.get("birth_year") is not None:
            person["birth_year"] = record["birth_year"]
    if event_type == "AccompanyingMinorLinked":
        minor = _person(rows, fact, record["minor_person_ref"])
        minor.update(role=lc.ACCOMPANYING_MINOR, status=lc.ACCOMPANYING_MINOR)
        minor["birth_year"] = record.get("minor_birth_year")


def _person(rows: RowSet, fact: Fact, ref: str) -> Row:
    row = rows.get_or_create(
        PERSONS,
        ref,
        lambda: new_row(
            person_index,
            person_ref=ref,
            case_id=fact.envelope["case_id"],
            role="subject",
            status=lc.TIP,
            justice_entries="[]",
        ),
    )
    if row["role"] == "unregistered":  # named in a court's list before the register knew them
        row.update(role="subject", case_id=fact.envelope["case_id"])
    rows.touch(PERSONS, ref)
    return row


def person_refs(fact: Fact) -> list[str]:
    record = fact.record
    refs = [fact.envelope.get("subject_person_ref"), record.get("minor_person_ref")]
    refs += record.get("merged_person_refs", []) + record.get("restored_person_refs", [])
    return [r for r in refs if r]


# --- helpers every view uses -------------------------------------------------------------------------


def context(rows: RowSet, fact: Fact) -> Row | None:
    """The case context of the fact's case, already updated with the fact (None for rejections)."""
    return rows.get(CONTEXT, fact.envelope["case_id"]) if fact.kind == EVENT else None


def view_keys(ctx: Row, view: str) -> list[str]:
    return list(jload(ctx["view_keys"], {}).get(view, []))


def add_view_key(rows: RowSet, ctx: Row, view: str, key: str) -> None:
    keys = jload(ctx["view_keys"], {})
    if key not in keys.get(view, ()):
        ctx["view_keys"] = jdump({**keys, view: [*keys.get(view, ()), key]})
        rows.touch(CONTEXT, ctx["case_id"])


def new_row(table: Table, **values: Any) -> Row:
    row: Row = dict.fromkeys(table.columns.keys())
    row.update(values)
    return row


def person_case_row(
    rows: RowSet, fact: Fact, table: Table, defaults: Callable[[], dict[str, Any]]
) -> tuple[Row, Row] | None:
    """The shared case context and this view's row for the fact's case, or None when the fact is not
    about a person's case. A row is created (with `defaults()`) once the case has a person."""
    ctx = context(rows, fact)
    if ctx is None or ctx["kind"] != "case":
        return None
    case_id = fact.envelope["case_id"]
    row = rows.get(table.name, case_id)
    if row is None:
        if ctx["status"] not in lc.PERSON_STATUSES:
            return None
        row = new_row(table, case_id=case_id, **defaults())
        rows.put(table.name, case_id, row)
    else:
        rows.touch(table.name, case_id)
    return ctx, row


def case_prefetch(table: Table, fact: Fact) -> list[tuple[str, object]]:
    return [(table.name, fact.envelope["case_id"])] if fact.kind == EVENT else []


# Today's (province, commune) of a unit of either map: rows are scoped by today's units.
place = places.current_place


def iso(value: datetime | None) -> str | None:
    return _iso(value) if value is not None else None


@lru_cache(maxsize=8192)
def _iso(value: datetime) -> str:
    # Every view stamps the same occurred_at of a fact: formatting it once per fact is measurable.
    return value.astimezone(UTC).isoformat()


def day(value: date | datetime | None) -> str | None:
    """A calendar day as ISO text; a timestamp is read in Vietnam time."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value.astimezone(UTC) + VIETNAM).date().isoformat()
    return value.isoformat()


_EMPTY_JSON = frozenset({"[]", "{}"})  # the stored defaults: no need to parse them


def jload(value: Any, default: Any) -> Any:
    """A JSON column's value: text as stored, or the object a view put there earlier in the batch.

    Objects are shared, not copied: views replace a JSON value, never change one in place, unless the
    row is their own (the same object may sit in another view's row of the same batch).
    """
    if not value:
        return default
    if isinstance(value, str):
        return default if value in _EMPTY_JSON else json.loads(value)
    return value


def jdump(value: Any) -> Any:
    """Store a JSON value; it is serialised once, when the batch writes its rows (``rows.to_db``)."""
    return value


def birth_year_band(year: int | None) -> str | None:
    """Five-year birth cohort, e.g. 2010-2014: enough for school placement, too coarse to single out."""
    if year is None:
        return None
    start = year - year % 5
    return f"{start}-{start + 4}"


@cache
def agency_type_of(code: str | None) -> str | None:
    agency = default_registry().find(code) if code else None
    return agency.agency_type if agency else None


@cache
def agency_province_of(code: str | None) -> str | None:
    agency = default_registry().find(code) if code else None
    if agency is None or agency.jurisdiction == places.NATIONAL:
        return None
    return places.current_province_of(agency.jurisdiction)


# Where each support event carries its amount (DOMAIN §c); services without cash count with amount 0.
_AMOUNT_FIELD = {
    "SupportPaid": "amount_vnd",
    "EssentialNeedsProvided": "amount_vnd",
    "TravelCostPaid": "amount_vnd",
    "RepatriationCostPaid": "amount_vnd",
    "MedicalServiceProvided": "cost_vnd",
    "HealthInsuranceIssued": "contribution_vnd",
    "TuitionExempted": "amount_vnd",
    "VocationalTrainingEnrolled": "cost_vnd",
    "LoanDisbursed": "amount_vnd",
}


def support_of(fact: Fact) -> tuple[str, int] | None:
    """(support type, amount in VND) of a support event, else None. Essential needs given by a mission
    abroad draw on the abroad entitlement, as the decider reads them."""
    event_type, record = fact.event_type, fact.record
    if event_type == "SupportPaid":
        support_type = record["support_type"]
    else:
        support_type = lc.SUPPORT_OF_EVENT.get(event_type)
    if support_type is None:
        return None
    if event_type == "EssentialNeedsProvided" and fact.envelope["emitter_agency_type"] == "mission":
        support_type = "essential_needs_abroad"
    field_name = _AMOUNT_FIELD.get(event_type)
    return support_type, int(record.get(field_name) or 0) if field_name else 0


def add_support(ledger: dict, support_type: str, amount: int, on: str | None) -> dict:
    entry = ledger.setdefault(support_type, {"count": 0, "amount_vnd": 0, "last_on": None})
    entry["count"] += 1
    entry["amount_vnd"] += amount
    entry["last_on"] = max(filter(None, (entry["last_on"], on)), default=None)
    return ledger


def referral_entry(fact: Fact) -> dict:
    record = fact.record
    return {
        "referral_id": record["referral_id"],
        "from_agency_code": fact.envelope["emitter_agency_code"],
        "to_agency_code": record["to_agency_code"],
        "service_type": record["service_type"],
        "status": "sent",
        "sent_at": iso(fact.envelope["occurred_at"]),
    }


REFERRAL_STATUS = {
    "ReferralAccepted": "accepted",
    "ReferralRejected": "rejected",
    "ReferralCompleted": "completed",
    "ReferralRevoked": "revoked",
}


def opaque_key(prefix: str, *parts: str) -> str:
    """A stable key that does not carry the pseudonymous refs it is made from."""
    return f"{prefix}-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]
