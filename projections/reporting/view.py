"""The reporting view: pure, rebuildable from the log like every other view (prefetch, then apply).

What it keeps (see tables.py): per person ref the facts statistics need (sex, birth year, reception,
determination with exploitation type, destination and recruitment, regime, units, the reporting-period
date); per event the services given (counted per event) and the activities the agencies' duty reports
count; per tip the hotline loop. Merges are not applied here: the reports follow `persons.merged_into`
with `counted_person`, so a person is counted once however many refs the agencies gave them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from lienthong import places
from lienthong.domain import lifecycle as lc
from lienthong.projections.facts import EVENT, Fact
from lienthong.projections.reporting.attribution import is_commune, order_key, refine, vn_date
from lienthong.projections.reporting.tables import report_persons, report_tips
from lienthong.projections.rows import RowSet

PERSONS = "report_persons"
SERVICES = "report_services"
ACTIVITIES = "report_activities"
TIPS = "report_tips"
COURT_LISTS = "report_court_lists"

MERGE_EVENTS = frozenset({"PersonsMerged", "PersonsUnmerged"})

# Services: the support events of DOMAIN §d (lifecycle.SUPPORT_OF_EVENT), SupportPaid with its own
# support type, protection measures applied and admissions to a facility (temporary shelter).
PROTECTION = "protection"
SHELTER = "facility_shelter"
_AMOUNT_FIELDS = ("amount_vnd", "cost_vnd", "contribution_vnd")
_NO_AMOUNT = frozenset({"LoanApplicationReferred"})  # a requested amount is not money given

# Events the duty reports of DOMAIN §e count, with the payload field kept as their `detail`.
ACTIVITY_DETAIL: dict[str, str | None] = {
    "PersonReported": None,
    "RescueCompleted": "location_type",
    "VictimHandoverReceived": "border_gate_code",
    "ReceptionRegistered": "reception_type",
    "IdentificationStarted": None,
    "VerificationRequested": "to_agency_code",
    "InitialVerificationCompleted": "result",
    "NationalityVerificationRequested": "to_agency_code",
    "NationalityVerificationCompleted": "result",
    "VictimStatusDetermined": "status",
    "VictimCertificateIssued": "document_type",
    "ProtectionRequested": "requested_by",
    "ProtectionMeasureApplied": "measure_code",
    "ProtectionMeasureLifted": None,
    "ProtectionRefused": None,
    "EssentialNeedsProvided": None,
    "TravelCostPaid": "fund",
    "RepatriationCostPaid": "fund",
    "TravelDocumentIssued": None,
    "AdmittedToFacility": "facility_code",
    "ReferralSent": "to_agency_code",
    "ReturnedToResidence": None,
    "CriminalCaseLinked": "role",
}

# Facts that show the person abroad (victims abroad are the provincial PC office's duty, DOMAIN §e).
# Facts a RecordCorrected may correct, and the key column naming the event the row took each from.
CORRECTABLE = {
    "exploitation_types": "determined_key",
    "destination_country": "determined_key",
    "recruitment_method": "determined_key",
    "reception_type": "received_key",
    "sex": "sex_key",
    "birth_year": "birth_key",
}

_PERSON_COLUMNS = tuple(c.name for c in report_persons.columns)
_TIP_COLUMNS = tuple(c.name for c in report_tips.columns)

ABROAD_EVENTS = frozenset(
    {
        "NationalityVerificationRequested",
        "NationalityVerificationCompleted",
        "RepatriationCostPaid",
        "TravelDocumentIssued",
        "VictimHandoverReceived",
    }
)


class Reporting:
    name = "reporting"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        if fact.kind != EVENT:
            return []
        env, record = fact.envelope, fact.record
        keys: list[tuple[str, object]] = []
        subject = env.get("subject_person_ref")
        if subject and fact.event_type not in MERGE_EVENTS:
            keys.append((PERSONS, subject))
        if fact.event_type == "AccompanyingMinorLinked":
            keys.append((PERSONS, record["minor_person_ref"]))
        if fact.event_type in lc.TIP_LOOP or fact.event_type == "TipReceived":
            keys.append((TIPS, env["case_id"]))
        return keys

    def apply(self, rows: RowSet, fact: Fact) -> None:
        if fact.kind != EVENT:
            return
        env, record, event_type = fact.envelope, fact.record, fact.event_type
        if event_type == "AnnualVictimListSubmitted":
            _court_list(rows, env, record)
        if event_type in lc.STREAM_EVENTS:
            return
        subject = env.get("subject_person_ref")
        if subject and event_type not in MERGE_EVENTS:
            _person_facts(_person(rows, subject, env), env, record, event_type)
            rows.touch(PERSONS, subject)
        if event_type == "AccompanyingMinorLinked":
            _minor_facts(rows, env, record)
        support = _support_type(env, record, event_type)
        if support is not None:
            rows.put(SERVICES, env["event_id"], _service_row(env, record, event_type, *support))
        if event_type in ACTIVITY_DETAIL:
            rows.put(ACTIVITIES, env["event_id"], _activity_row(env, record, event_type))
        if event_type == "TipReceived" or event_type in lc.TIP_LOOP:
            _tip_facts(rows, env, record, event_type)


def _person(rows: RowSet, ref: str, env: dict[str, Any], role: str = "subject") -> dict[str, Any]:
    return rows.get_or_create(
        PERSONS,
        ref,
        lambda: (
            {c: None for c in _PERSON_COLUMNS} | {"person_ref": ref, "case_id": env["case_id"], "role": role}
        ),
    )


def _later(current: str | None, key: str) -> bool:
    return current is None or key > current


def _earlier(current: str | None, key: str) -> bool:
    return current is None or key < current


def _person_facts(p: dict[str, Any], env: dict[str, Any], record: dict[str, Any], event_type: str) -> None:
    key = order_key(env["occurred_at"], env["event_id"])
    on = vn_date(env["occurred_at"])
    unit = env["admin_unit_code"]
    if is_commune(unit) and _earlier(p["commune_key"], key):
        p["commune_unit"], p["commune_key"] = unit, key
    if record.get("sex") not in (None, "unknown") and _later(p["sex_key"], key):
        p["sex"], p["sex_key"] = record["sex"], key
    if record.get("birth_year") is not None and _later(p["birth_key"], key):
        p["birth_year"], p["birth_key"] = record["birth_year"], key
    if event_type == "ReceptionRegistered" and _earlier(p["received_key"], key):
        p.update(
            received_on=on,
            received_key=key,
            received_unit=unit,
            received_by=env["emitter_agency_code"],
            received_by_type=env["emitter_agency_type"],
            reception_type=record["reception_type"],
            received_regime=env["legal_regime"],
        )
    elif event_type == "VictimStatusDetermined" and _later(p["determined_key"], key):
        p.update(
            determined_on=on,
            determined_key=key,
            determined_unit=unit,
            determined_by=env["emitter_agency_code"],
            determination=record["status"],
            determined_regime=env["legal_regime"],
            exploitation_types=json.dumps(sorted(record.get("exploitation_types") or [])),
            destination_country=record.get("destination_country"),
            recruitment_method=record.get("recruitment_method"),
        )
    if event_type == "RecordCorrected":
        _corrections(p, record)
    abroad = (
        event_type in ABROAD_EVENTS
        or env["emitter_agency_type"] == "mission"
        or (event_type == "RescueCompleted" and record.get("location_type") == "abroad")
    )
    if abroad and _earlier(p["abroad_key"], key):
        p["abroad_on"], p["abroad_key"], p["abroad_unit"] = on, key, unit
    _derive(p)


def _corrections(p: dict[str, Any], record: dict[str, Any]) -> None:
    """Apply a RecordCorrected to the facts it corrects: only when the corrected event is the one the row
    currently takes that fact from (a correction of a superseded event changes nothing)."""
    corrected = set(record.get("corrected_event_ids") or ())
    for correction in record.get("corrections") or ():
        field = correction["field"].removeprefix("payload.")
        if field not in CORRECTABLE:
            continue
        source_key = p[CORRECTABLE[field]]
        if source_key is None or source_key.rpartition("|")[2] not in corrected:
            continue
        try:
            value = json.loads(correction["new_value_json"])
        except (TypeError, ValueError):
            continue
        if field == "exploitation_types":
            value = json.dumps(sorted(value or []))
        p[field] = value


def _minor_facts(rows: RowSet, env: dict[str, Any], record: dict[str, Any]) -> None:
    ref = record["minor_person_ref"]
    minor = _person(rows, ref, env, role=lc.ACCOMPANYING_MINOR)
    rows.touch(PERSONS, ref)
    key = order_key(env["occurred_at"], env["event_id"])
    minor["role"] = lc.ACCOMPANYING_MINOR
    minor["adult_person_ref"] = record["adult_person_ref"]
    if record.get("minor_sex") not in (None, "unknown") and _later(minor["sex_key"], key):
        minor["sex"], minor["sex_key"] = record["minor_sex"], key
    if record.get("minor_birth_year") is not None and _later(minor["birth_key"], key):
        minor["birth_year"], minor["birth_key"] = record["minor_birth_year"], key
    if minor["linked_on"] is None or vn_date(env["occurred_at"]) < minor["linked_on"]:
        minor["linked_on"] = vn_date(env["occurred_at"])
        minor["linked_unit"] = env["admin_unit_code"]
        minor["linked_regime"] = env["legal_regime"]
    unit = env["admin_unit_code"]
    if is_commune(unit) and _earlier(minor["commune_key"], key):
        minor["commune_unit"], minor["commune_key"] = unit, key
    _derive(minor)


def _derive(p: dict[str, Any]) -> None:
    """This ref's own reporting-period date and unit (see attribution.py for the rule)."""
    if p["received_on"] is not None:
        on, source, unit = p["received_on"], "reception", p["received_unit"]
    elif p["determined_on"] is not None:
        on, source, unit = p["determined_on"], "determination", p["determined_unit"]
    elif p["linked_on"] is not None:
        on, source, unit = p["linked_on"], "link", p["linked_unit"]
    else:
        on = source = unit = None
    unit = refine(unit, p["commune_unit"]) if unit else None
    p["period_on"], p["period_source"], p["unit_time"] = on, source, unit
    p["unit_today_province"], p["unit_today_commune"] = _today(unit) if unit else (None, None)


