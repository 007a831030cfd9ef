"""Payloads of every event type (schemas/avro/<Type>/v*.avsc, JSON form: ISO dates and timestamps).

Each builder gets what the planner decided (`args`: the values the decider's checks look at) and fills in
the rest the way an office would: decision numbers, vouchers, items, codes. Values the planner left to
chance are drawn here, at release time, from the generator's own random source.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from lienthong.generator.model import Case, Person
from lienthong.generator.world import CUTOVER

if TYPE_CHECKING:
    from lienthong.generator.engine import Engine

DAY = 86400
EPOCH = date(1970, 1, 1).toordinal()
Builder = Callable[["Engine", int, str, str, Case, "Person | None", dict], dict[str, Any]]
BUILDERS: dict[str, Builder] = {}

EXPLOITATION = ("sexual", "labour", "forced_marriage", "online_scam", "begging", "organ_removal")
EXPLOITATION_W = (30, 28, 22, 15, 3, 2)
DESTINATIONS = ("CN", "KH", "LA", "MY", "TH", "MM", "KR", None)
DESTINATIONS_W = (40, 22, 10, 5, 4, 8, 2, 9)
CONTROL = (
    "debt_bondage",
    "withheld_documents",
    "restricted_movement",
    "threats",
    "physical_violence",
    "isolation",
    "false_promises",
)
RECRUITMENT = ("job_offer", "marriage_offer", "online_contact", "acquaintance", "relative", "abduction")
NEEDS = ("food", "shelter", "clothing", "medical", "psychological", "legal", "interpreter", "transport")


def builder(event_type: str):
    def register(fn: Builder) -> Builder:
        BUILDERS[event_type] = fn
        return fn

    return register


def _day(t: int) -> date:
    return date.fromordinal(EPOCH + t // DAY)


def _iso(g: Engine, t: int) -> str:
    return g.iso(t)


def _no(g: Engine, prefix: str, t: int) -> str:
    return f"{g.rng.randint(1, 3999)}/{_day(t).year}/{prefix}"


def _regime_basis(t: int) -> str:
    return "L53-2024" if _day(t) >= CUTOVER else "TTLT01-2014"


# -- reports, tips, intake -------------------------------------------------------------------------------


@builder("TipReceived")
def _tip(g, t, agency, unit, case, subject, a):
    rng = g.rng
    hotline = a["channel"] == "hotline_111"
    return {
        "channel": a["channel"],
        "reporter_type": rng.choices(
            ("self", "relative", "public", "agency", "unknown"), (15, 40, 30, 5, 10)
        )[0],
        "suspected_count": rng.choices((1, 2, 3, 5), (70, 18, 8, 4))[0],
        "location_code": a["location_code"],
        "exploitation_indicators": rng.sample(
            ("deception", "confinement", "debt", "no_documents", "minor"), rng.randint(1, 3)
        ),
        "child_flag": a["child_flag"],
        "recording_ref": f"REC-111-{g.ids.short('GA')}" if hotline else None,
        "language": "vi",
    }


@builder("TipForwarded")
def _tip_forwarded(g, t, agency, unit, case, subject, a):
    return {
        "target_agency_code": a["target_agency_code"],
        "forwarded_at": _iso(g, t),
        "channel": "electronic"
        if agency == "DD-111"
        else g.rng.choice(("phone", "official_letter", "electronic")),
    }


@builder("TipAcknowledged")
def _tip_ack(g, t, agency, unit, case, subject, a):
    return {"acknowledged_at": _iso(g, t)}


@builder("TipOutcomeReported")
def _tip_outcome(g, t, agency, unit, case, subject, a):
    return {"outcome": a["outcome"], "linked_case_id": a.get("linked_case_id")}


@builder("PersonReported")
def _reported(g, t, agency, unit, case, subject, a):
    assert subject is not None
    return {
        "report_place_code": unit,
        "representative_flag": g.rng.random() < 0.12,
        "sex": subject.sex,
        "birth_year": subject.birth_year,
        "nationality": "VN",
        "accompanying_minor_refs": list(a.get("_minors") or ()),
    }


@builder("ReceptionRegistered")
def _received(g, t, agency, unit, case, subject, a):
    assert subject is not None
    rng = g.rng
    form = "ND162-M01" if _day(t) >= CUTOVER else "TTLT01-M01"
    return {
        "reception_type": a["reception_type"],
        "receiving_agency_code": agency,
        "declaration_form_ref": f"{form}-{g.ids.short('TK')}",
        "interpreter_language": rng.choices((None, "hmn", "km", "zh", "lo"), (90, 4, 3, 2, 1))[0],
        "immediate_needs": sorted(rng.sample(NEEDS, rng.randint(1, 4))),
        "sex": subject.sex,
        "birth_year": subject.birth_year,
    }


@builder("RescueCompleted")
def _rescue(g, t, agency, unit, case, subject, a):
    return {
        "operation_ref": f"GC-{g.ids.short(agency.split('-')[0])}",
        "location_type": a["location_type"],
        "rescued_person_refs": list(a["rescued_person_refs"]),
    }


@builder("VictimHandoverReceived")
def _handover(g, t, agency, unit, case, subject, a):
    return {
        "foreign_authority_code": a["foreign_authority_code"],
        "border_gate_code": a["border_gate_code"],
        "handover_record_no": f"BBGN-{g.ids.short(a['_country'])}",
        "handed_over_person_refs": list(a["handed_over_person_refs"]),
        "document_codes": g.rng.sample(
            ("handover_minutes", "identity_statement", "foreign_police_record"), 2
        ),
    }


# -- identification --------------------------------------------------------------------------------------


@builder("IdentificationStarted")
def _identification(g, t, agency, unit, case, subject, a):
    basis = "L53-A27-2" if _day(t) >= CUTOVER else "TTLT01-2014-A6"
    return {"basis_code": basis, "deadline_at": _iso(g, t + 3 * DAY)}


@builder("VerificationRequested")
def _verification(g, t, agency, unit, case, subject, a):
    return {
        "to_agency_code": a["to_agency_code"],
        "question_codes": g.rng.sample(("identity", "nationality", "trafficking_grounds", "residence"), 2),
        "due_at": _iso(g, t + 3 * DAY),
    }


@builder("NationalityVerificationRequested")
def _nationality_request(g, t, agency, unit, case, subject, a):
    return {
        "to_agency_code": a["to_agency_code"],
        "requesting_mission_code": a.get("requesting_mission_code"),
        "due_at": _iso(g, t + DAY),
    }


@builder("NationalityVerificationCompleted")
def _nationality_done(g, t, agency, unit, case, subject, a):
    result = g.rng.choices(("confirmed_vietnamese", "inconclusive", "not_vietnamese"), (94, 5, 1))[0]
    return {"result": result, "population_db_lookup_ref": f"CSDLQGDC-{g.ids.short('TC')}"}


@builder("InitialVerificationCompleted")
def _initial(g, t, agency, unit, case, subject, a):
    sources = sorted(g.rng.sample(("ND62-A5-1", "ND62-A5-2", "ND62-A5-3", "ND62-A5-4", "ND62-A5-5"), 2))
    co = None
    if _day(t) >= CUTOVER:
        province = case.province
        co = f"CA-TINH-{province}" if agency.startswith("SYT") else f"SYT-{province}"
    return {"result": a["result"], "evidence_source_codes": sources, "co_verifier_agency_code": co}


@builder("VictimStatusDetermined")
def _status(g, t, agency, unit, case, subject, a):
    rng = g.rng
    day = _day(t)
    victim = a["status"] == "victim"
    start = day - timedelta(days=rng.randint(30, 900))
    return {
        "status": a["status"],
        "decision_org": agency,
        "decision_no": _no(g, "QĐ-XĐNN", t),
        "decision_date": day.isoformat(),
        "exploitation_types": sorted(set(rng.choices(EXPLOITATION, EXPLOITATION_W, k=rng.randint(1, 2))))
        if victim
        else [],
        "destination_country": rng.choices(DESTINATIONS, DESTINATIONS_W)[0] if victim else None,
        "trafficking_period_start": start.isoformat() if victim else None,
        "trafficking_period_end": (day - timedelta(days=rng.randint(3, 25))).isoformat() if victim else None,
        "recruitment_method": rng.choice(RECRUITMENT) if victim else None,
        "control_methods": sorted(rng.sample(CONTROL, rng.randint(0, 3))) if victim else [],
    }


@builder("VictimCertificateIssued")
def _certificate(g, t, agency, unit, case, subject, a):
    return {
        "certificate_no": f"GXN-{g.ids.short(agency.split('-')[0])}",
        "issuer_agency_code": agency,
        "issue_date": _day(t).isoformat(),
        "document_type": "certificate",
    }


# -- protection ------------------------------------------------------------------------------------------


def _measure(g: Engine, t: int) -> str:
    if _day(t) >= CUTOVER:
        return g.rng.choice(("ND162-BV-NOI-O-AN-TOAN", "ND162-BV-THONG-TIN", "ND162-BV-NOI-CU-TRU"))
    return g.rng.choice(("ND62-A7-1", "ND62-A7-2", "ND62-A7-4", "ND62-A7-5"))


@builder("ProtectionRequested")
def _protection_request(g, t, agency, unit, case, subject, a):
    requested_by = (
        "facility" if agency.startswith("TTCTXH") else ("health" if agency.startswith("SYT") else "victim")
    )
    return {
        "measure_codes": [_measure(g, t)],
        "protected_person_refs": list(a.get("protected_person_refs") or ()),
        "risk_level": g.rng.choice(("medium", "high", "high", "low")),
        "requested_by": requested_by,
    }


@builder("ProtectionMeasureApplied")
def _protection(g, t, agency, unit, case, subject, a):
    refs = [subject.ref] if subject is not None else []
    return {
        "measure_code": _measure(g, t),
        "protected_person_refs": refs,
        "decision_org": agency,
        "risk_level": g.rng.choice(("medium", "high", "low")),
        "valid_until": _iso(g, t + g.rng.choice((30, 60, 90)) * DAY) if g.rng.random() < 0.6 else None,
    }


@builder("ProtectionMeasureLifted")
def _protection_lifted(g, t, agency, unit, case, subject, a):
    return {"measure_code": _measure(g, t), "reason_code": a.get("reason_code", "risk_ended")}


@builder("ProtectionRefused")
def _protection_refused(g, t, agency, unit, case, subject, a):
    return {"measure_codes": [_measure(g, t)], "refusal_commitment_ref": f"CK-{g.ids.short('TC')}"}


# -- stay and support ------------------------------------------------------------------------------------


@builder("AdmittedToFacility")
def _admitted(g, t, agency, unit, case, subject, a):
    return {
        "facility_code": a["facility_code"],
        "admitted_on": _day(t).isoformat(),
        "planned_days": a["planned_days"],
    }


@builder("ShelterStayExtended")
def _extended(g, t, agency, unit, case, subject, a):
    return {
        "facility_code": a["facility_code"],
        "extension_days": a["extension_days"],
        "extension_decision_ref": _no(g, "QĐ-GH", t),
        "decided_by_agency_code": a["decided_by_agency_code"],
    }


@builder("DischargedFromFacility")
def _discharged(g, t, agency, unit, case, subject, a):
    return {
        "facility_code": a["facility_code"],
        "discharged_on": _day(t).isoformat(),
        "discharge_reason": a["discharge_reason"],
        "day_count": a["day_count"],
    }


@builder("NeedsAssessed")
def _needs(g, t, agency, unit, case, subject, a):
    rng = g.rng
    return {
        "need_codes": sorted(rng.sample(NEEDS, rng.randint(2, 5))),
        "risk_vulnerability_scores": [
            {"dimension": d, "score": rng.randint(1, 5)} for d in ("individual", "household", "community")
        ],
        "assessment_tool": "HTCDS-v2",
    }


@builder("EssentialNeedsProvided")
def _essential(g, t, agency, unit, case, subject, a):
    """Food for the days given, and sometimes clothing, priced by the table in force (as the decider checks);
    where no table is in force the provision carries the province's approved exception."""
    days = a.get("_days", 3)
    prices = {r.item: r for r in g.rate_rows(unit, "essential_needs", _day(t))}
    food, clothing = prices.get("food"), prices.get("clothing_personal_items")
    if food is None:
        items = [{"item_code": "food", "quantity": days, "unit": "day"}]
        return {"items": items, "amount_vnd": 50_000 * days, "exception_ref": g.exception_ref()}
    days = min(days, food.max_units or days)
    items = [{"item_code": "food", "quantity": days, "unit": "day"}]
    amount = food.amount_vnd * days
    if clothing is not None and g.rng.random() < 0.5:
        items.append({"item_code": "clothing_personal_items", "quantity": 1, "unit": "set"})
        amount += clothing.amount_vnd
    return {"items": items, "amount_vnd": amount, "rate_ref": food.rate_table_id}


