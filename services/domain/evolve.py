"""evolve(case_state, event) -> case_state. Applies one recorded fact; never refuses anything.

The state is updated in place and returned: one decider owns each case (one writer per partition),
so copying the state on every event would only cost time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lienthong.domain import lifecycle as lc
from lienthong.domain.model import (
    Application,
    CaseState,
    Consent,
    Outcome,
    PersonState,
    Referral,
    Refusal,
    Transfer,
)
from lienthong.rules import default_rules

_VIETNAM = timedelta(hours=7)


def evolve(state: CaseState, event: dict[str, Any], event_hash: str) -> CaseState:
    env = event["envelope"]
    event_type = env["event_type"]
    on = (env["occurred_at"] + _VIETNAM).date()
    state.version = env["case_version"]
    state.last_hash = event_hash
    state.event_ids.add(env["event_id"])
    state.outcomes[env["submission_id"]] = Outcome(True, env["event_id"], env["case_version"])
    if state.opened_by is None:
        state.opened_by = env["emitter_agency_code"]
        state.admin_unit_code = env["admin_unit_code"]
        state.kind = "stream" if event_type in lc.STREAM_EVENTS else "case"
        state.status = lc.TIP
    ref = env.get("subject_person_ref")
    person = state.persons.get(ref) if ref else None
    if ref and person is None and event_type not in ("PersonsMerged", "PersonsUnmerged"):
        person = state.persons[ref] = PersonState(ref, "subject", lc.TIP, on)
        state.person_ref = state.person_ref or ref
    if person is not None:
        _evolve_person(person, event_type, event, on, env)
        if ref == state.person_ref:
            state.status = person.status
    _evolve_case(state, event_type, event, env)
    return state


def _evolve_person(person: PersonState, event_type: str, event: dict, on, env: dict) -> None:
    person.status = lc.next_status(person.status, event_type, event)
    if event_type in ("ReceptionRegistered", "VictimHandoverReceived") and person.received_on is None:
        person.received_on = on
    elif event_type == "VictimStatusDetermined" and event["status"] == "victim":
        person.identified_on = on
        person.regime = default_rules().regime_for_person(on, person.first_reported_on)
    elif event_type == "ShelterStayExtended":
        person.extension_days += event["extension_days"]
    elif event_type == "AdmittedToFacility":
        person.in_facility = True
    elif event_type == "DischargedFromFacility":
        person.in_facility = False
    elif event_type == "ReturnedToResidenceConfirmed":
        person.returned_to_residence = True
    elif event_type == "SupportApplicationSubmitted" and event.get("poor_household_flag"):
        person.poor_household = True
    elif event_type == "SupportRefused":
        person.refused.add(event["support_type"])
    support_type = (
        event["support_type"] if event_type == "SupportPaid" else lc.SUPPORT_OF_EVENT.get(event_type)
    )
    if support_type and _one_off(support_type, person, env, on):
        person.one_offs.add(support_type)


def _one_off(support_type: str, person: PersonState, env: dict, on) -> bool:
    status = lc.entitlement_status(person.status, env["legal_regime"])
    row = default_rules().entitlement(support_type, status, env["legal_regime"], on) if status else None
    return bool(row and row.one_off)


def _evolve_case(state: CaseState, event_type: str, event: dict, env: dict) -> None:
    if event_type == "TipForwarded":
        state.tip_forwarded_to.add(event["target_agency_code"])
    elif event_type == "AccompanyingMinorLinked":
        adult = state.persons.get(event["adult_person_ref"])
        state.persons[event["minor_person_ref"]] = PersonState(
            event["minor_person_ref"],
            lc.ACCOMPANYING_MINOR,
            lc.ACCOMPANYING_MINOR,
            adult.first_reported_on if adult else (env["occurred_at"] + _VIETNAM).date(),
            adult_ref=event["adult_person_ref"],
        )
    elif event_type == "ReferralSent":
        state.referrals[event["referral_id"]] = Referral(
            event["referral_id"], event["to_agency_code"], env["emitter_agency_code"]
        )
    elif event_type in _REFERRAL_STATUS:
        state.referrals[event["referral_id"]].status = _REFERRAL_STATUS[event_type]
    elif event_type == "CaseTransferRequested":
        state.transfers[event["transfer_id"]] = Transfer(
            event["transfer_id"], event["from_agency_code"], event["to_agency_code"]
        )
    elif event_type in ("CaseTransferAccepted", "CaseTransferRejected"):
        state.transfers[event["transfer_id"]].status = (
            "accepted" if event_type.endswith("Accepted") else "rejected"
        )
    elif event_type == "SupportApplicationSubmitted":
        state.applications[event["application_id"]] = Application(
            event["application_id"],
            event["support_type"],
            env.get("subject_person_ref"),
            event["submitted_on"],
        )
    elif event_type in _APPLICATION_STATUS:
        state.applications[event["application_id"]].status = _APPLICATION_STATUS[event_type]
    elif event_type == "ConsentRecorded":
        state.consents[event["consent_id"]] = Consent(
            event["consent_id"], frozenset(event["scope_agency_codes"]), event.get("valid_until")
        )
    elif event_type == "ConsentWithdrawn":
        state.consents[event["consent_id"]].withdrawn = True
    elif event_type == "PersonsMerged":
        state.merges[event["merge_id"]] = frozenset(event["merged_person_refs"])
    elif event_type == "PersonsUnmerged":
        state.merges.pop(event["merge_id"], None)
    elif event_type == "CaseClosed":
        state.closed = True
    elif event_type == "CaseReopened":
        state.closed = False


_REFERRAL_STATUS = {
    "ReferralAccepted": "accepted",
    "ReferralRejected": "rejected",
    "ReferralCompleted": "completed",
    "ReferralRevoked": "revoked",
}
_APPLICATION_STATUS = {
    "SupportApplicationCertified": "certified",
    "SupportApproved": "approved",
    "SupportRejected": "rejected",
}


def evolve_rejection(state: CaseState, submission_id: str, refusal: Refusal) -> CaseState:
    """A refusal changes nothing but the memory of the submission id's first outcome."""
    state.outcomes[submission_id] = Outcome(False, refusal_code=refusal.code)
    return state