@lru_cache(maxsize=65536)
def _today(unit: str) -> tuple[str | None, str | None]:
    """Today's (province, commune) of a unit: the same for every fact of a place (the map is fixed)."""
    return places.current_province_of(unit), places.group_key(unit, "today", "C")


def _support_type(env: dict[str, Any], record: dict[str, Any], event_type: str) -> tuple[str, str] | None:
    if event_type == "SupportPaid":
        return "support", record["support_type"]
    if event_type == "ProtectionMeasureApplied":
        return "protection", PROTECTION
    if event_type == "AdmittedToFacility":
        return "shelter", SHELTER
    support = lc.SUPPORT_OF_EVENT.get(event_type)
    if support == "essential_needs" and env["emitter_agency_type"] == "mission":
        support = "essential_needs_abroad"
    return ("support", support) if support else None


def _amount(record: dict[str, Any], event_type: str) -> int | None:
    if event_type in _NO_AMOUNT:
        return None
    for name in _AMOUNT_FIELDS:
        if record.get(name) is not None:
            return int(record[name])
    return None


def _items(record: dict[str, Any], event_type: str) -> str | None:
    if event_type == "EssentialNeedsProvided":
        return json.dumps(sorted({i["item_code"] for i in record.get("items") or []}))
    if event_type == "ProtectionMeasureApplied":
        return json.dumps([record["measure_code"]])
    return None