def _route_cost(g: Engine) -> tuple[int, int]:
    return g.rng.randrange(150, 1500) * 1_000, g.rng.randint(1, 3)


@builder("TravelCostPaid")
def _travel(g, t, agency, unit, case, subject, a):
    on = _day(t)
    ticket, meal_days = _route_cost(g)
    meals = next((r for r in g.rate_rows(unit, "travel_home", on) if r.item == "meals"), None)
    payload = {
        "route_from_code": a["_from"].unit(on) if a["_from"] is not None else a["_to"].province_unit(on),
        "route_to_code": a["_to"].unit(on),
        "ticket_amount_vnd": ticket,
        "meal_days": meal_days,
        "amount_vnd": ticket + (meals.amount_vnd if meals else 80_000) * meal_days,
        "fund": "state_budget",
        "rate_table_id": meals.rate_table_id if meals else None,
        "voucher_no": f"PC-{g.ids.short('TC')}",
    }
    if meals is None:
        payload["exception_ref"] = g.exception_ref()
    return payload


@builder("RepatriationCostPaid")
def _repatriation(g, t, agency, unit, case, subject, a):
    ticket, meal_days = _route_cost(g)
    return {
        "route_from_code": a.get("_country", "CN"),
        "route_to_code": unit,
        "ticket_amount_vnd": ticket * 2,
        "meal_days": meal_days,
        "amount_vnd": ticket * 2 + 150_000 * meal_days,
        "fund": "citizen_protection_fund" if agency.startswith("DSQ") else "state_budget",
        "rate_table_id": None,
        "voucher_no": f"PC-{g.ids.short('BHCD')}",
    }


