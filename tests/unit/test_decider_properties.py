"""Property-based: random submission sequences through the decider never break its invariants.

Hypothesis draws sequences of plausible and implausible submissions by several agencies on one case
(reports, receptions, identifications, certificates, supports at right and wrong rates, one-offs,
consents, referrals, closing and reopening, minors, stale versions, long gaps). An independent
checker then re-reads the accepted events and asserts every invariant of issue #3 §4 held.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lienthong.agencies import default_registry
from lienthong.domain import lifecycle as lc
from lienthong.rules import default_rules
from tests.unit.domain_kit import (
    History,
    at,
    certificate,
    needs,
    paid,
    received,
    reported,
    verification,
    victim,
)

START = at("2026-02-02")
COURSE = default_rules().rate("48", "vocational_training", START.date())


def _moves(n: int) -> dict[str, tuple]:
    """name -> (agency, event type, payload, extra): `n` keeps ids unique within one sequence."""
    return {
        "report": (
            "UBND-XA-20242",
            "PersonReported",
            reported("20242"),
            {"unit": "20242", "subject_person_ref": "P-1"},
        ),
        "report_elsewhere": ("UBND-XA-20242", "PersonReported", reported("20257"), {"unit": "20257"}),
        "receive": ("SYT-48", "ReceptionRegistered", received("SYT-48"), {}),
        "verify": (
            "SYT-48",
            "VerificationRequested",
            verification("CA-TINH-48", START + timedelta(days=3)),
            {},
        ),
        "victim": ("CA-TINH-48", "VictimStatusDetermined", victim("CA-TINH-48", "2026-02-03"), {}),
        "not_victim": (
            "CA-TINH-48",
            "VictimStatusDetermined",
            victim("CA-TINH-48", "2026-02-03", "not_victim"),
            {},
        ),
        "certificate": ("CA-TINH-48", "VictimCertificateIssued", certificate("CA-TINH-48", "2026-02-04"), {}),
        "certificate_by_commune": (
            "UBND-XA-20242",
            "VictimCertificateIssued",
            certificate("UBND-XA-20242", "2026-02-04"),
            {"unit": "20242"},
        ),
        "needs": ("TTCTXH-48", "EssentialNeedsProvided", needs(START.date().isoformat()), {}),
        "needs_wrong": (
            "TTCTXH-48",
            "EssentialNeedsProvided",
            {**needs(START.date().isoformat()), "amount_vnd": 1},
            {},
        ),
        "needs_exception": (
            "TTCTXH-48",
            "EssentialNeedsProvided",
            {**needs(START.date().isoformat()), "amount_vnd": 1, "exception_ref": "QĐ-8"},
            {},
        ),
        "merge_paid_duplicate": (
            "SYT-48",
            "PersonsMerged",
            {
                "merge_id": f"M-{n}",
                "surviving_person_ref": "P-1",
                "merged_person_refs": ["P-9"],
                "match_rule_code": "R1_ID_NUMBER",
                "merged_one_offs": [
                    {
                        "paid_person_ref": "P-9",
                        "support_type": "vocational_training",
                        "paid_on": "2026-01-15",
                        "case_id": "HS-9",
                    }
                ],
            },
            {},
        ),
        "unmerge": (
            "SYT-48",
            "PersonsUnmerged",
            {"merge_id": f"M-{n - 1}", "restored_person_refs": [], "reason_code": "different_persons"},
            {},
        ),
        "pay_course": (
            "SYT-48",
            "SupportPaid",
            paid("vocational_training", COURSE.amount_vnd, COURSE.rate_table_id, units=1),
            {},
        ),
        "pay_course_wrong": (
            "SYT-48",
            "SupportPaid",
            paid("vocational_training", COURSE.amount_vnd - 1, COURSE.rate_table_id, units=1),
            {},
        ),
        "pay_course_exception": (
            "SYT-48",
            "SupportPaid",
            paid("vocational_training", 1_000_000, COURSE.rate_table_id, exception_ref="QĐ-9"),
            {},
        ),
        "consent": (
            "SYT-48",
            "ConsentRecorded",
            {
                "consent_id": f"C-{n}",
                "scope_agency_codes": ["TGPL-48"],
                "purpose_codes": ["legal_aid"],
                "given_by": "self",
            },
            {},
        ),
        "withdraw": ("SYT-48", "ConsentWithdrawn", {"consent_id": f"C-{n - 1}"}, {}),
        "refer_with_consent": (
            "SYT-48",
            "ReferralSent",
            {
                "referral_id": f"R-{n}",
                "to_agency_code": "TGPL-48",
                "reason_code": "legal_aid",
                "service_type": "legal_aid",
                "consent_ref": f"C-{n - 1}",
            },
            {},
        ),
        "refer_without": (
            "SYT-48",
            "ReferralSent",
            {
                "referral_id": f"R-{n}",
                "to_agency_code": "TGPL-48",
                "reason_code": "legal_aid",
                "service_type": "legal_aid",
            },
            {},
        ),
        "refer_lawful": (
            "SYT-48",
            "ReferralSent",
            {
                "referral_id": f"R-{n}",
                "to_agency_code": "TGPL-48",
                "reason_code": "legal_aid",
                "service_type": "legal_aid",
                "lawful_basis_code": "court_order",
            },
            {},
        ),
        "close": ("SYT-48", "CaseClosed", {"reason": "reintegrated"}, {}),
        "reopen": ("SYT-48", "CaseReopened", {"reason_code": "new_needs"}, {}),
        "minor": (
            "SYT-48",
            "AccompanyingMinorLinked",
            {
                "minor_person_ref": f"M-{n}",
                "adult_person_ref": "P-1",
                "relationship_code": "child",
                "minor_birth_year": 2016,
                "minor_sex": "female",
            },
            {},
        ),
    }


MOVE_NAMES = sorted(_moves(0))
step = st.tuples(st.sampled_from(MOVE_NAMES), st.integers(0, 6), st.sampled_from([0, 0, 0, 1, 130]))


OPENINGS = [
    [],
    [("report", 0, 0)],
    [("report", 0, 0), ("receive", 0, 0)],
    [("report", 0, 0), ("receive", 0, 0), ("verify", 0, 0), ("victim", 0, 0)],
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(OPENINGS), st.lists(step, min_size=1, max_size=30))
def test_random_sequences_never_break_the_invariants(opening, rest):
    sequence = opening + rest
    h = History()
    when = START
    for n, (name, stale_guess, gap_days) in enumerate(sequence, start=1):
        agency, event_type, payload, extra = _moves(n)[name]
        when += timedelta(hours=1, days=gap_days)
        extra = {"unit": "48", **extra}
        if stale_guess == 6:
            extra["expected_version"] = max(0, h.state.version - 1)
        h.submit(agency, event_type, payload, when=when, **extra)
    check_invariants(h)
    accepted = sum(d.event is not None for d in h.decisions)
    event("accepted events: " + ("0" if not accepted else "1-4" if accepted < 5 else "5+"))


def check_invariants(h: History) -> None:
    rules, registry = default_rules(), default_registry()
    accepted = [d for d in h.decisions if d.event is not None]
    closed = False
    identified = determined_not_victim = False
    one_offs: set[tuple[str, str]] = set()
    merged_one_offs: dict[str, set[str]] = {}  # active merge id -> one-offs paid under its merged refs
    consents: dict[str, set[str]] = {}
    for number, decision in enumerate(accepted, start=1):
        event, env = decision.event, decision.event["envelope"]
        event_type = env["event_type"]
        on = (env["occurred_at"] + timedelta(hours=7)).date()
        # the log: gap-free versions, each event chained to the hash of the previous one
        assert env["case_version"] == number
        previous = accepted[number - 2].data if number > 1 else None
        assert env["prev_event_hash"] == (hashlib.sha256(previous).hexdigest() if previous else None)
        # an emitter within its mandate on the day
        agency = registry.get(env["emitter_agency_code"])
        assert rules.mandate_for(agency.agency_type, agency.level, event_type, on) is not None
        # a closed case accepts nothing but its reopening and data-rights events
        if closed:
            assert event_type in lc.ALLOWED_WHEN_CLOSED, event_type
        closed = (closed or event_type == "CaseClosed") and event_type != "CaseReopened"
        # a certificate only after status victim; no support after "not a victim"
        if event_type == "VictimCertificateIssued":
            assert identified
        if event_type == "VictimStatusDetermined":
            identified = event["status"] == "victim"
            determined_not_victim = event["status"] == "not_victim"
        support_type = (
            event.get("support_type") if event_type == "SupportPaid" else lc.SUPPORT_OF_EVENT.get(event_type)
        )
        if support_type and env["subject_person_ref"] == "P-1":
            assert not determined_not_victim
            row = rules.entitlement(support_type, "victim", env["legal_regime"], on)
            if row and row.one_off:
                assert (env["subject_person_ref"], support_type) not in one_offs, "a one-off paid twice"
                assert not any(support_type in paid for paid in merged_one_offs.values()), (
                    "paid under a merge"
                )
                one_offs.add((env["subject_person_ref"], support_type))
        # a merge carries the one-offs paid under the merged refs until it is undone
        if event_type == "PersonsMerged":
            merged_one_offs[event["merge_id"]] = {o["support_type"] for o in event["merged_one_offs"]}
        elif event_type == "PersonsUnmerged":
            merged_one_offs.pop(event["merge_id"], None)
        # essential needs at the rate in force, item by item, or with an approved exception
        if event_type == "EssentialNeedsProvided" and not event.get("exception_ref"):
            prices = {r.item: r for r in rules.rates_for("48", "essential_needs", on)}
            assert {r.rate_table_id for r in prices.values()} == {event["rate_ref"]}
            expected = sum(prices[i["item_code"]].amount_vnd * i["quantity"] for i in event["items"])
            assert event["amount_vnd"] == expected
        # the amount matches the rate in force, or carries an approved exception
        if event_type == "SupportPaid" and not event.get("exception_ref"):
            rates = [
                r
                for r in rules.rates_for("48", support_type, on)
                if r.rate_table_id == event["rate_table_id"]
            ]
            assert any(event["amount_vnd"] == r.amount_vnd * (event.get("units") or 1) for r in rates)
        # a referral needs live consent covering its addressee, or a recorded lawful basis
        if event_type == "ConsentRecorded":
            consents[event["consent_id"]] = set(event["scope_agency_codes"])
        elif event_type == "ConsentWithdrawn":
            consents.pop(event["consent_id"], None)
        elif event_type == "ReferralSent" and not event.get("lawful_basis_code"):
            scope = consents.get(event.get("consent_ref") or "")
            assert scope is not None and (not scope or event["to_agency_code"] in scope)
    # every submission got exactly one outcome
    assert all((d.event is not None) + (d.refusal is not None) + d.is_duplicate == 1 for d in h.decisions)
