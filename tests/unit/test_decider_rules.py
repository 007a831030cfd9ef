"""The decider's rules, one test per rule, through the pure core (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lienthong.agencies import default_registry
from lienthong.domain import CaseState, Submission, decide, evolve, evolve_rejection
from lienthong.domain.refusals import refusal_codes
from lienthong.schemas import decode

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
COMMUNE = "20242"
REPORTED = {"report_place_code": COMMUNE, "representative_flag": False, "sex": "female", "birth_year": 2004}


def sub(
    event_type: str, payload: dict, *, agency: str = "UBND-XA-20242", case: str = "HS-1", **kw
) -> Submission:
    kw.setdefault("submission_id", str(uuid.uuid4()))
    return Submission(
        case_id=case,
        event_type=event_type,
        emitter_agency_code=agency,
        occurred_at=kw.pop("occurred_at", NOW),
        submitted_at=NOW,
        admin_unit_code=kw.pop("unit", COMMUNE),
        actor_pseudonym="cb-01",
        payload=payload,
        **kw,
    )


def run(state: CaseState, submission: Submission):
    decision = decide(state, submission, registry=default_registry(), recorded_at=NOW)
    if decision.event is not None:
        evolve(state, decision.event, decision.event_hash)
    elif decision.refusal is not None:
        evolve_rejection(state, submission.submission_id, decision.refusal)
    return decision


def reported_case() -> CaseState:
    state = CaseState("HS-1")
    assert run(state, sub("PersonReported", REPORTED, subject_person_ref="P-1")).event
    return state


def identified_case() -> CaseState:
    state = reported_case()
    run(
        state,
        sub(
            "VerificationRequested",
            {
                "to_agency_code": "CA-TINH-48",
                "question_codes": [],
                "due_at": (NOW + timedelta(days=3)).isoformat(),
            },
            agency="SYT-48",
        ),
    )
    run(
        state,
        sub(
            "VictimStatusDetermined",
            {
                "status": "victim",
                "decision_org": "CA-TINH-48",
                "decision_no": "1/QĐ",
                "decision_date": "2026-03-02",
                "exploitation_types": ["labour"],
                "control_methods": [],
            },
            agency="CA-TINH-48",
        ),
    )
    assert state.status == "identified"
    return state


def test_first_event_opens_the_case_with_version_1_and_no_previous_hash():
    state = CaseState("HS-1")
    decision = run(state, sub("PersonReported", REPORTED))
    env = decision.event["envelope"]
    assert (env["case_version"], env["prev_event_hash"], env["emitter_agency_code"]) == (
        1,
        None,
        "UBND-XA-20242",
    )
    assert decode(decision.data).record["envelope"]["event_id"] == env["event_id"]


def test_each_event_chains_to_the_hash_of_the_previous_event_of_the_case():
    state = reported_case()
    first_hash = state.last_hash
    decision = run(
        state,
        sub(
            "ReceptionRegistered",
            {
                "reception_type": "self_return",
                "receiving_agency_code": "SYT-48",
                "immediate_needs": [],
                "sex": "female",
            },
            agency="SYT-48",
        ),
    )
    assert decision.event["envelope"]["prev_event_hash"] == first_hash
    assert decision.event["envelope"]["case_version"] == 2


def test_a_non_opening_event_on_an_unknown_case_is_refused():
    decision = run(CaseState("HS-9"), sub("SupportPaid", {}, case="HS-9"))
    assert decision.refusal.code == "case_not_found"


def test_a_stale_expected_version_is_refused_not_merged():
    state = reported_case()
    decision = run(state, sub("CaseClosed", {"reason": "moved"}, agency="SYT-48", expected_version=0))
    assert decision.refusal.code == "stale_version"
    assert (decision.refusal.expected_version, decision.refusal.actual_version) == (0, 1)
    assert state.version == 1 and not state.closed


def test_a_repeated_submission_id_returns_the_first_outcome_and_records_nothing_new():
    state = reported_case()
    again = sub("CaseClosed", {"reason": "moved"}, agency="SYT-48", submission_id="S-1")
    first = run(state, again)
    assert first.event is not None
    second = run(state, again)
    assert second.is_duplicate and second.duplicate_of.event_id == first.event["envelope"]["event_id"]
    assert state.version == 2


def test_a_repeated_rejected_submission_stays_rejected_even_if_it_would_now_pass():
    state = CaseState("HS-1")
    early = sub(
        "ReceptionRegistered",
        {"reception_type": "other", "receiving_agency_code": "SYT-48", "immediate_needs": [], "sex": "male"},
        agency="SYT-48",
        expected_version=5,
        submission_id="S-early",
    )
    assert run(state, early).refusal.code == "stale_version"
    assert run(state, early).duplicate_of.accepted is False


def test_certificate_only_after_status_victim():
    state = reported_case()
    payload = {
        "certificate_no": "GXN-1",
        "issuer_agency_code": "CA-TINH-48",
        "issue_date": "2026-03-02",
        "document_type": "certificate",
    }
    assert (
        run(state, sub("VictimCertificateIssued", payload, agency="CA-TINH-48")).refusal.code
        == "wrong_status"
    )
    state = identified_case()
    assert run(state, sub("VictimCertificateIssued", payload, agency="CA-TINH-48")).event is not None


def test_a_commune_committee_cannot_issue_a_victim_certificate():
    state = identified_case()
    payload = {
        "certificate_no": "GXN-1",
        "issuer_agency_code": "UBND-XA-20242",
        "issue_date": "2026-03-02",
        "document_type": "certificate",
    }
    assert run(state, sub("VictimCertificateIssued", payload)).refusal.code == "outside_mandate"


def test_support_is_paid_only_to_an_entitled_status():
    payment = {
        "support_type": "initial_hardship",
        "amount_vnd": 1_500_000,
        "rate_table_id": "R-48",
        "budget_source": "provincial_budget",
        "voucher_no": "PC-1",
    }
    assert run(reported_case(), sub("SupportPaid", payment, agency="SYT-48")).refusal.code == "not_entitled"
    assert run(identified_case(), sub("SupportPaid", payment, agency="SYT-48")).event is not None


def test_a_closed_case_accepts_nothing_more():
    state = identified_case()
    run(state, sub("CaseClosed", {"reason": "reintegrated"}, agency="SYT-48"))
    payment = {
        "support_type": "initial_hardship",
        "amount_vnd": 1,
        "rate_table_id": "R",
        "budget_source": "b",
        "voucher_no": "v",
    }
    assert run(state, sub("SupportPaid", payment, agency="SYT-48")).refusal.code == "case_closed"


def test_a_referral_is_accepted_only_by_the_agency_it_was_sent_to():
    state = identified_case()
    run(
        state,
        sub(
            "ReferralSent",
            {
                "referral_id": "R-1",
                "to_agency_code": "UBND-XA-20242",
                "reason_code": "return_home",
                "service_type": "reintegration",
            },
            agency="SYT-48",
        ),
    )
    wrong = run(state, sub("ReferralAccepted", {"referral_id": "R-1"}, agency="UBND-XA-20257"))
    assert wrong.refusal.code == "referral_not_addressed_to_emitter"
    assert run(state, sub("ReferralAccepted", {"referral_id": "R-1"})).event is not None
    assert run(state, sub("ReferralAccepted", {"referral_id": "R-1"})).refusal.code == "unknown_referral"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**REPORTED, "sex": "unicorn"}, "payload.sex"),
        ({**REPORTED, "birth_year": "2004"}, "payload.birth_year"),
        ({k: v for k, v in REPORTED.items() if k != "report_place_code"}, "payload.report_place_code"),
        ({**REPORTED, "full_name": "Nguyễn Văn A"}, "payload.full_name"),
    ],
)
def test_bad_payload_is_refused_naming_the_field_and_the_rule(payload, field):
    decision = run(CaseState("HS-1"), sub("PersonReported", payload))
    assert decision.refusal.code == "invalid_field"
    assert decision.refusal.field == field
    assert field in decision.refusal.message_en and field in decision.refusal.message_vi


def test_unknown_agency_and_unknown_unit_are_refused():
    assert (
        run(CaseState("HS-1"), sub("PersonReported", REPORTED, agency="NOPE")).refusal.code
        == "unknown_agency"
    )
    refusal = run(CaseState("HS-1"), sub("PersonReported", REPORTED, unit="99999")).refusal
    assert (refusal.code, refusal.field) == ("invalid_field", "admin_unit_code")


def test_the_regime_follows_the_2025_07_01_switch_in_vietnam_time():
    before = run(
        CaseState("A"),
        sub("PersonReported", REPORTED, case="A", occurred_at=datetime(2025, 6, 30, 16, 59, tzinfo=UTC)),
    )
    after = run(
        CaseState("B"),
        sub("PersonReported", REPORTED, case="B", occurred_at=datetime(2025, 6, 30, 17, 0, tzinfo=UTC)),
    )
    assert before.event["envelope"]["legal_regime"] == "L2011"
    assert after.event["envelope"]["legal_regime"] == "L2024"


def test_every_refusal_has_vietnamese_and_english_text():
    from lienthong.domain.refusals import refuse

    for code in refusal_codes():
        r = refuse(code, field="x", rule="y")
        assert r.message_vi and r.message_en and r.message_vi != r.message_en