@builder("MedicalServiceProvided")
def _medical(g, t, agency, unit, case, subject, a):
    return {
        "service_type": a.get("service_type", "check_up"),
        "cost_vnd": g.rng.randrange(1, 40) * 50_000,
        "facility_code": agency,
    }


@builder("HealthInsuranceIssued")
def _insurance(g, t, agency, unit, case, subject, a):
    on = _day(t)
    return {
        "insurance_card_ref": f"BHYT-{g.ids.short('TE')}",
        "valid_from": on.isoformat(),
        "valid_to": (on + timedelta(days=365)).isoformat(),
        "contribution_vnd": 1_263_600,
    }


@builder("CounsellingProvided")
def _counselling(g, t, agency, unit, case, subject, a):
    return {
        "modality": a.get("modality", "in_person"),
        "sessions": g.rng.randint(1, 6),
        "provider_agency_code": a.get("provider_agency_code", agency),
    }


@builder("LegalAidRequested")
def _legal_request(g, t, agency, unit, case, subject, a):
    return {"form": a["form"], "requested_by": a["requested_by"]}


@builder("LegalAidProvided")
def _legal(g, t, agency, unit, case, subject, a):
    return {"form": a["form"], "legal_aid_case_ref": f"TGPL-{g.ids.short('VV')}"}