def _service_row(
    env: dict[str, Any], record: dict[str, Any], event_type: str, kind: str, support_type: str
) -> dict[str, Any]:
    return {
        "event_id": env["event_id"],
        "case_id": env["case_id"],
        "person_ref": env.get("subject_person_ref"),
        "event_type": event_type,
        "service_kind": kind,
        "support_type": support_type,
        "amount_vnd": _amount(record, event_type),
        "budget_source": record.get("budget_source") or record.get("fund"),
        "items": _items(record, event_type),
        "agency_code": env["emitter_agency_code"],
        "agency_type": env["emitter_agency_type"],
        "occurred_on": vn_date(env["occurred_at"]),
        "unit_code": env["admin_unit_code"],
        "regime": env["legal_regime"],
    }


def _activity_row(env: dict[str, Any], record: dict[str, Any], event_type: str) -> dict[str, Any]:
    detail_field = ACTIVITY_DETAIL[event_type]
    detail = record.get(detail_field) if detail_field else None
    return {
        "event_id": env["event_id"],
        "case_id": env["case_id"],
        "person_ref": env.get("subject_person_ref"),
        "event_type": event_type,
        "agency_code": env["emitter_agency_code"],
        "agency_type": env["emitter_agency_type"],
        "occurred_on": vn_date(env["occurred_at"]),
        "unit_code": env["admin_unit_code"],
        "detail": str(detail)[:64] if detail is not None else None,
        "amount_vnd": _amount(record, event_type),
        "items": _items(record, event_type),
    }


def _court_list(rows: RowSet, env: dict[str, Any], record: dict[str, Any]) -> None:
    for index, ref in enumerate(record.get("victim_person_refs") or ()):
        entry_id = f"{env['event_id']}:{index}"
        rows.put(
            COURT_LISTS,
            entry_id,
            {
                "entry_id": entry_id,
                "list_ref": record["list_ref"],
                "year": record["year"],
                "person_ref": ref,
                "agency_code": env["emitter_agency_code"],
                "agency_type": env["emitter_agency_type"],
                "unit_code": env["admin_unit_code"],
                "submitted_on": vn_date(env["occurred_at"]),
            },
        )


def _tip_facts(rows: RowSet, env: dict[str, Any], record: dict[str, Any], event_type: str) -> None:
    case_id = env["case_id"]
    on = vn_date(env["occurred_at"])
    tip = rows.get_or_create(
        TIPS,
        case_id,
        lambda: {c: None for c in _TIP_COLUMNS} | {"case_id": case_id, "forwards": 0, "acknowledgements": 0},
    )
    rows.touch(TIPS, case_id)
    if event_type == "TipReceived":
        tip.update(
            received_on=on,
            received_by=env["emitter_agency_code"],
            received_by_type=env["emitter_agency_type"],
            channel=record["channel"],
            location_code=record.get("location_code") or env["admin_unit_code"],
            child_flag=bool(record.get("child_flag")),
        )
    elif event_type == "TipForwarded":
        tip["forwards"] += 1
        if tip["first_forwarded_on"] is None or on < tip["first_forwarded_on"]:
            tip["first_forwarded_on"] = on
    elif event_type == "TipAcknowledged":
        tip["acknowledgements"] += 1
        if tip["first_acknowledged_on"] is None or on < tip["first_acknowledged_on"]:
            tip["first_acknowledged_on"] = on
    elif event_type == "TipOutcomeReported":
        tip["outcome"], tip["outcome_on"] = record["outcome"], on
