"""The decider's rules, one test per rule, named after the legal basis it enforces. Pure core, no I/O."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lienthong.domain.refusals import refusal_codes, refuse
from lienthong.schemas import decode
from tests.unit.domain_kit import (
    History,
    at,
    certificate,
    l2024_victim,
    needs,
    paid,
    received,
    reported,
    verification,
    victim,
)

DAY = "2026-03-02"


# -- the log's own rules (ARCHITECTURE rules 3, 4, 7) -------------------------------------------------


def test_first_event_opens_the_case_with_version_1_and_no_previous_hash():
    h = History()
    event = h.ok("UBND-XA-20242", "PersonReported", reported("20242"), when=at(DAY), unit="20242")
    env = event["envelope"]
    assert (env["case_version"], env["prev_event_hash"], env["emitter_agency_code"]) == (
        1,
        None,
        "UBND-XA-20242",
    )
    assert decode(h.decisions[0].data).record["envelope"]["event_id"] == env["event_id"]


def test_each_event_chains_to_the_hash_of_the_previous_event_of_the_case():
    h = l2024_victim()
    for previous, decision in zip(h.decisions, h.decisions[1:], strict=False):
        assert decision.event["envelope"]["prev_event_hash"] == previous.event_hash


def test_a_non_opening_event_on_an_unknown_case_is_refused():
    History().refused("case_not_found", "SYT-48", "CaseClosed", {"reason": "moved"}, when=at(DAY), unit="48")


def test_a_stale_expected_version_is_refused_not_merged():
    h = l2024_victim()
    refusal = h.refused(
        "stale_version",
        "SYT-48",
        "CaseClosed",
        {"reason": "moved"},
        when=at(DAY, 18),
        unit="48",
        expected_version=1,
    )
    assert (refusal.expected_version, refusal.actual_version) == (1, 4)
    assert not h.state.closed


def test_a_repeated_submission_id_returns_the_first_outcome_and_records_nothing_new():
    h = l2024_victim()
    first = h.ok(
        "SYT-48", "CaseClosed", {"reason": "moved"}, when=at(DAY, 18), unit="48", submission_id="S-x"
    )
    again = h.submit(
        "SYT-48", "CaseClosed", {"reason": "moved"}, when=at(DAY, 18), unit="48", submission_id="S-x"
    )
    assert again.is_duplicate and again.duplicate_of.event_id == first["envelope"]["event_id"]
    assert h.state.version == 5


# -- who may record what, where and when (mandate matrix, rules/data/mandates.toml) -------------------


def test_L53_2024_Art27_commune_reports_and_provincial_health_receives_and_verifies():
    h = l2024_victim()
    assert [e["envelope"]["legal_regime"] for e in h.events] == ["L2024"] * 4
    assert all(e["envelope"]["legal_basis"] for e in h.events)


def test_a_commune_committee_cannot_record_outside_its_own_commune():
    h = History()
    h.refused(
        "outside_jurisdiction",
        "UBND-XA-20242",
        "PersonReported",
        reported("20257"),
        when=at(DAY),
        unit="20257",
    )


def test_a_commune_committee_has_no_mandate_to_issue_a_victim_certificate():
    h = l2024_victim()
    h.refused(
        "outside_mandate",
        "UBND-XA-20242",
        "VictimCertificateIssued",
        certificate("UBND-XA-20242", DAY),
        when=at(DAY, 17),
        unit="20242",
    )


def test_D02_2025_district_police_are_refused_after_2025_03_01_and_named_with_their_successor():
    h = History()
    refusal = h.refused(
        "agency_inactive",
        "CA-HUYEN-490",
        "PersonReported",
        reported("L:20194"),
        when=at("2025-03-05"),
        unit="L:20194",
    )
    assert "CA-TINH-48" in refusal.message_en


def test_L66_2011_Art24_4_district_police_verify_and_certify_in_2024_on_the_units_of_the_time():
    h = History()
    h.ok("CA-HUYEN-490", "PersonReported", reported("L:20194"), when=at("2024-05-06"), unit="L:20194")
    h.ok(
        "PLDTBXH-490",
        "VerificationRequested",
        verification("CA-HUYEN-490", at("2024-05-09")),
        when=at("2024-05-06", 14),
        unit="L:490",
    )
    h.ok(
        "CA-HUYEN-490",
        "VictimStatusDetermined",
        victim("CA-HUYEN-490", "2024-05-08"),
        when=at("2024-05-08"),
        unit="L:490",
    )
    event = h.ok(
        "CA-HUYEN-490",
        "VictimCertificateIssued",
        certificate("CA-HUYEN-490", "2024-05-08"),
        when=at("2024-05-08", 15),
        unit="L:490",
    )
    assert event["envelope"]["legal_regime"] == "L2011"
    assert event["envelope"]["admin_unit_version"] != event["envelope"]["schema_fingerprint"]


def test_a_unit_that_did_not_exist_on_the_day_is_refused():
    h = History()
    refusal = h.refused(
        "invalid_field",
        "CA-TINH-48",
        "PersonReported",
        reported("20242"),
        when=at("2024-05-06"),
        unit="20242",
    )
    assert refusal.field == "admin_unit_code"


# -- the lifecycle (DOMAIN §b) -------------------------------------------------------------------------


def test_L66_2011_Art28_certificate_only_after_status_victim():
    h = History()
    h.ok("UBND-XA-20242", "PersonReported", reported("20242"), when=at(DAY), unit="20242")
    h.refused(
        "wrong_status",
        "CA-TINH-48",
        "VictimCertificateIssued",
        certificate("CA-TINH-48", DAY),
        when=at(DAY, 10),
        unit="48",
    )
    h = l2024_victim()
    h.ok("CA-TINH-48", "VictimCertificateIssued", certificate("CA-TINH-48", DAY), when=at(DAY, 17), unit="48")


def test_a_closed_case_accepts_no_new_support_until_it_is_reopened():
    h = l2024_victim()
    h.ok("SYT-48", "CaseClosed", {"reason": "reintegrated"}, when=at(DAY, 18), unit="48")
    h.refused("case_closed", "TTCTXH-48", "EssentialNeedsProvided", needs(), when=at(DAY, 19), unit="48")
    h.ok("SYT-48", "CaseReopened", {"reason_code": "new_needs"}, when=at(DAY, 20), unit="48")
    h.ok("TTCTXH-48", "EssentialNeedsProvided", needs(), when=at(DAY, 21), unit="48")


def test_a_referral_is_answered_only_by_the_agency_it_was_sent_to():
    h = l2024_victim()
    h.ok(
        "SYT-48",
        "ConsentRecorded",
        {"consent_id": "C-1", "scope_agency_codes": [], "purpose_codes": ["support"], "given_by": "self"},
        when=at(DAY, 17),
        unit="48",
    )
    h.ok(
        "SYT-48",
        "ReferralSent",
        {
            "referral_id": "R-1",
            "to_agency_code": "UBND-XA-20242",
            "reason_code": "return_home",
            "service_type": "reintegration",
            "consent_ref": "C-1",
        },
        when=at(DAY, 18),
        unit="48",
    )
    h.refused(
        "referral_not_addressed_to_emitter",
        "UBND-XA-20257",
        "ReferralAccepted",
        {"referral_id": "R-1"},
        when=at(DAY, 19),
        unit="20257",
    )
    h.ok("UBND-XA-20242", "ReferralAccepted", {"referral_id": "R-1"}, when=at(DAY, 19), unit="20242")
    h.refused(
        "workflow_state",
        "UBND-XA-20242",
        "ReferralAccepted",
        {"referral_id": "R-1"},
        when=at(DAY, 20),
        unit="20242",
    )


# -- support (DOMAIN §d; rules/data/entitlements.toml and rates.toml) ----------------------------------


def test_L53_2024_ChV_a_person_in_identification_is_entitled_to_essential_needs():
    h = History()
    h.ok("UBND-XA-20242", "PersonReported", reported("20242"), when=at(DAY), unit="20242")
    h.ok("SYT-48", "ReceptionRegistered", received("SYT-48"), when=at(DAY, 11), unit="48")
    h.ok("TTCTXH-48", "EssentialNeedsProvided", needs(), when=at(DAY, 12), unit="48")


def test_a_person_found_not_to_be_a_victim_gets_no_support():
    h = History()
    h.ok("UBND-XA-20242", "PersonReported", reported("20242"), when=at(DAY), unit="20242")
    h.ok(
        "CA-TINH-48",
        "VictimStatusDetermined",
        victim("CA-TINH-48", DAY, status="not_victim"),
        when=at(DAY, 12),
        unit="48",
    )
    h.refused("not_entitled", "TTCTXH-48", "EssentialNeedsProvided", needs(), when=at(DAY, 13), unit="48")


def test_ND162_2025_Art17_essential_needs_end_after_120_days_unless_extended():
    h = l2024_victim()
    late = at(DAY) + timedelta(days=125)
    h.refused("entitlement_expired", "TTCTXH-48", "EssentialNeedsProvided", needs(), when=late, unit="48")
    h.ok(
        "SYT-48",
        "ShelterStayExtended",
        {
            "facility_code": "TTCTXH-48",
            "extension_days": 60,
            "extension_decision_ref": "QĐ-1",
            "decided_by_agency_code": "SYT-48",
        },
        when=late,
        unit="48",
    )
    h.ok("TTCTXH-48", "EssentialNeedsProvided", needs(), when=late + timedelta(hours=1), unit="48")


def _hardship_ready(h: History) -> None:
    h.ok(
        "UBND-XA-20242",
        "SupportApplicationSubmitted",
        {
            "application_id": "A-1",
            "support_type": "initial_hardship",
            "poor_household_flag": True,
            "submitted_on": DAY,
        },
        when=at(DAY, 17),
        unit="20242",
    )
    h.ok(
        "UBND-XA-20242", "ReturnedToResidenceConfirmed", {"arrival_date": DAY}, when=at(DAY, 18), unit="20242"
    )


def test_ND09_2013_Art23_initial_hardship_needs_a_poor_household_and_a_return_home():
    h = l2024_victim()
    h.refused(
        "requirement_missing",
        "SYT-48",
        "SupportPaid",
        paid("initial_hardship", 3_000_000, "48-SYN-2026-01"),
        when=at(DAY, 19),
        unit="48",
    )


def test_ND09_2013_Art23_a_one_off_allowance_is_never_paid_twice_to_a_person():
    h = l2024_victim()
    _hardship_ready(h)
    h.ok(
        "SYT-48",
        "SupportPaid",
        paid("initial_hardship", 3_000_000, "48-SYN-2026-01"),
        when=at(DAY, 19),
        unit="48",
    )
    h.refused(
        "already_paid_once",
        "SYT-48",
        "SupportPaid",
        paid("initial_hardship", 3_000_000, "48-SYN-2026-01"),
        when=at(DAY, 20),
        unit="48",
    )


def test_TT84_2019_the_paid_amount_matches_the_provincial_rate_in_force_or_carries_an_exception():
    h = l2024_victim()
    _hardship_ready(h)
    h.refused(
        "wrong_rate_table",
        "SYT-48",
        "SupportPaid",
        paid("initial_hardship", 3_000_000, "48-SYN-2025-07"),
        when=at(DAY, 19),
        unit="48",
    )
    refusal = h.refused(
        "rate_mismatch",
        "SYT-48",
        "SupportPaid",
        paid("initial_hardship", 2_500_000, "48-SYN-2026-01"),
        when=at(DAY, 19),
        unit="48",
    )
    assert "3,000,000" in refusal.message_en
    h.ok(
        "SYT-48",
        "SupportPaid",
        paid("initial_hardship", 2_500_000, "48-SYN-2026-01", exception_ref="QĐ-NL-7"),
        when=at(DAY, 20),
        unit="48",
    )


def test_a_support_the_person_refused_is_not_recorded():
    h = l2024_victim()
    h.ok("SYT-48", "SupportRefused", {"support_type": "counselling"}, when=at(DAY, 17), unit="48")
    h.refused(
        "support_refused_by_person",
        "TTCTXH-48",
        "CounsellingProvided",
        {"modality": "in_person", "sessions": 1, "provider_agency_code": "TTCTXH-48"},
        when=at(DAY, 18),
        unit="48",
    )


# -- consent and lawful basis (DOMAIN §f) --------------------------------------------------------------


def test_a_referral_needs_consent_or_a_recorded_lawful_basis():
    h = l2024_victim()
    referral = {
        "referral_id": "R-1",
        "to_agency_code": "TGPL-48",
        "reason_code": "legal_aid",
        "service_type": "legal_aid",
    }
    h.refused("no_consent", "SYT-48", "ReferralSent", referral, when=at(DAY, 17), unit="48")
    h.ok(
        "SYT-48",
        "ConsentRecorded",
        {
            "consent_id": "C-1",
            "scope_agency_codes": ["TGPL-48"],
            "purpose_codes": ["legal_aid"],
            "given_by": "self",
        },
        when=at(DAY, 18),
        unit="48",
    )
    h.ok("SYT-48", "ReferralSent", {**referral, "consent_ref": "C-1"}, when=at(DAY, 19), unit="48")
    h.ok("SYT-48", "ConsentWithdrawn", {"consent_id": "C-1"}, when=at(DAY, 20), unit="48")
    h.refused(
        "no_consent",
        "SYT-48",
        "ReferralSent",
        {**referral, "referral_id": "R-2", "consent_ref": "C-1"},
        when=at(DAY, 21),
        unit="48",
    )
    h.ok(
        "SYT-48",
        "ReferralSent",
        {**referral, "referral_id": "R-3", "lawful_basis_code": "court_order"},
        when=at(DAY, 22),
        unit="48",
    )


# -- regimes (Law 53/2024 Art. 63) and persons ---------------------------------------------------------


def test_L53_2024_Art63_a_person_identified_before_july_2025_keeps_L2011_support_afterwards():
    h = History()
    h.ok("CA-HUYEN-490", "PersonReported", reported("L:20194"), when=at("2025-02-03"), unit="L:20194")
    h.ok(
        "CA-TINH-48",
        "VictimStatusDetermined",
        victim("CA-TINH-48", "2025-06-20"),
        when=at("2025-06-20"),
        unit="L:48",
    )
    event = h.ok("TTCTXH-48", "EssentialNeedsProvided", needs("2025-08-01"), when=at("2025-08-01"), unit="48")
    assert event["envelope"]["legal_regime"] == "L2011"
    later = l2024_victim(day="2025-08-04")
    assert later.events[-1]["envelope"]["legal_regime"] == "L2024"


def test_L53_2024_Art34_an_accompanying_under_18_is_a_linked_person_with_own_entitlements():
    h = l2024_victim()
    h.ok(
        "SYT-48",
        "AccompanyingMinorLinked",
        {
            "minor_person_ref": "P-2",
            "adult_person_ref": "P-1",
            "relationship_code": "child",
            "minor_birth_year": 2015,
            "minor_sex": "male",
        },
        when=at(DAY, 17),
        unit="48",
    )
    event = h.ok(
        "TTCTXH-48",
        "CounsellingProvided",
        {"modality": "in_person", "sessions": 2, "provider_agency_code": "TTCTXH-48"},
        when=at(DAY, 18),
        unit="48",
        subject_person_ref="P-2",
    )
    assert event["envelope"]["subject_person_ref"] == "P-2"
    h.refused(
        "not_a_minor",
        "SYT-48",
        "AccompanyingMinorLinked",
        {
            "minor_person_ref": "P-3",
            "adult_person_ref": "P-1",
            "relationship_code": "sibling",
            "minor_birth_year": 1990,
            "minor_sex": "male",
        },
        when=at(DAY, 19),
        unit="48",
    )


def test_support_for_a_person_not_in_the_case_is_refused():
    h = l2024_victim()
    h.refused(
        "unknown_person",
        "TTCTXH-48",
        "EssentialNeedsProvided",
        needs(),
        when=at(DAY, 17),
        unit="48",
        subject_person_ref="P-404",
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**reported("20242"), "sex": "unicorn"}, "payload.sex"),
        ({**reported("20242"), "birth_year": "2004"}, "payload.birth_year"),
        (
            {k: v for k, v in reported("20242").items() if k != "report_place_code"},
            "payload.report_place_code",
        ),
        ({**reported("20242"), "full_name": "Nguyễn Văn A"}, "payload.full_name"),
    ],
)
def test_bad_payload_is_refused_naming_the_field_and_the_rule(payload, field):
    refusal = History().refused(
        "invalid_field", "UBND-XA-20242", "PersonReported", payload, when=at(DAY), unit="20242"
    )
    assert refusal.field == field
    assert field in refusal.message_en and field in refusal.message_vi


def test_every_refusal_has_vietnamese_and_english_text():
    for code in refusal_codes():
        r = refuse(code, field="x", rule="y")
        assert r.message_vi and r.message_en and r.message_vi != r.message_en


def test_a_rate_refusal_can_be_written_as_a_rejection_record():
    from datetime import UTC, datetime

    from lienthong.runtime.records import encode_rejection

    h = l2024_victim()
    _hardship_ready(h)
    refusal = h.refused(
        "rate_mismatch",
        "SYT-48",
        "SupportPaid",
        paid("initial_hardship", 1, "48-SYN-2026-01"),
        when=at(DAY, 19),
        unit="48",
    )
    assert refusal.expected_version is None
    sub = type(
        "S",
        (),
        {
            "submission_id": "S-1",
            "case_id": "HS-1",
            "event_type": "SupportPaid",
            "emitter_agency_code": "SYT-48",
        },
    )()
    assert encode_rejection(sub, refusal, datetime.now(UTC))