@builder("SupportApplicationSubmitted")
def _application(g, t, agency, unit, case, subject, a):
    amounts = {"initial_hardship": 3_000_000, "vocational_training": 3_500_000, "cultural_study": 1_500_000}
    return {
        "application_id": a["application_id"],
        "support_type": a["support_type"],
        "requested_amount_vnd": amounts.get(a["support_type"]),
        "poor_household_flag": a["poor_household_flag"],
        "submitted_on": _day(t).isoformat(),
    }


@builder("SupportApplicationCertified")
def _certified(g, t, agency, unit, case, subject, a):
    return {"application_id": a["application_id"], "certified_on": _day(t).isoformat()}


@builder("SupportApproved")
def _approved(g, t, agency, unit, case, subject, a):
    return {
        "application_id": a["application_id"],
        "approved_amount_vnd": a["approved_amount_vnd"],
        "rate_table_id": a["rate_table_id"],
        "approved_on": _day(t).isoformat(),
    }


@builder("SupportRejected")
def _rejected(g, t, agency, unit, case, subject, a):
    return {"application_id": a["application_id"], "reason_code": a["reason_code"]}


@builder("SupportPaid")
def _paid(g, t, agency, unit, case, subject, a):
    on = _day(t)
    payload = {
        "support_type": a["support_type"],
        "amount_vnd": a["amount_vnd"],
        "rate_table_id": a["rate_table_id"],
        "budget_source": "local_budget" if agency.startswith("UBND") else "provincial_budget",
        "voucher_no": f"PC-{g.ids.short('HT')}",
        "period": f"{on.year}-{on.month:02d}",
    }
    if a.get("units"):
        payload["units"] = a["units"]
    if a.get("exception_ref"):
        payload["exception_ref"] = a["exception_ref"]
    return payload


