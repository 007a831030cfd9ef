"""The packaged rule files, tested one legal basis at a time (tests are named after what they check)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest

from lienthong.rules import (
    VIETNAM,
    DeadlineRow,
    EntitlementRow,
    HolidayRow,
    MandateRow,
    RateRow,
    RuleNotFound,
    Rules,
    default_rules,
)
from lienthong.rules import vocabulary as v


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules.load()


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VIETNAM)


# -- vocabulary and coverage --------------------------------------------------------------------------

BRIEF_EVENTS = """TipReceived TipForwarded TipAcknowledged TipOutcomeReported PersonReported RescueCompleted
VictimHandoverReceived ReceptionRegistered IdentificationStarted VerificationRequested
NationalityVerificationRequested NationalityVerificationCompleted InitialVerificationCompleted
VictimStatusDetermined VictimCertificateIssued ProtectionRequested ProtectionMeasureApplied
ProtectionMeasureLifted ProtectionRefused AdmittedToFacility ShelterStayExtended DischargedFromFacility
NeedsAssessed EssentialNeedsProvided TravelCostPaid RepatriationCostPaid MedicalServiceProvided
HealthInsuranceIssued CounsellingProvided LegalAidRequested LegalAidProvided SupportApplicationSubmitted
SupportApplicationCertified SupportApproved SupportRejected SupportPaid SchoolEnrolmentSupported
TuitionExempted VocationalTrainingEnrolled EmploymentCounsellingProvided LoanApplicationReferred
LoanDisbursed ReferralSent ReferralAccepted ReferralRejected ReferralCompleted ReferralRevoked
CaseTransferRequested CaseTransferAccepted CaseTransferRejected FamilyContacted GuardianAssigned
ReturnedToResidence ReturnedToResidenceConfirmed ReintegrationFollowUpRecorded SupportRefused
CriminalCaseLinked AnnualVictimListSubmitted ConsentRecorded ConsentWithdrawn RecordCorrected PersonsMerged
PersonsUnmerged AccompanyingMinorLinked CaseClosed CaseReopened PeriodicReportSubmitted
AdministrativeUnitSucceeded AgencySucceeded AnnualPlanIssued BudgetAllocated InspectionFindingRecorded
TravelDocumentIssued""".split()  # noqa: SIM905


def test_vocabulary_is_the_catalogue():
    assert set(BRIEF_EVENTS) == v.EVENT_TYPES and len(BRIEF_EVENTS) == len(v.EVENT_TYPES) == 73
    assert len(v.AGENCY_TYPES) == 24


def test_every_agency_type_and_event_type_is_covered(rules):
    assert {m.agency_type for m in rules.mandates if m.agency_type} == v.AGENCY_TYPES
    assert {e for m in rules.mandates for e in m.event_types} == v.EVENT_TYPES
    for agency_type in v.AGENCY_TYPES:
        assert rules.agency_type_lifetime(agency_type)


def test_every_row_has_a_legal_basis(rules):
    tables = (rules.mandates, rules.deadlines, rules.entitlements, rules.rates, rules.holidays)
    assert all(row.legal_basis.strip() for table in tables for row in table)


def test_load_is_fast():
    best = min(_timed_load() for _ in range(3))
    assert best < 0.5, f"Rules.load() took {best:.3f} s"


def _timed_load() -> float:
    start = time.perf_counter()
    Rules.load()
    return time.perf_counter() - start


def test_default_rules_is_cached():
    assert default_rules() is default_rules()


# -- mandates: who, when ------------------------------------------------------------------------------

MANDATES = [
    # (agency type, level, event, date, allowed)
    ("district_police", "D", "VictimCertificateIssued", date(2023, 5, 1), True),
    ("district_police", "D", "VictimCertificateIssued", date(2025, 2, 28), True),
    ("district_police", "D", "VictimCertificateIssued", date(2025, 3, 1), False),
    ("district_police", "D", "ReferralSent", date(2025, 3, 1), False),
    ("district_labour", "D", "VerificationRequested", date(2025, 6, 30), True),
    ("district_labour", "D", "VerificationRequested", date(2025, 7, 1), False),
    ("provincial_labour", "P", "SupportPaid", date(2025, 2, 28), True),
    ("provincial_labour", "P", "SupportPaid", date(2025, 3, 1), False),
    ("provincial_health", "P", "SupportPaid", date(2025, 2, 28), False),
    ("provincial_health", "P", "SupportPaid", date(2025, 3, 1), True),
]


@pytest.mark.parametrize(("agency_type", "level", "event_type", "on", "allowed"), MANDATES)
def test_mandate_periods(rules, agency_type, level, event_type, on, allowed):
    assert (rules.mandate_for(agency_type, level, event_type, on) is not None) is allowed


def test_mandate_district_police_ends_2025_02_28(rules):
    row = rules.mandate_for("district_police", "D", "VictimStatusDetermined", date(2025, 2, 28))
    assert row is not None and row.valid_to == date(2025, 3, 1)
    assert rules.mandate_for("district_police", "D", "VictimStatusDetermined", date(2025, 3, 1)) is None
    assert rules.agency_type_lifetime("district_police")[-1].valid_to == date(2025, 3, 1)


def test_mandate_district_labour_ends_2025_06_30(rules):
    assert rules.mandate_for("district_labour", "D", "SupportPaid", date(2025, 6, 30)) is not None
    assert rules.mandate_for("district_labour", "D", "SupportPaid", date(2025, 7, 1)) is None


def test_ND42_2025_provincial_health_takes_over_from_provincial_labour_on_2025_03_01(rules):
    before = rules.mandate_for("provincial_labour", "P", "ReceptionRegistered", date(2025, 2, 28))
    after = rules.mandate_for("provincial_health", "P", "ReceptionRegistered", date(2025, 3, 1))
    assert before is not None and after is not None
    assert after.uncertain, "March-June 2025 routing is UNCERTAIN (DOMAIN §g.7)"
    settled = rules.mandate_for("provincial_health", "P", "ReceptionRegistered", date(2025, 7, 1))
    assert settled is not None and not settled.uncertain


def test_L53_2024_Art27_2_provincial_health_and_police_verify_initial_information(rules):
    for agency_type in ("provincial_health", "provincial_police"):
        row = rules.mandate_for(agency_type, "P", "InitialVerificationCompleted", date(2025, 7, 1))
        assert row is not None and row.jurisdiction == "own_province"
    assert (
        rules.mandate_for("provincial_health", "P", "InitialVerificationCompleted", date(2025, 6, 30)) is None
    )


def test_L66_2011_Art24_district_police_certify_and_L2024_issuer_is_uncertain(rules):
    row = rules.mandate_for("district_police", "D", "VictimCertificateIssued", date(2024, 1, 1))
    assert row is not None and "Art24(4)" in row.legal_basis and not row.uncertain
    for agency_type, level in (
        ("provincial_police", "P"),
        ("border_guard", "P"),
        ("coast_guard", "N"),
        ("mission", "X"),
    ):
        row = rules.mandate_for(agency_type, level, "VictimCertificateIssued", date(2026, 1, 1))
        assert row is not None and row.uncertain, agency_type
    assert rules.mandate_for("mission", "X", "VictimCertificateIssued", date(2024, 1, 1)) is None


def test_ND162_2025_Art4_5_hotline_111_from_launch(rules):
    assert rules.mandate_for("hotline_111", "N", "TipForwarded", date(2025, 9, 18)) is None
    row = rules.mandate_for("hotline_111", "N", "TipForwarded", date(2025, 9, 19))
    assert row is not None and row.jurisdiction == "national"


def test_data_steward_role_is_held_by_the_lead_agency(rules):
    row = rules.mandate_for("provincial_health", "P", "PersonsMerged", date(2026, 1, 1))
    assert row is not None and row.role == "data_steward" and row.agency_type is None
    assert [h.role for h in rules.roles_of("provincial_health", "P", date(2026, 1, 1))] == [
        "data_steward",
        "registry_admin",
    ]
    assert rules.mandate_for("commune_pc", "C", "PersonsMerged", date(2026, 1, 1)) is None
    assert rules.mandate_for("provincial_labour", "P", "RecordCorrected", date(2024, 1, 1)) is not None


def test_remembered_mandate_answers_are_the_ones_asked_afresh(monkeypatch):
    from lienthong.rules import mandates

    monkeypatch.setattr(mandates, "FIND_MEMO", 500)  # small, so the memo also fills and starts over
    table = Rules.load()._mandates
    days = (date(2012, 1, 1), date(2025, 3, 1), date(2025, 7, 1), date(2026, 1, 1))
    asked = 0
    for _ in range(2):  # the second pass answers from the memo where it still holds the key
        for agency_type in sorted(v.AGENCY_TYPES):
            for level in sorted(v.LEVELS):
                for event_type in sorted(v.EVENT_TYPES)[::5]:
                    for on in days:
                        for province in (None, "48"):
                            row = table.find(agency_type, level, event_type, on, province)
                            assert row is table._find(agency_type, level, event_type, on, province)
                            assert len(table._found) <= 500
                            asked += row is not None
    assert asked > 100  # the grid reaches real grants, not only refusals


def test_referral_answers_are_granted_broadly_within_each_lifetime(rules):
    for agency_type, level in (("legal_aid", "P"), ("commune_pc", "C"), ("vbsp", "C"), ("mission", "X")):
        assert rules.mandate_for(agency_type, level, "ReferralAccepted", date(2026, 1, 1)) is not None
    row = rules.mandate_for("court", "D", "ReferralRejected", date(2024, 1, 1))
    assert row is not None and row.valid_to == date(2025, 7, 1)  # clipped to district courts' lifetime
    assert rules.mandate_for("court", "D", "ReferralRejected", date(2025, 7, 1)) is None
    assert rules.mandate_for("finance", "P", "ReferralAccepted", date(2026, 1, 1)) is None


def test_L53_2024_accompanying_minors_are_linked_from_2025_07_01(rules):
    assert rules.mandate_for("social_facility", "P", "AccompanyingMinorLinked", date(2025, 6, 30)) is None
    assert rules.mandate_for("social_facility", "P", "AccompanyingMinorLinked", date(2025, 7, 1)) is not None


def test_mandate_rejects_unknown_names(rules):
    with pytest.raises(ValueError, match="event type"):
        rules.mandate_for("commune_pc", "C", "VerificationCompleted", date(2026, 1, 1))
    with pytest.raises(ValueError, match="agency type"):
        rules.mandate_for("dolisa", "P", "SupportPaid", date(2026, 1, 1))


# -- deadlines ------------------------------------------------------------------------------------------


def test_L53_2024_Art27_2_initial_verification_within_3_days(rules):
    row = rules.deadline("initial_verification", "L2024", date(2025, 7, 10))
    assert (row.days, row.calendar, row.responsible_agency_type) == (3, "calendar", "provincial_health")
    assert row.starts_from == "IdentificationStarted" and row.satisfied_by == {"InitialVerificationCompleted"}
    assert row.legal_basis.startswith("L53/2024 Art27(2)")
    assert rules.due("initial_verification", "L2024", vn(2025, 7, 10, 14, 0)) == vn(2025, 7, 14, 0, 0)
    with pytest.raises(RuleNotFound):
        rules.deadline("initial_verification", "L2024", date(2025, 6, 30))
    with pytest.raises(RuleNotFound):
        rules.deadline("initial_verification", "L2011", date(2025, 7, 10))


def test_TTLT01_2014_district_dolisa_arranges_within_3_days(rules):
    row = rules.deadline("l2011_dolisa_arrangement", "L2011", date(2024, 3, 1))
    assert (row.days, row.responsible_agency_type) == (3, "district_labour")
    with pytest.raises(RuleNotFound):
        rules.deadline("l2011_dolisa_arrangement", "L2011", date(2025, 7, 1))


def test_ND162_2025_Art17_stay_limit_120_days(rules):
    row = rules.deadline("shelter_stay_limit", "L2024", date(2025, 8, 1))
    assert (row.kind, row.days, row.starts_from) == ("limit", 120, "AdmittedToFacility")
    assert "ShelterStayExtended" in row.satisfied_by
    assert rules.due("shelter_stay_limit", "L2024", vn(2025, 8, 1, 9, 0)) == vn(2025, 11, 30, 0, 0)
    assert rules.entitlement("essential_needs", "victim", "L2024", date(2025, 8, 1)).max_days == 120
    extension = rules.deadline("shelter_stay_extension", "L2024", date(2025, 12, 1))
    assert extension.uncertain
    for agency_type in ("social_facility", "provincial_health"):
        assert rules.mandate_for(agency_type, "P", "ShelterStayExtended", date(2025, 8, 1)) is not None


def test_ND09_2013_Art23_apply_within_12_months_and_L2024_value_is_uncertain(rules):
    old = rules.deadline("reintegration_application", "L2011", date(2024, 2, 29))
    assert old.months == 12 and not old.uncertain and old.responsible_agency_type == "applicant"
    assert rules.due("reintegration_application", "L2011", vn(2024, 2, 29, 10, 0)) == vn(2025, 3, 1, 0, 0)
    # grandfathered L2011 victims keep the rule after the cut-over
    assert rules.deadline("reintegration_application", "L2011", date(2026, 1, 1)) is old
    new = rules.deadline("reintegration_application", "L2024", date(2026, 1, 1))
    assert new.months == 12 and new.uncertain and new.note


def test_ND09_2013_Art23_commune_forwards_within_3_working_days(rules):
    row = rules.deadline("commune_forward_application", "L2011", date(2024, 3, 1))
    assert (row.days, row.calendar, row.responsible_agency_type) == (3, "working", "commune_pc")
    # submitted on a Friday: Mon, Tue, Wed -> ends at 24:00 on Wednesday
    assert rules.due("commune_forward_application", "L2011", vn(2024, 3, 1, 16, 0)) == vn(2024, 3, 7, 0, 0)


def test_referral_answer_is_a_design_choice_for_both_regimes(rules):
    for regime in ("L2011", "L2024"):
        row = rules.deadline("referral_answer", regime, date(2025, 8, 1))
        assert row.design_choice and row.responsible_agency_type == "addressee" and row.calendar == "working"


def test_ND162_2025_Art4_5_tip_forwarding_immediately_is_modelled_in_hours(rules):
    row = rules.deadline("tip_forwarding", "L2024", date(2025, 10, 1))
    assert row.hours == 24 and row.uncertain and row.design_choice
    assert rules.due("tip_forwarding", "L2024", vn(2025, 10, 1, 22, 30)) == vn(2025, 10, 2, 22, 30)


def test_due_uses_the_vietnam_date_of_the_start(rules):
    # 2025-06-30 18:00 UTC is 2025-07-01 01:00 in Vietnam: the L2024 deadline applies.
    start = datetime(2025, 6, 30, 18, 0, tzinfo=UTC)
    assert rules.due("initial_verification", "L2024", start) == vn(2025, 7, 5, 0, 0)
    with pytest.raises(ValueError, match="timezone"):
        rules.due("initial_verification", "L2024", datetime(2025, 7, 2, 9, 0))


# -- working days ---------------------------------------------------------------------------------------

WORKING_DAYS = [
    # (start, n, expected n-th working day after start)
    (date(2024, 3, 1), 1, date(2024, 3, 4)),  # Friday -> Monday
    (date(2024, 2, 7), 1, date(2024, 2, 15)),  # Tết Giáp Thìn: 8-14 Feb off
    (date(2024, 2, 7), 3, date(2024, 2, 19)),
    (date(2026, 2, 13), 1, date(2026, 2, 23)),  # Tết Bính Ngọ: 16-20 Feb off, weekends around it
    (date(2025, 1, 24), 2, date(2025, 2, 4)),  # Tết Ất Tỵ: 27-31 Jan off
    (date(2024, 5, 3), 1, date(2024, 5, 4)),  # Saturday 4 May 2024 was worked (swap for 29 Apr)
    (date(2024, 4, 26), 1, date(2024, 5, 2)),  # 29 Apr swapped off, 30 Apr and 1 May holidays
    (date(2023, 4, 28), 1, date(2023, 5, 4)),  # Hùng Kings on Saturday: compensatory 2-3 May 2023
]


@pytest.mark.parametrize(("start", "n", "expected"), WORKING_DAYS)
def test_working_days_skip_weekends_holidays_and_swaps(rules, start, n, expected):
    assert rules.add_working_days(start, n) == expected


def test_working_day_deadline_across_tet(rules):
    # an application submitted on the Friday before Tết Bính Ngọ 2026
    due = rules.due("commune_forward_application", "L2011", vn(2026, 2, 13, 10, 0))
    assert due == vn(2026, 2, 26, 0, 0)  # Mon 23, Tue 24, Wed 25 February


def test_working_days_outside_the_holiday_calendar_are_an_error(rules):
    with pytest.raises(RuleNotFound, match="holidays.toml"):
        rules.is_working_day(date(2028, 1, 3))


# -- entitlements ---------------------------------------------------------------------------------------


def test_ND09_2013_Art23_initial_hardship_is_one_off_for_poor_households(rules):
    row = rules.entitlement("initial_hardship", "victim", "L2011", date(2024, 5, 1))
    assert row.one_off and "poor_household" in row.requires and "ND09/2013 Art23" in row.legal_basis
    assert rules.entitlement("vocational_training", "victim", "L2011", date(2024, 5, 1)).one_off
    assert (
        "poor_household" in rules.entitlement("cultural_study", "victim", "L2011", date(2024, 5, 1)).requires
    )
    new = rules.entitlement("initial_hardship", "victim", "L2024", date(2026, 1, 1))
    assert new.uncertain and new.one_off


def test_JC01_2014_awaiting_verification_gets_essential_needs_only(rules):
    granted = {
        s for s in v.SUPPORT_TYPES if rules.entitlement(s, "awaiting_verification", "L2011", date(2024, 5, 1))
    }
    assert granted == {"essential_needs"}


def test_L66_2011_medical_and_counselling_only_in_a_facility(rules):
    for support in ("medical", "counselling"):
        assert rules.entitlement(support, "victim", "L2011", date(2024, 5, 1)).requires == {"in_facility"}
        assert rules.entitlement(support, "victim", "L2024", date(2026, 1, 1)).requires == frozenset()


ENTITLEMENTS_L2024 = [
    # (support type, status, entitled)
    ("essential_needs", "in_identification", True),
    ("essential_needs", "accompanying_minor", True),
    ("travel_home", "in_identification", True),
    ("medical", "in_identification", True),
    ("counselling", "accompanying_minor", True),
    ("legal_aid", "in_identification", True),
    ("legal_aid", "accompanying_minor", True),
    ("cultural_study", "accompanying_minor", True),
    ("health_insurance_first_year", "victim", True),
    ("initial_hardship", "in_identification", False),
    ("loan", "accompanying_minor", False),
]


@pytest.mark.parametrize(("support", "status", "entitled"), ENTITLEMENTS_L2024)
def test_L53_2024_ChV_extends_support_to_persons_in_identification_and_minors(
    rules, support, status, entitled
):
    assert (rules.entitlement(support, status, "L2024", date(2025, 9, 1)) is not None) is entitled


def test_statuses_are_regime_specific(rules):
    assert rules.entitlement("essential_needs", "in_identification", "L2011", date(2024, 5, 1)) is None
    assert rules.entitlement("essential_needs", "awaiting_verification", "L2024", date(2026, 1, 1)) is None
    assert rules.entitlement("health_insurance_first_year", "victim", "L2011", date(2026, 1, 1)) is None
    # L2011 rows stay in force for grandfathered victims (Law 53/2024 Art. 63)
    assert rules.entitlement("initial_hardship", "victim", "L2011", date(2027, 1, 1)) is not None


# -- rates ----------------------------------------------------------------------------------------------

RATES = [
    # (province code, support type, item, date, amount, unit, uncertain)
    ("L:02", "essential_needs", "food", date(2020, 7, 20), 60_000, "per_day", False),
    ("L:02", "essential_needs", "clothing_personal_items", date(2023, 1, 1), 500_000, "per_person", False),
    ("L:02", "medical", "medicine", date(2023, 1, 1), 200_000, "per_person", False),
    ("L:02", "initial_hardship", "allowance", date(2023, 1, 1), 3_000_000, "one_off", False),
    ("08", "initial_hardship", "allowance", date(2025, 7, 1), 3_000_000, "one_off", True),
    ("L:56", "initial_hardship", "allowance", date(2020, 8, 1), 2_000_000, "one_off", False),
    ("L:56", "travel_home", "meals", date(2022, 1, 1), 100_000, "per_day", False),
    ("56", "travel_home", "meals", date(2026, 1, 1), 100_000, "per_day", True),
    ("L:52", "initial_hardship", "allowance", date(2020, 8, 7), 2_000_000, "one_off", True),
    ("52", "initial_hardship", "allowance", date(2026, 1, 1), 2_000_000, "one_off", True),
]


@pytest.mark.parametrize(("code", "support", "item", "on", "amount", "unit", "uncertain"), RATES)
def test_provincial_rates_NQ15_2020_HaGiang_NQ05_2020_KhanhHoa_BinhDinh_2020(
    rules, code, support, item, on, amount, unit, uncertain
):
    row = rules.rate(code, support, on, item=item)
    assert (row.amount_vnd, row.unit, row.uncertain) == (amount, unit, uncertain)
    assert row.rate_table_id.startswith(code + "-") and not row.synthetic


def test_NQ15_2020_HaGiang_food_is_capped_at_3_months_and_starts_2020_07_20(rules):
    assert rules.rate("L:02", "essential_needs", date(2020, 7, 19), item="food") is None
    assert rules.rate("L:02", "essential_needs", date(2020, 7, 20), item="food").max_units == 90
    assert rules.rate("L:02", "initial_hardship", date(2025, 7, 1)) is None  # the old province is gone


def test_synthetic_rates_for_demo_provinces_2023_2026(rules):
    for code in ("48", "31"):
        for on in (date(2023, 1, 1), date(2024, 6, 1), date(2025, 7, 1), date(2026, 12, 31)):
            historic = on < date(2025, 7, 1)
            row = rules.rate(f"L:{code}" if historic else code, "initial_hardship", on)
            assert row is not None and row.synthetic and row.instrument.startswith("SYNTHETIC")
            assert row.legal_basis.startswith("SYNTHETIC")
        assert rules.rate(code, "initial_hardship", date(2027, 1, 1)) is None
    with pytest.raises(ValueError, match="item="):
        rules.rate("48", "essential_needs", date(2026, 1, 1))
    assert len(rules.rates_for("48", "essential_needs", date(2026, 1, 1))) == 3


# -- regimes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "regime"),
    [
        (date(2012, 1, 1), "L2011"),
        (date(2025, 6, 30), "L2011"),
        (date(2025, 7, 1), "L2024"),
        (date(2030, 1, 1), "L2024"),
    ],
)
def test_L53_2024_regime_switches_on_2025_07_01(rules, on, regime):
    assert rules.regime_on(on) == regime


def test_no_regime_before_L66_2011(rules):
    with pytest.raises(RuleNotFound):
        rules.regime_on(date(2011, 12, 31))


TRANSITIONAL = [
    # (identified on, first reported on, fact on, regime)
    (date(2025, 6, 30), date(2025, 6, 1), None, "L2011"),
    (date(2025, 6, 30), date(2025, 6, 1), date(2027, 1, 1), "L2011"),  # kept for good
    (date(2023, 4, 2), date(2023, 3, 1), date(2026, 5, 1), "L2011"),
    (date(2025, 7, 1), date(2025, 6, 20), None, "L2024"),  # identified on the cut-over day
    (date(2025, 7, 10), date(2025, 6, 20), None, "L2024"),
    (None, date(2025, 6, 20), None, "L2011"),  # not identified yet, reported under L2011
    (None, date(2025, 6, 20), date(2025, 8, 1), "L2024"),  # still not identified after the cut-over
    (None, date(2025, 8, 1), None, "L2024"),
]


@pytest.mark.parametrize(("identified_on", "reported_on", "on", "regime"), TRANSITIONAL)
def test_L53_2024_Art63_transitional_rule_keeps_pre_july_2025_victims_on_L2011(
    rules, identified_on, reported_on, on, regime
):
    assert rules.regime_for_person(identified_on, reported_on, on=on) == regime


def test_L53_2024_Art63_cut_over_is_data(rules):
    rule = rules.transitional_rule
    assert rule.identified_before == date(2025, 7, 1) and rule.keeps_regime == "L2011"
    assert rule.applies_to == {"victim", "accompanying_minor"} and rule.uncertain


# -- uncertain items are rows, not constants ------------------------------------------------------------


def test_domain_uncertain_items_are_marked_rows(rules):
    uncertain = rules.uncertain_rows()
    of = lambda cls: [r for r in uncertain if isinstance(r, cls)]  # noqa: E731
    assert rules.transitional_rule in uncertain
    assert any("VictimCertificateIssued" in r.event_types for r in of(MandateRow))
    assert {r.name for r in of(DeadlineRow)} >= {
        "reintegration_application",
        "commune_forward_application",
        "shelter_stay_extension",
        "tip_forwarding",
    }
    assert {r.support_type for r in of(EntitlementRow)} >= {
        "initial_hardship",
        "vocational_training",
        "essential_needs_abroad",
    }
    assert {r.province_code for r in of(RateRow)} >= {"08", "56", "52", "L:52"}
    assert date(2027, 2, 5) in {r.date for r in of(HolidayRow)}
    assert all(r.note for r in uncertain)


def test_memo_remembers_none_too_and_starts_over_when_full():
    from lienthong.rules._rows import Memo

    asked: list[int] = []

    def answer(n: int) -> int | None:
        asked.append(n)
        return None if n % 2 else n

    memo: Memo[int, int | None] = Memo(limit=3)
    assert [memo.get(n, answer, n) for n in (1, 2, 1, 2)] == [None, 2, None, 2]
    assert asked == [1, 2]  # a remembered None is not asked again
    for n in (3, 4):
        memo.get(n, answer, n)
    assert len(memo) == 1 and asked == [1, 2, 3, 4]  # full at 3: forgotten, then 4 remembered
    memo.clear()
    assert len(memo) == 0
