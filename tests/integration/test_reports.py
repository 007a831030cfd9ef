"""Reports without double counting, checked against an INDEPENDENT count made here from the raw log.

A 2024-2026 history (the generator's, with its duplicates, merges and unmerges; the scenarios otherwise)
plus hand-made duplicates merged by a data steward goes through the embedded exchange. The test decodes
the embedded log itself (`services.backend.log.scan("events")` + `lienthong.schemas.decode`), follows
PersonsMerged / PersonsUnmerged itself, attributes every person to a period and unit by the documented
rule, and expects the reports to give the same numbers. Only `places` (the map) is shared.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import random
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from lienthong import places
from lienthong.projections.facts import EVENT, REJECTION, Fact
from lienthong.projections.runner import Projector
from lienthong.reports import compute_report, make_request, render
from lienthong.reports.cli import report as report_command
from lienthong.schemas import decode
from lienthong.store import make_engine
from tests.fixtures.exchange import embedded_settings, open_exchange

VN = timezone(timedelta(hours=7))
PROVINCES = ("48", "31")
POLICE = {"provincial_police", "commune_police", "district_police"}
SUPPORT = {
    "EssentialNeedsProvided": "essential_needs",
    "TravelCostPaid": "travel_home",
    "RepatriationCostPaid": "repatriation",
    "MedicalServiceProvided": "medical",
    "HealthInsuranceIssued": "health_insurance_first_year",
    "CounsellingProvided": "counselling",
    "LegalAidProvided": "legal_aid",
    "SchoolEnrolmentSupported": "cultural_study",
    "TuitionExempted": "cultural_study",
    "VocationalTrainingEnrolled": "vocational_training",
    "EmploymentCounsellingProvided": "employment_counselling",
    "LoanApplicationReferred": "loan",
    "LoanDisbursed": "loan",
    "ProtectionMeasureApplied": "protection",
    "AdmittedToFacility": "facility_shelter",
}
ABROAD = {
    "NationalityVerificationRequested",
    "NationalityVerificationCompleted",
    "RepatriationCostPaid",
    "TravelDocumentIssued",
    "VictimHandoverReceived",
}


# --- the history ----------------------------------------------------------------------------------------


GENERATOR = importlib.util.find_spec("lienthong.generator") is not None


def _history() -> list[tuple[str, dict]]:
    if GENERATOR:
        from lienthong.generator import generate, public

        return [
            (agency, public(body))
            for agency, body in generate(
                1400, seed=4, start=date(2024, 7, 1), end=date(2026, 6, 30), provinces=PROVINCES
            )
        ]
    from lienthong.scenarios import cases

    return list(cases(40, seed=5))


def _body(case_id: str, event_type: str, payload: dict, at: str, unit: str, **kw) -> dict:
    return {
        "submission_id": str(uuid.uuid4()),
        "case_id": case_id,
        "event_type": event_type,
        "occurred_at": at,
        "admin_unit_code": unit,
        "actor": "cb-01",
        "payload": payload,
        **kw,
    }


def _report_and_receive(exchange, commune: str, case_id: str, at: str, sex: str = "female", born: int = 2001):
    """A person reported by a commune and received by the provincial Department of Health."""
    ref = str(uuid.uuid4())
    person = {"report_place_code": commune, "representative_flag": False, "sex": sex, "birth_year": born}
    status, out = exchange.submit(
        f"UBND-XA-{commune}",
        _body(case_id, "PersonReported", person, at, commune, subject_person_ref=ref),
    )
    assert status == 201, out
    received = {
        "reception_type": "self_return",
        "receiving_agency_code": "SYT-48",
        "immediate_needs": [],
        "sex": sex,
    }
    later = (datetime.fromisoformat(at) + timedelta(hours=2)).isoformat()
    status, out = exchange.submit("SYT-48", _body(case_id, "ReceptionRegistered", received, later, commune))
    assert status == 201, out
    return ref


def _merge(exchange, case_id: str, surviving: str, merged: list[str], merge_id: str, at: str) -> None:
    payload = {
        "merge_id": merge_id,
        "surviving_person_ref": surviving,
        "merged_person_refs": merged,
        "match_rule_code": "R1_ID_NUMBER",
    }
    status, out = exchange.submit(
        "SYT-48", _body(case_id, "PersonsMerged", payload, at, "48", subject_person_ref=surviving)
    )
    assert status == 201, out


def _hand_made_duplicates(exchange) -> dict[str, Any]:
    """Three refs for one woman (two communes and a second report), merged as a chain; a look-alike
    merged by mistake and unmerged; a separate person left alone."""
    a = _report_and_receive(exchange, "20242", "HS-DUP-A", "2026-02-03T09:00:00+07:00")
    b = _report_and_receive(exchange, "20257", "HS-DUP-B", "2026-01-20T09:00:00+07:00")
    c = _report_and_receive(exchange, "20209", "HS-DUP-C", "2026-04-10T09:00:00+07:00")
    look = _report_and_receive(exchange, "20242", "HS-LOOK", "2026-02-05T09:00:00+07:00", born=1979)
    alone = _report_and_receive(exchange, "20242", "HS-ALONE", "2026-02-06T09:00:00+07:00", sex="male")
    _merge(exchange, "HS-DUP-A", a, [b], "M-DUP-1", "2026-04-20T09:00:00+07:00")
    _merge(exchange, "HS-DUP-C", c, [a], "M-DUP-2", "2026-04-21T09:00:00+07:00")  # b -> a -> c
    _merge(exchange, "HS-DUP-A", a, [look], "M-LOOK", "2026-04-22T09:00:00+07:00")
    payload = {"merge_id": "M-LOOK", "restored_person_refs": [look], "reason_code": "different_persons"}
    status, out = exchange.submit(
        "SYT-48",
        _body(
            "HS-DUP-A", "PersonsUnmerged", payload, "2026-04-25T09:00:00+07:00", "48", subject_person_ref=a
        ),
    )
    assert status == 201, out
    # "alone" is identified as a victim; "look" is an injured party in a criminal case; the court's 2026
    # list names "alone", b and c (one person under two refs) and a ref the registry has never seen.
    determined = {
        "status": "victim",
        "decision_org": "CA-TINH-48",
        "decision_no": "12/QĐ-CAT",
        "decision_date": "2026-02-20",
        "exploitation_types": ["labour"],
        "destination_country": "MY",
        "control_methods": [],
    }
    linked = {"criminal_case_ref": "VA-48-2026-01", "role": "injured_party", "stage": "investigation"}
    steps = [
        ("CA-TINH-48", "HS-ALONE", "VictimStatusDetermined", determined, "2026-02-20T09:00:00+07:00", alone),
        ("CA-TINH-48", "HS-LOOK", "CriminalCaseLinked", linked, "2026-05-02T09:00:00+07:00", look),
    ]
    for agency, case_id, event_type, payload, at, ref in steps:
        status, out = exchange.submit(
            agency, _body(case_id, event_type, payload, at, "48", subject_person_ref=ref)
        )
        assert status == 201, out
    unknown = str(uuid.uuid4())
    court_list = {
        "year": 2026,
        "list_ref": "DS-TAND-48-2026",
        "victim_person_refs": [alone, b, c, unknown],
        "criminal_case_refs": ["VA-48-2026-01"],
    }
    status, out = exchange.submit(
        "TAND-48",
        _body("DS-TAND-48-2026", "AnnualVictimListSubmitted", court_list, "2026-10-15T09:00:00+07:00", "48"),
    )
    assert status == 201, out
    return {"a": a, "b": b, "c": c, "look": look, "alone": alone, "unknown": unknown}


def _submit_all(exchange, case_id: str, steps: list[tuple[str, str, dict, str, str]], **first) -> None:
    for n, (agency, event_type, payload, at, unit) in enumerate(steps):
        status, out = exchange.submit(
            agency, _body(case_id, event_type, payload, at, unit, **(first if n == 0 else {}))
        )
        assert status == 201, (event_type, out)


def _abroad_and_a_tip(exchange) -> None:
    """A woman found abroad by the embassy and brought home; a hotline tip forwarded and acknowledged."""
    at = "2026-03-0{}T10:00:00+07:00".format
    _submit_all(
        exchange,
        "HS-ABROAD-1",
        [
            (
                "DSQ-CN",
                "PersonReported",
                {
                    "report_place_code": "48",
                    "representative_flag": False,
                    "sex": "female",
                    "birth_year": 2004,
                },
                at(1),
                "48",
            ),
            (
                "DSQ-CN",
                "NationalityVerificationRequested",
                {"to_agency_code": "CA-TINH-48", "requesting_mission_code": "DSQ-CN", "due_at": at(3)},
                at(1),
                "48",
            ),
            (
                "CA-TINH-48",
                "NationalityVerificationCompleted",
                {"result": "confirmed_vietnamese", "population_db_lookup_ref": "CSDL-1"},
                at(2),
                "20242",
            ),
            (
                "DSQ-CN",
                "TravelDocumentIssued",
                {"document_type": "travel_document", "issuing_mission_code": "DSQ-CN"},
                at(4),
                "48",
            ),
            (
                "DSQ-CN",
                "RepatriationCostPaid",
                {
                    "route_from_code": "CN",
                    "route_to_code": "48",
                    "ticket_amount_vnd": 3_000_000,
                    "meal_days": 2,
                    "amount_vnd": 3_300_000,
                    "fund": "citizen_protection_fund",
                    "rate_table_id": None,
                    "voucher_no": "PC-ABROAD-1",
                },
                at(5),
                "48",
            ),
        ],
        subject_person_ref=str(uuid.uuid4()),
    )
    tip = {
        "channel": "hotline_111",
        "reporter_type": "public",
        "suspected_count": 1,
        "location_code": "20242",
        "exploitation_indicators": ["deception"],
        "child_flag": True,
        "recording_ref": "REC-111-T1",
    }
    _submit_all(
        exchange,
        "HS-TIP-1",
        [
            ("DD-111", "TipReceived", tip, at(6), "20242"),
            (
                "DD-111",
                "TipForwarded",
                {"target_agency_code": "CA-XA-20242", "forwarded_at": at(6), "channel": "electronic"},
                at(6),
                "20242",
            ),
            ("CA-XA-20242", "TipAcknowledged", {"acknowledged_at": at(7)}, at(7), "20242"),
            (
                "CA-XA-20242",
                "TipOutcomeReported",
                {"outcome": "unfounded", "linked_case_id": None},
                at(8),
                "20242",
            ),
        ],
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("reports")
    exchange = open_exchange(embedded_settings(data_dir))
    outcomes = Counter()
    for agency, body in _history():
        status, _ = exchange.submit(agency, body)
        outcomes[status] += 1
    assert outcomes[201] > 0.8 * sum(outcomes.values()), outcomes
    refs = _hand_made_duplicates(exchange)
    _abroad_and_a_tip(exchange)
    yield {"exchange": exchange, "refs": refs, "data_dir": data_dir}
    exchange.http.close()


def _report(exchange, kind: str, period: str, unit: str, group_by: str = "today", suppress=None) -> dict:
    return compute_report(
        exchange.services.readmodels,
        make_request(kind, period, unit, group_by, suppress),
        now=datetime(2026, 11, 1, 3, 0, tzinfo=UTC),
    )


def _section(report: dict, section_id: str) -> dict:
    return next(s for s in report["sections"] if s["id"] == section_id)


def _totals(section: dict) -> dict[str, Any]:
    return {c["key"]: v for c, v in zip(section["columns"], section["total"], strict=True)}


def _cells(section: dict) -> dict[tuple[str, str], int]:
    """{(row key, column key): value} without zeros."""
    keys = [c["key"] for c in section["columns"]]
    return {
        (row["key"], key): value
        for row in section["rows"]
        for key, value in zip(keys, row["values"], strict=True)
        if value
    }


# --- the independent count ------------------------------------------------------------------------------


def _on(at: datetime) -> date:
    return at.astimezone(VN).date()


def _key(env: dict) -> tuple:
    return (env["occurred_at"], env["event_id"])


def _is_commune(code: str | None) -> bool:
    unit = places.lookup(code) if code else None
    return unit is not None and unit.level == "C"


def _refine(unit: str | None, commune: str | None) -> str | None:
    if unit is None:
        return commune
    if _is_commune(unit) or not commune:
        return unit
    return commune if places.within(commune, unit) else unit


class Truth:
    """Persons, services and activities as the raw log says, with merges followed here."""

    def __init__(self, exchange) -> None:
        self.events = [decode(s.data).record for s in exchange.services.backend.log.scan("events")]
        self.merged_into: dict[str, str | None] = {}
        refs: dict[str, dict[str, Any]] = defaultdict(dict)
        for event in self.events:  # log order
            env, kind = event["envelope"], event["envelope"]["event_type"]
            key = _key(env)
            if kind == "PersonsMerged":
                for ref in event["merged_person_refs"]:
                    self.merged_into[ref] = event["surviving_person_ref"]
                continue
            if kind == "PersonsUnmerged":
                for ref in event["restored_person_refs"]:
                    self.merged_into[ref] = None
                continue
            ref = env.get("subject_person_ref")
            if kind == "AccompanyingMinorLinked":
                minor = refs[event["minor_person_ref"]]
                minor.update(minor=event["adult_person_ref"])
                minor.setdefault(
                    "link", (_on(env["occurred_at"]), env["admin_unit_code"], env["legal_regime"])
                )
                self._keep(minor, "sex", key, event.get("minor_sex"), latest=True)
                self._keep(minor, "birth", key, event.get("minor_birth_year"), latest=True)
                if _is_commune(env["admin_unit_code"]):
                    self._keep(minor, "commune", key, env["admin_unit_code"], latest=False)
            if not ref:
                continue
            facts = refs[ref]
            if _is_commune(env["admin_unit_code"]):
                self._keep(facts, "commune", key, env["admin_unit_code"], latest=False)
            self._keep(facts, "sex", key, event.get("sex"), latest=True)
            self._keep(facts, "birth", key, event.get("birth_year"), latest=True)
            here = (_on(env["occurred_at"]), env["admin_unit_code"])
            if kind == "ReceptionRegistered":
                self._keep(
                    facts, "reception", key, (*here, event["reception_type"], env["legal_regime"]), False
                )
            if kind == "VictimStatusDetermined":
                value = {
                    "on": here[0],
                    "unit": here[1],
                    "status": event["status"],
                    "exploitation": sorted(event["exploitation_types"]),
                    "destination": event["destination_country"],
                    "recruitment": event["recruitment_method"],
                    "regime": env["legal_regime"],
                    "event_id": env["event_id"],
                }
                self._keep(facts, "determination", key, value, latest=True)
            if kind == "RecordCorrected":
                self._correct(facts, event)
            abroad = (
                kind in ABROAD
                or env["emitter_agency_type"] == "mission"
                or (kind == "RescueCompleted" and event["location_type"] == "abroad")
            )
            if abroad:
                self._keep(facts, "abroad", key, here, latest=False)
        self.refs = refs
        self.persons = self._count_once()

    @staticmethod
    def _correct(facts: dict, event: dict) -> None:
        """A correction counts when it names the event the fact was taken from."""
        ids = set(event["corrected_event_ids"])
        for correction in event["corrections"]:
            field = correction["field"].removeprefix("payload.")
            value = json.loads(correction["new_value_json"])
            det = facts.get("determination")
            if field in ("exploitation_types", "destination_country", "recruitment_method"):
                if det and det[1]["event_id"] in ids:
                    name = {"exploitation_types": "exploitation", "destination_country": "destination"}
                    det[1][name.get(field, "recruitment")] = (
                        sorted(value) if field == "exploitation_types" else value
                    )
            elif field in ("sex", "birth_year"):
                name = "sex" if field == "sex" else "birth"
                if name in facts and facts[name][0][1] in ids:
                    facts[name] = (facts[name][0], value)
            elif field == "reception_type" and "reception" in facts and facts["reception"][0][1] in ids:
                key, (on, unit, _, regime) = facts["reception"]
                facts["reception"] = (key, (on, unit, value, regime))

    @staticmethod
    def _keep(facts: dict, name: str, key: tuple, value: Any, latest: bool) -> None:
        if value is None or value == "unknown":
            return
        current = facts.get(name)
        if current is None or (key > current[0] if latest else key < current[0]):
            facts[name] = (key, value)

    def counted(self, ref: str) -> str:
        seen = {ref}
        while (parent := self.merged_into.get(ref)) and parent not in seen:
            seen.add(parent)
            ref = parent
        return ref

    def _count_once(self) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[str]] = defaultdict(list)
        for ref in self.refs:
            groups[self.counted(ref)].append(ref)
        persons = {}
        for counted, members in groups.items():
            members.sort(key=lambda r: (r != counted, r))
            facts = [self.refs[m] for m in members]

            def earliest(name: str, facts=facts):
                found = [f[name] for f in facts if name in f]
                return min(found)[1] if found else None

            def first(name: str, facts=facts):
                return next((f[name][1] for f in facts if name in f), None)

            commune = earliest("commune")
            dets = [f["determination"] for f in facts if "determination" in f]
            latest = max(dets, key=lambda d: d[0])[1] if dets else None
            reception = earliest("reception")
            p = {
                "commune": commune,
                "sex": first("sex") or "unknown",
                "birth": first("birth"),
                "minor": next((f["minor"] for f in facts if "minor" in f), None),
                "link": min((f["link"] for f in facts if "link" in f), default=None),
                # One determination per ref (the lifecycle allows one): its latest.
                "determinations": [(k, d["on"], d["status"]) for k, d in dets],
                "latest": latest,
                "reception": reception,
                "abroad": earliest("abroad"),
                "members": members,
            }
            if reception is not None:
                p["period"], p["unit"] = reception[0], _refine(reception[1], commune)
            elif dets:
                first_det = min(dets, key=lambda d: d[0])[1]
                p["period"], p["unit"] = first_det["on"], _refine(first_det["unit"], commune)
            else:
                p["period"] = p["unit"] = None
            persons[counted] = p
        for p in persons.values():
            if p["period"] is None and p["minor"]:
                adult = persons.get(self.counted(p["minor"]))
                if adult and adult["period"] is not None:
                    p["period"], p["unit"] = adult["period"], _refine(adult["unit"], p["commune"])
                elif p["link"]:
                    p["period"], p["unit"] = p["link"][0], _refine(p["link"][1], p["commune"])
        return persons

    # -- what a report should say ---------------------------------------------------------------------

    @staticmethod
    def in_scope(unit: str | None, scope: str) -> bool:
        if scope == "VN":
            return True
        if unit is None:
            return False
        if len(scope) == 2:
            return places.current_province_of(unit) == scope
        return places.group_key(unit, "today", "C") == scope

    @staticmethod
    def row(unit: str | None, scope: str, group_by: str) -> str:
        level = "P" if scope == "VN" else "C"
        return (places.group_key(unit, group_by, level) if unit else None) or "unknown"

    def persons_in(self, start: date, end: date, scope: str, group_by: str) -> list[dict[str, str]]:
        out = []
        for p in self.persons.values():
            if p["period"] is None or not start <= p["period"] <= end or not self.in_scope(p["unit"], scope):
                continue
            made = [(k, s) for k, on, s in p["determinations"] if on <= end]
            if made:
                status = "victim" if max(made)[1] == "victim" else "not_a_victim"
            else:
                status = "accompanying_minor" if p["minor"] else "in_identification"
            age = p["period"].year - p["birth"] if p["birth"] is not None else None
            group = "unknown"
            if age is not None and 0 <= age <= 120:
                group = next(
                    g
                    for g, hi in (("0-15", 15), ("16-17", 17), ("18-29", 29), ("30-44", 44), ("45+", 999))
                    if age <= hi
                )
            kinds = sorted(set(p["latest"]["exploitation"])) if p["latest"] else []
            out.append(
                {
                    "unit": self.row(p["unit"], scope, group_by),
                    "sex": p["sex"],
                    "age_group": group,
                    "legal_status": status,
                    "exploitation": (kinds[0] if len(kinds) == 1 else "multiple") if kinds else "unknown",
                    "destination": (p["latest"] or {}).get("destination") or "unknown",
                    "recruitment": (p["latest"] or {}).get("recruitment") or "unknown",
                    "reception_type": p["reception"][2] if p["reception"] else "not_received",
                    "regime": (
                        p["latest"]["regime"]
                        if p["latest"]
                        else p["reception"][3]
                        if p["reception"]
                        else p["link"][2]
                        if p["link"]
                        else "unknown"
                    ),
                }
            )
        return out

    def group_commune(self, ref: str | None) -> str | None:
        person = self.persons.get(self.counted(ref)) if ref else None
        return person["commune"] if person else None

    def events_in(self, start: date, end: date, scope: str):
        for event in self.events:
            env = event["envelope"]
            if not start <= _on(env["occurred_at"]) <= end:
                continue
            unit = _refine(env["admin_unit_code"], self.group_commune(env.get("subject_person_ref")))
            if self.in_scope(unit, scope):
                yield event, env

    def services(self, start: date, end: date, scope: str) -> tuple[Counter, Counter]:
        count, amount = Counter(), Counter()
        for event, env in self.events_in(start, end, scope):
            kind = env["event_type"]
            support = event["support_type"] if kind == "SupportPaid" else SUPPORT.get(kind)
            if support is None:
                continue
            if support == "essential_needs" and env["emitter_agency_type"] == "mission":
                support = "essential_needs_abroad"
            count[support] += 1
            if kind != "LoanApplicationReferred":
                amount[support] += next(
                    (
                        event[f]
                        for f in ("amount_vnd", "cost_vnd", "contribution_vnd")
                        if event.get(f) is not None
                    ),
                    0,
                )
        return count, amount


@pytest.fixture(scope="module")
def truth(world):
    return Truth(world["exchange"])


# --- reports equal the independent count ----------------------------------------------------------------

CASES = [
    ("48", "2026-H1", "today"),
    ("48", "2025-FY", "time"),
    ("31", "2025-FY", "today"),
    ("VN", "2025-H2", "today"),
    ("VN", "2024-FY", "time"),
]


@pytest.mark.parametrize(("unit", "period", "group_by"), CASES)
def test_person_tables_equal_an_independent_count_from_the_log(world, truth, unit, period, group_by):
    report = _report(world["exchange"], "province", period, unit, group_by)
    start, end = (date.fromisoformat(report["period"][k]) for k in ("start", "end"))
    expected = truth.persons_in(start, end, unit, group_by)
    if not expected and not GENERATOR:
        pytest.skip("the scenarios fallback has 2026 cases only")
    assert expected, "the history should give this report some persons"
    for section_id, rows in (
        ("P01", "unit"),
        ("P02", "sex"),
        ("P03", "age_group"),
        ("P04", "exploitation"),
        ("P05", "recruitment"),
        ("P06", "destination"),
        ("P07", "reception_type"),
        ("P08", "regime"),
    ):
        section = _section(report, section_id)
        want = Counter((p[rows], p["legal_status"]) for p in expected) + Counter(
            (p[rows], "total") for p in expected
        )
        assert _cells(section) == dict(want), section_id
        assert section["total"][0] == len(expected)
    legal = _section(report, "P09")
    assert _cells(legal) == dict(
        Counter((p["legal_status"], p["sex"]) for p in expected)
        + Counter((p["legal_status"], "total") for p in expected)
    )


@pytest.mark.parametrize(("unit", "period", "group_by"), CASES[:3])
def test_services_are_counted_per_event(world, truth, unit, period, group_by):
    report = _report(world["exchange"], "province", period, unit, group_by)
    start, end = (date.fromisoformat(report["period"][k]) for k in ("start", "end"))
    count, amount = truth.services(start, end, unit)
    assert sum(count.values()) > 0
    section = _section(report, "S01")
    got = {row["key"]: row["values"] for row in section["rows"] if any(row["values"])}
    assert got == {k: [count[k], amount[k]] for k in count}


def test_police_activities_equal_the_log(world, truth):
    seen = Counter()
    for unit, period in (("48", "2025-FY"), ("31", "2026-H1"), ("VN", "2025-H1"), ("VN", "2024-FY")):
        report = _report(world["exchange"], "police", period, unit)
        start, end = (date.fromisoformat(report["period"][k]) for k in ("start", "end"))
        want, paid = Counter(), 0
        for event, env in truth.events_in(start, end, unit):
            if env["emitter_agency_type"] in POLICE:
                want[env["event_type"]] += 1
                if env["event_type"] in ("EssentialNeedsProvided", "TravelCostPaid"):
                    paid += event["amount_vnd"]
        total = _totals(report["sections"][0])
        assert total["nationality_verifications"] == want["NationalityVerificationCompleted"]
        assert total["receptions"] == want["ReceptionRegistered"]
        assert total["verifications"] == want["InitialVerificationCompleted"]
        assert total["identifications"] == want["VictimStatusDetermined"]
        assert total["certificates"] == want["VictimCertificateIssued"]
        assert total["essential_needs"] == want["EssentialNeedsProvided"]
        assert total["protection_measures"] == want["ProtectionMeasureApplied"]
        assert total["travel_costs"] == want["TravelCostPaid"]
        assert total["amount_vnd"] == paid
        assert _section(report, "A02")["total"] == report["sections"][0]["total"]  # each event once
        seen.update(want)
    assert seen["VictimStatusDetermined"] and seen["InitialVerificationCompleted"]


def test_the_hotline_loop_equals_the_log(world, truth):
    tips = {e["envelope"]["case_id"]: e for e in truth.events if e["envelope"]["event_type"] == "TipReceived"}
    loop = defaultdict(set)
    for e in truth.events:
        loop[e["envelope"]["event_type"]].add(e["envelope"]["case_id"])
    received = 0
    for unit, period in (("VN", "2025-FY"), ("VN", "2026-H1"), ("48", "2026-Q1")):
        report = _report(world["exchange"], "hotline-111", period, unit)
        start, end = (date.fromisoformat(report["period"][k]) for k in ("start", "end"))
        ours = {
            case
            for case, e in tips.items()
            if e["envelope"]["emitter_agency_type"] == "hotline_111"
            and start <= _on(e["envelope"]["occurred_at"]) <= end
            and truth.in_scope(e["location_code"], unit)
        }
        total = _totals(report["sections"][0])
        assert total["received"] == len(ours)
        assert total["forwarded"] == len(ours & loop["TipForwarded"])
        assert total["acknowledged"] == len(ours & loop["TipAcknowledged"])
        assert total["outcome"] == len(ours & loop["TipOutcomeReported"])
        assert total["child"] == sum(1 for case in ours if tips[case]["child_flag"])
        assert _section(report, "T02")["total"] == report["sections"][0]["total"]
        received += total["received"]
    assert received > 0 and "HS-TIP-1" in loop["TipAcknowledged"]


def test_victims_abroad_are_counted_once_with_repatriation_costs(world, truth):
    found = 0
    for unit, period in (("VN", "2025-FY"), ("VN", "2026-FY"), ("48", "2026-H1")):
        report = _report(world["exchange"], "ppc-office", period, unit)
        start, end = (date.fromisoformat(report["period"][k]) for k in ("start", "end"))
        want = sum(
            1
            for p in truth.persons.values()
            if p["abroad"]
            and start <= p["abroad"][0] <= end
            and truth.in_scope(_refine(p["abroad"][1], p["commune"]), unit)
        )
        total = _totals(report["sections"][0])
        assert total["victims_abroad"] == want
        events = Counter()
        amount = 0
        for event, env in truth.events_in(start, end, unit):
            events[env["event_type"]] += 1
            if env["event_type"] == "RepatriationCostPaid":
                amount += event["amount_vnd"]
        assert total["nationality_requests"] == events["NationalityVerificationRequested"]
        assert total["travel_documents"] == events["TravelDocumentIssued"]
        assert total["repatriations"] == events["RepatriationCostPaid"]
        assert total["repatriation_vnd"] == amount
        found += total["victims_abroad"] and total["repatriations"]
    assert found


def test_a_person_reported_three_times_is_counted_once_and_a_mistaken_merge_undone_counts_again(world, truth):
    refs = world["refs"]
    report = _report(world["exchange"], "province", "2026-H1", "48")
    persons = truth.persons
    # b -> a -> c: one counted person, attributed to the earliest reception (b's, 2026-01-20 in 20257).
    assert truth.counted(refs["b"]) == truth.counted(refs["a"]) == refs["c"]
    members = persons[refs["c"]]["members"]
    assert members[0] == refs["c"] and sorted(members) == sorted(refs[x] for x in "abc")
    assert persons[refs["c"]]["period"] == date(2026, 1, 20) and persons[refs["c"]]["unit"] == "20257"
    assert truth.counted(refs["look"]) == refs["look"]  # unmerged: a person of her own again
    by_unit = {row["key"]: row["values"][0] for row in _section(report, "P01")["rows"]}
    mine = Counter(p["unit"] for ref, p in persons.items() if ref in (refs["c"], refs["look"], refs["alone"]))
    assert mine == Counter({"20257": 1, "20242": 2})
    assert by_unit["20257"] >= 1 and by_unit["20242"] >= 2
    # Without the merges the three refs would have counted three times.
    raw = sum(1 for ref in (refs["a"], refs["b"], refs["c"]) if truth.refs[ref].get("reception"))
    assert raw == 3
    counted = {truth.counted(ref) for ref in (refs["a"], refs["b"], refs["c"])}
    assert len(counted) == 1


def test_the_courts_lists_are_reconciled_with_the_registry(world, truth):
    """DOMAIN §e rule 6: every list entry is matched to a counted person (merges followed) or flagged."""
    refs = world["refs"]
    report = _report(world["exchange"], "court-reconciliation", "2026-FY", "48")
    end = date(2026, 12, 31)
    lists = sorted(
        (
            (_on(e["envelope"]["occurred_at"]), e["envelope"]["event_id"], e)
            for e in truth.events
            if e["envelope"]["event_type"] == "AnnualVictimListSubmitted"
            and e["year"] == 2026
            and truth.in_scope(e["envelope"]["admin_unit_code"], "48")
        ),
        key=lambda x: x[:2],
    )
    seen, want = set(), Counter()
    for _, _, event in lists:
        for ref in event["victim_person_refs"]:
            counted = truth.counted(ref)
            person = truth.persons.get(counted)
            made = [(k, s) for k, on, s in (person or {}).get("determinations", []) if on <= end]
            if counted in seen:
                status = "duplicates"
            elif person is None:
                status = "missing"
            elif made and max(made)[1] == "victim":
                status = "victims"
            else:
                status = "not_victims"
            seen.add(counted)
            want[event["envelope"]["emitter_agency_code"], status] += 1
    by_list = _section(report, "R01")
    for row in by_list["rows"]:
        got = dict(zip((c["key"] for c in by_list["columns"]), row["values"], strict=True))
        for status in ("victims", "not_victims", "missing", "duplicates"):
            assert got[status] == want[row["key"], status], (row["key"], status)
        assert got["entries"] == got["victims"] + got["not_victims"] + got["missing"] + got["duplicates"]
        assert got["persons"] == got["entries"] - got["duplicates"]
    assert want["TAND-48", "victims"] >= 1 and want["TAND-48", "duplicates"] >= 1  # alone; b and c
    flags = {row["key"] for row in _section(report, "R03")["rows"]}
    assert f"missing:{refs['unknown']}" in flags
    assert f"not_victim:{refs['c']}" in flags  # b's entry, counted as c: received, not yet identified
    assert f"unlisted:{refs['look']}" in flags  # an injured party on no list
    assert not any(refs["alone"] in flag for flag in flags)
    injured = _totals(_section(report, "R02"))
    assert injured["injured"] == injured["listed"] + injured["unlisted"] >= 1
    with pytest.raises(Exception, match="never published"):
        make_request("court-reconciliation", "2026-FY", "48", suppress=11)


# --- the files ------------------------------------------------------------------------------------------


def test_the_xlsx_has_the_official_layout_totals_and_the_reproducibility_footer(world):
    report = _report(world["exchange"], "province", "2026-H1", "48")
    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    assert book.sheetnames == [f"Bieu {s['id']}" for s in report["sections"]]
    for section, sheet in zip(report["sections"], book.worksheets, strict=True):
        text = [[c.value for c in row] for row in sheet.iter_rows()]
        flat = [str(v) for row in text for v in row if v is not None]
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat
        assert "Độc lập - Tự do - Hạnh phúc" in flat
        assert "SỞ Y TẾ THÀNH PHỐ ĐÀ NẴNG" in flat
        assert any(v.startswith(report["title_vi"].upper()) for v in flat)
        assert any("6 tháng đầu năm 2026" in v for v in flat)
        header = next(i for i, row in enumerate(text) if row[0] == "STT")
        width = len(section["columns"])
        assert text[header][3 : 3 + width] == [c["vi"] for c in section["columns"]]
        assert text[header + 1][:3] == ["No.", "Code", section["row_header_en"]]
        assert text[header + 1][3 : 3 + width] == [c["en"] for c in section["columns"]]
        assert not any(text[header][3 + width :])
        assert text[header + 2][:4] == ["A", "B", "C", "(1)"]
        total = next(i for i, row in enumerate(text) if row[2] == "Tổng cộng / Total")
        body = text[header + 3 : total]
        assert [row[1] for row in body] == [r["key"] for r in section["rows"]]
        sums = [sum(row[3 + j] for row in body) for j in range(width)]
        assert text[total][3 : 3 + width] == sums == section["total"]
        footer = [v for v in flat if "Log position" in v or "SHA-256" in v or "Computed at" in v]
        assert any(report["content_hash"] in v for v in footer)
        assert any("embedded.events:0=" in v for v in footer)
        assert any(report["computed_at"] in v for v in footer)


def _csv_sections(data: bytes) -> tuple[dict[str, list[str]], dict[str, dict]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    meta = {line[0]: line[1:] for line in lines[:8]}
    sections, current = {}, None
    for line in lines[8:]:
        if not line:
            continue
        if line[0] == "section":
            current = sections[line[1]] = {"title": line[2:], "rows": [], "total": None, "header": None}
        elif current["header"] is None:
            current["header"] = line
        elif line[2] == "Tổng cộng / Total":
            current["total"] = line[3:]
        else:
            current["rows"].append(line)
    return meta, sections


def test_the_csv_matches_the_json(world):
    exchange = world["exchange"]
    for kind, period, unit, k in (("province", "2025-FY", "48", None), ("police", "2026-H1", "31", 3)):
        report = _report(exchange, kind, period, unit, suppress=k)
        from_json = json.loads(render(report, "json"))
        assert from_json == json.loads(json.dumps(report))
        meta, sections = _csv_sections(render(report, "csv"))
        assert meta["content_hash"] == [from_json["content_hash"]]
        assert meta["period"][0] == period and meta["unit"][0] == unit
        assert meta["log_position"][0] == "; ".join(f"{s}={o}" for s, o in from_json["log_position"].items())
        assert list(sections) == [s["id"] for s in from_json["sections"]]
        for section in from_json["sections"]:
            got = sections[section["id"]]
            assert got["title"] == [section["title_vi"], section["title_en"]]
            assert got["header"][3:] == [f"{c['vi']} / {c['en']}" for c in section["columns"]]
            assert [r[1] for r in got["rows"]] == [r["key"] for r in section["rows"]]
            assert [r[3:] for r in got["rows"]] == [[str(v) for v in r["values"]] for r in section["rows"]]
            assert got["total"] == [str(v) for v in section["total"]]


def test_published_versions_hide_small_cells(world):
    report = _report(world["exchange"], "province", "2025-FY", "VN", suppress=11)
    shown = [
        v
        for s in report["sections"]
        if s["counted"] == "persons"
        for r in s["rows"] + [{"values": s["total"]}]
        for v in r["values"]
    ]
    assert "<11" in shown
    assert all(v == 0 or v >= 11 for v in shown if isinstance(v, int))
    plain = _report(world["exchange"], "province", "2025-FY", "VN")
    assert plain["content_hash"] != report["content_hash"]  # k is part of the content


# --- the door and the command ---------------------------------------------------------------------------


def test_the_door_lists_what_the_caller_may_produce_and_scopes_it(world):
    exchange = world["exchange"]
    http, headers = exchange.http, exchange.as_agency
    commune = http.get("/v1/reports", headers=headers("UBND-XA-20242")).json()
    assert [k["kind"] for k in commune] == ["commune"] and commune[0]["default_unit"] == "20242"
    lead = {k["kind"] for k in http.get("/v1/reports", headers=headers("SYT-48")).json()}
    assert lead == {
        "commune",
        "province",
        "police",
        "border-guard",
        "ppc-office",
        "hotline-111",
        "court-reconciliation",
    }
    court = http.get("/v1/reports", headers=headers("TAND-48")).json()
    assert [k["kind"] for k in court] == ["court-reconciliation"]
    police = {k["kind"] for k in http.get("/v1/reports", headers=headers("CA-XA-20242")).json()}
    assert police == {"police"}

    own = http.get("/v1/reports/commune?period=2026-Q1", headers=headers("UBND-XA-20242"))
    assert own.status_code == 200 and own.json()["unit"]["code"] == "20242"
    assert own.headers["X-Content-Hash"] == own.json()["content_hash"]
    other = http.get("/v1/reports/commune?period=2026-Q1&unit=20257", headers=headers("UBND-XA-20242"))
    assert other.status_code == 403 and "20257" in other.json()["detail"]["message_en"]
    assert (
        http.get("/v1/reports/province?period=2026-H1&unit=48", headers=headers("UBND-XA-20242")).status_code
        == 403
    )
    assert (
        http.get("/v1/reports/province?period=2026-H1&unit=31", headers=headers("SYT-48")).status_code == 403
    )
    assert (
        http.get("/v1/reports/commune?period=2026-Q1&unit=20257", headers=headers("SYT-48")).status_code
        == 200
    )
    assert http.get("/v1/reports/commune?period=2026-Q9", headers=headers("UBND-XA-20242")).status_code == 422
    assert http.get("/v1/reports/nope?period=2026-Q1", headers=headers("SYT-48")).status_code == 404
    assert http.get("/v1/reports/commune?period=2026-Q1").status_code == 401

    xlsx = http.get("/v1/reports/province?period=2026-H1&format=xlsx", headers=headers("SYT-48"))
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert "attachment" in xlsx.headers["content-disposition"]
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == "Bieu P01"
    as_json = http.get("/v1/reports/province?period=2026-H1", headers=headers("SYT-48")).json()
    assert xlsx.headers["X-Content-Hash"] == as_json["content_hash"]  # same log position, same content
    as_csv = http.get("/v1/reports/province?period=2026-H1&format=csv", headers=headers("SYT-48"))
    assert as_csv.headers["content-type"].startswith("text/csv") and as_csv.content.startswith(
        b"\xef\xbb\xbf"
    )


def test_the_cli_writes_the_report_from_the_configured_read_models(world, tmp_path, monkeypatch):
    for name in ("LIENTHONG_DATABASE_URL", "LIENTHONG_KAFKA_BOOTSTRAP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(world["data_dir"]))
    runner = CliRunner()
    out = tmp_path / "bao-cao.xlsx"
    args = [
        "--kind",
        "province",
        "--period",
        "2026-H1",
        "--unit",
        "48",
        "--format",
        "xlsx",
        "--out",
        str(out),
    ]
    result = runner.invoke(report_command, args)
    assert result.exit_code == 0, result.output
    expected = _report(world["exchange"], "province", "2026-H1", "48")
    assert expected["content_hash"] in result.output and load_workbook(out).sheetnames[0] == "Bieu P01"
    result = runner.invoke(report_command, ["--kind", "police", "--period", "2026-H1", "--as", "CA-TINH-31"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["unit"]["code"] == "31" and printed["issuer"]["code"] == "CA-TINH-31"
    refused = runner.invoke(
        report_command, ["--kind", "police", "--period", "2026-H1", "--as", "CA-TINH-31", "--unit", "48"]
    )
    assert refused.exit_code != 0


# --- rebuilt elsewhere, the same report ----------------------------------------------------------------


def _facts(exchange) -> list[Fact]:
    log = exchange.services.backend.log
    return [
        Fact(f"embedded.{source}", 0, s.position, kind, decode(s.data).record)
        for source, kind in (("events", EVENT), ("rejections", REJECTION))
        for s in log.scan(source)
    ]


REBUILT = (
    ("province", "48", "2026-H1", "today"),
    ("province", "VN", "2025-FY", "time"),
    ("police", "31", "2025-FY", "today"),
    ("ppc-office", "VN", "2026-FY", "today"),
    ("hotline-111", "VN", "2026-H1", "today"),
    ("court-reconciliation", "48", "2026-FY", "today"),
)


def _rebuild_as_partitions(engine, facts: list[Fact], partitions: int = 3) -> None:
    """Cases spread over partitions as Kafka would, each partition in order, partitions interleaved at
    random in batches of random size: the view must not depend on the order across cases."""
    streams: list[list[Fact]] = [[] for _ in range(partitions)]
    for fact in facts:
        case_id = fact.record["case_id"] if fact.kind == REJECTION else fact.envelope["case_id"]
        p = int(hashlib.sha256(case_id.encode()).hexdigest(), 16) % partitions
        stream = streams[p]
        stream.append(Fact(f"topic.{fact.kind}", p, len(stream), fact.kind, fact.record))
    rng = random.Random(3)
    projector = Projector(engine)
    while any(streams):
        batch = []
        for _ in range(rng.randint(1, 4)):
            stream = rng.choice([s for s in streams if s] or [[]])
            take = rng.randint(1, 40)
            batch += stream[:take]
            del stream[:take]
        projector.apply(batch)


def _assert_same_reports(live_engine, engine, *, same_position: bool) -> None:
    for kind, unit, period, group_by in REBUILT:
        request = make_request(kind, period, unit, group_by)
        want = compute_report(live_engine, request, now=datetime(2026, 11, 1, tzinfo=UTC))
        got = compute_report(engine, request, now=datetime(2026, 11, 1, tzinfo=UTC))
        assert got["sections"] == want["sections"], (kind, unit, period)
        if same_position:
            assert got["log_position"] == want["log_position"]
            assert got["content_hash"] == want["content_hash"]
        else:
            assert {k: v for k, v in got.items() if k not in ("log_position", "content_hash")} == {
                k: v for k, v in want.items() if k not in ("log_position", "content_hash")
            }


def test_reports_from_a_rebuild_in_another_order_are_the_same(world, tmp_path):
    live = world["exchange"].services.readmodels
    facts = _facts(world["exchange"])
    straight = make_engine(f"sqlite:///{tmp_path}/straight.db")
    Projector(straight).apply(facts)
    _assert_same_reports(live, straight, same_position=True)
    interleaved = make_engine(f"sqlite:///{tmp_path}/interleaved.db")
    _rebuild_as_partitions(interleaved, facts)
    _assert_same_reports(live, interleaved, same_position=False)


@pytest.mark.postgres
def test_reports_on_postgresql_equal_those_on_sqlite(world, postgres_url):
    live = world["exchange"].services.readmodels
    facts = _facts(world["exchange"])
    engine = make_engine(postgres_url)
    for start in range(0, len(facts), 500):
        Projector(engine).apply(facts[start : start + 500])
    _assert_same_reports(live, engine, same_position=True)


# --- reproducibility (its own exchange: it adds events) -------------------------------------------------


def test_the_hash_is_stable_at_a_log_position_and_changes_with_a_new_event(embedded):
    _report_and_receive(embedded, "20242", "HS-H-1", "2026-02-01T09:00:00+07:00")
    first = _report(embedded, "commune", "2026-Q1", "20242")
    again = compute_report(
        embedded.services.readmodels,
        make_request("commune", "2026-Q1", "20242"),
        now=datetime(2027, 1, 1, tzinfo=UTC),  # computed later, same log position
    )
    assert again["computed_at"] != first["computed_at"]
    assert again["content_hash"] == first["content_hash"] and again["log_position"] == first["log_position"]
    # An event that changes nothing in this commune's numbers still moves the log position, so the hash.
    _report_and_receive(embedded, "20257", "HS-H-2", "2026-02-02T09:00:00+07:00")
    later = _report(embedded, "commune", "2026-Q1", "20242")
    assert later["sections"] == first["sections"]
    assert later["log_position"] != first["log_position"] and later["content_hash"] != first["content_hash"]
    # A person received in the commune changes the numbers too.
    _report_and_receive(embedded, "20242", "HS-H-3", "2026-03-01T09:00:00+07:00", sex="male", born=2009)
    third = _report(embedded, "commune", "2026-Q1", "20242")
    assert _section(third, "P01")["total"][0] == _section(first, "P01")["total"][0] + 1
    assert {r["key"]: r["values"][0] for r in _section(third, "P03")["rows"]}["16-17"] == 1