@builder("SupportRefused")
def _support_refused(g, t, agency, unit, case, subject, a):
    return {"support_type": a["support_type"], "refusal_commitment_ref": f"CK-{g.ids.short('TC')}"}


@builder("SchoolEnrolmentSupported")
def _school(g, t, agency, unit, case, subject, a):
    year = a["_year"]
    return {
        "school_year": f"{year}-{year + 1}",
        "school_code": f"TH-{unit}-{g.rng.randint(1, 9)}",
        "item_codes": ["textbooks", "school_supplies"],
    }


@builder("TuitionExempted")
def _tuition(g, t, agency, unit, case, subject, a):
    year = a["_year"]
    return {"school_year": f"{year}-{year + 1}", "amount_vnd": g.rng.choice((900_000, 1_350_000, 2_700_000))}


@builder("VocationalTrainingEnrolled")
def _vocational(g, t, agency, unit, case, subject, a):
    return {
        "course_level": g.rng.choice(("elementary", "under_3_months", "under_3_months")),
        "training_institution_code": f"CSGDNN-{case.province}-{g.rng.randint(1, 12):02d}",
        "cost_vnd": g.rng.choice((2_500_000, 3_000_000, 3_500_000, 4_200_000)),
    }


@builder("EmploymentCounsellingProvided")
def _employment(g, t, agency, unit, case, subject, a):
    return {"programme_code": g.rng.choice(("TV-VIEC-LAM", "THONG-TIN-THI-TRUONG", "GIOI-THIEU-VIEC-LAM"))}


@builder("LoanApplicationReferred")
def _loan_referred(g, t, agency, unit, case, subject, a):
    return {"programme_code": "NHCSXH-HO-NGHEO", "requested_amount_vnd": a.get("_amount")}


@builder("LoanDisbursed")
def _loan(g, t, agency, unit, case, subject, a):
    return {"programme_code": "NHCSXH-HO-NGHEO", "amount_vnd": a["amount_vnd"]}


# -- referrals, transfers, family, return ----------------------------------------------------------------


@builder("ReferralSent")
def _referral(g, t, agency, unit, case, subject, a):
    return {
        "referral_id": a["referral_id"],
        "to_agency_code": a["to_agency_code"],
        "reason_code": a["reason_code"],
        "service_type": a["service_type"],
        "consent_ref": a.get("consent_ref"),
        "lawful_basis_code": a.get("lawful_basis_code"),
    }


@builder("ReferralAccepted")
def _referral_accepted(g, t, agency, unit, case, subject, a):
    return {"referral_id": a["referral_id"], "note_code": None}


@builder("ReferralRejected")
def _referral_rejected(g, t, agency, unit, case, subject, a):
    return {"referral_id": a["referral_id"], "rejection_reason_code": a["rejection_reason_code"]}


@builder("ReferralCompleted")
def _referral_completed(g, t, agency, unit, case, subject, a):
    return {"referral_id": a["referral_id"], "outcome_code": a["outcome_code"]}


@builder("ReferralRevoked")
def _referral_revoked(g, t, agency, unit, case, subject, a):
    return {"referral_id": a["referral_id"], "reason_code": a["reason_code"]}


@builder("CaseTransferRequested")
def _transfer(g, t, agency, unit, case, subject, a):
    return {
        "transfer_id": a["transfer_id"],
        "from_agency_code": a["from_agency_code"],
        "to_agency_code": a["to_agency_code"],
        "reason_code": a["reason_code"],
    }


@builder("CaseTransferAccepted")
def _transfer_accepted(g, t, agency, unit, case, subject, a):
    return {"transfer_id": a["transfer_id"]}


@builder("CaseTransferRejected")
def _transfer_rejected(g, t, agency, unit, case, subject, a):
    return {"transfer_id": a["transfer_id"], "reason_code": a["reason_code"]}


@builder("FamilyContacted")
def _family(g, t, agency, unit, case, subject, a):
    return {
        "relationship_code": g.rng.choice(("parent", "spouse", "sibling", "grandparent")),
        "outcome": g.rng.choices(("reached", "not_reached", "refused", "unsafe"), (75, 15, 6, 4))[0],
        "child_best_interest_note": None,
    }


@builder("GuardianAssigned")
def _guardian(g, t, agency, unit, case, subject, a):
    minor: Person = a["_minor"]
    return {
        "guardian_person_ref": g.ids.uuid(),
        "minor_person_ref": minor.ref,
        "decision_ref": _no(g, "QĐ-GH", t),
    }


@builder("ReturnedToResidence")
def _returned(g, t, agency, unit, case, subject, a):
    return {"destination_unit_code": a["destination_unit_code"], "escort_agency_code": a.get("_escort")}


@builder("ReturnedToResidenceConfirmed")
def _confirmed(g, t, agency, unit, case, subject, a):
    return {"arrival_date": a["arrival_date"].isoformat()}


@builder("ReintegrationFollowUpRecorded")
def _follow_up(g, t, agency, unit, case, subject, a):
    rng = g.rng
    on = _day(t)
    return {
        "visit_date": on.isoformat(),
        "status_codes": sorted(
            rng.sample(
                (
                    "stable_income",
                    "living_with_family",
                    "in_school",
                    "needs_support",
                    "health_concern",
                    "at_risk",
                ),
                rng.randint(1, 3),
            )
        ),
        "next_visit_due": (on + timedelta(days=rng.choice((30, 60, 90)))).isoformat(),
    }


@builder("CriminalCaseLinked")
def _criminal(g, t, agency, unit, case, subject, a):
    return {"criminal_case_ref": a["criminal_case_ref"], "role": "injured_party", "stage": a["stage"]}


@builder("ConsentRecorded")
def _consent(g, t, agency, unit, case, subject, a):
    valid_until = a.get("valid_until")
    return {
        "consent_id": a["consent_id"],
        "scope_agency_codes": list(a["scope_agency_codes"]),
        "purpose_codes": ["referral", "support"],
        "given_by": a["given_by"],
        "valid_until": f"{valid_until.isoformat()}T00:00:00+07:00" if valid_until else None,
    }


@builder("ConsentWithdrawn")
def _consent_withdrawn(g, t, agency, unit, case, subject, a):
    return {"consent_id": a["consent_id"]}


@builder("AccompanyingMinorLinked")
def _minor(g, t, agency, unit, case, subject, a):
    minor: Person = a["minor"]
    return {
        "minor_person_ref": minor.ref,
        "adult_person_ref": a["adult_person_ref"],
        "relationship_code": a["relationship_code"],
        "minor_birth_year": minor.birth_year,
        "minor_sex": minor.sex,
    }


@builder("TravelDocumentIssued")
def _travel_document(g, t, agency, unit, case, subject, a):
    return {"document_type": "laissez_passer", "issuing_mission_code": a["issuing_mission_code"]}


# -- the steward -----------------------------------------------------------------------------------------


@builder("RecordCorrected")
def _corrected(g, t, agency, unit, case, subject, a):
    event_id = case.event_ids[a["_label"]]
    value = sorted(set(g.rng.choices(EXPLOITATION, EXPLOITATION_W, k=2)))
    field = g.rng.choice(("exploitation_types", "destination_country"))
    new_value = value if field == "exploitation_types" else g.rng.choice(("CN", "KH", "LA", "MY"))
    return {
        "corrected_event_ids": [event_id],
        "corrections": [{"field": field, "new_value_json": json.dumps(new_value)}],
        "reason_code": "classification_error",
        "sealed_corrections": None,
    }


@builder("PersonsMerged")
def _merged(g, t, agency, unit, case, subject, a):
    scores = {"R1_ID_NUMBER": 0.99, "R3_PHONE": 0.9, "R2_NAME_BIRTHYEAR_PROVINCE": 0.8}
    return {
        "merge_id": a["merge_id"],
        "surviving_person_ref": a["surviving_person_ref"],
        "merged_person_refs": list(a["merged_person_refs"]),
        "match_rule_code": a["match_rule_code"],
        "match_score": scores.get(a["match_rule_code"]),
        "merged_one_offs": [
            {
                "paid_person_ref": ref,
                "support_type": support_type,
                "paid_on": paid_on.isoformat(),
                "case_id": case_id,
            }
            for ref, support_type, paid_on, case_id in a.get("merged_one_offs", ())
        ],
    }


@builder("PersonsUnmerged")
def _unmerged(g, t, agency, unit, case, subject, a):
    return {
        "merge_id": a["merge_id"],
        "restored_person_refs": list(a["restored_person_refs"]),
        "reason_code": a["reason_code"],
    }


@builder("CaseClosed")
def _closed(g, t, agency, unit, case, subject, a):
    return {"reason": a["reason"]}


@builder("CaseReopened")
def _reopened(g, t, agency, unit, case, subject, a):
    return {"reason_code": a["reason_code"]}


# -- streams: reports, plans, budgets, registry ----------------------------------------------------------


@builder("PeriodicReportSubmitted")
def _report(g, t, agency, unit, case, subject, a):
    return {
        "report_id": f"BC-{g.ids.short(a['period_code'])}",
        "period_code": a["period_code"],
        "scope_unit_code": a["scope_unit_code"],
        "projection_version": "v1",
        "snapshot_hash": f"{g.rng.getrandbits(256):064x}",
        "log_position": str(case.version),
    }


@builder("AnnualPlanIssued")
def _plan(g, t, agency, unit, case, subject, a):
    short = agency.split("-")[0]
    return {"plan_ref": f"{g.rng.randint(100, 2999)}/KH-{short}", "year": a["year"]}


@builder("BudgetAllocated")
def _budget(g, t, agency, unit, case, subject, a):
    return {
        "year": a["year"],
        "budget_source": "state_budget",
        "amount_vnd": g.rng.randrange(200, 3000) * 1_000_000,
        "support_type": g.rng.choice((None, "essential_needs", "initial_hardship")),
    }


@builder("InspectionFindingRecorded")
def _inspection(g, t, agency, unit, case, subject, a):
    return {
        "inspection_ref": f"KT-{g.ids.short(agency)}",
        "finding_codes": g.rng.sample(
            ("late_verification", "missing_consent", "record_incomplete", "support_paid_late", "compliant"), 2
        ),
    }


@builder("AnnualVictimListSubmitted")
def _victim_list(g, t, agency, unit, case, subject, a):
    return {
        "year": a["year"],
        "list_ref": f"DS-{g.ids.short(agency)}",
        "victim_person_refs": list(a["victim_person_refs"]),
        "criminal_case_refs": list(a["criminal_case_refs"]),
    }


@builder("AgencySucceeded")
def _agency_succeeded(g, t, agency, unit, case, subject, a):
    day: date = a["effective_date"]
    ref = "NĐ02/2025/NĐ-CP" if a["old_agency_code"].startswith("CA-HUYEN") else "NĐ42/2025/NĐ-CP"
    if day >= CUTOVER:
        ref = "NQ202/2025/QH15"
    return {
        "old_agency_code": a["old_agency_code"],
        "new_agency_code": a["new_agency_code"],
        "effective_date": day.isoformat(),
        "legal_ref": ref,
    }


@builder("AdministrativeUnitSucceeded")
def _unit_succeeded(g, t, agency, unit, case, subject, a):
    return {
        "old_codes": list(a["old_codes"]),
        "new_code": a["new_code"],
        "effective_date": a["effective_date"].isoformat(),
        "legal_ref": "NQ202/2025/QH15",
    }
