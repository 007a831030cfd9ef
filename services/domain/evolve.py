"""evolve(case_state, event) -> case_state. Applies one recorded fact; never refuses anything.

The state is updated in place and returned: one decider owns each case (one writer per partition),
so copying the state on every event would only cost time.

What evolve derives from the rules (a person's regime when identified, whether a support was a one-off)
must be read from the same rules decide() judged with, or a replay would disagree with the decisions: every
caller passes the `rules` it passes to decide() (None: the packaged rules, as in decide()).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from lienthong import places
from lienthong.domain import lifecycle as lc
from lienthong.domain.model import (
    Application,
    CaseState,
    Consent,
    Merge,
    OneOffPaid,
    Outcome,
    PersonState,
    Referral,
    Refusal,
    Transfer,
)
from lienthong.rules import Rules, default_rules, vocabulary

_VIETNAM = timedelta(hours=7)


def evolve(
    state: CaseState, event: dict[str, Any], event_hash: str, *, rules: Rules | None = None
) -> CaseState:
    rules = rules or default_rules()
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
        _evolve_person(person, event_type, event, on, env, rules)
        if ref == state.person_ref:
            state.status = person.status
    _evolve_case(state, event_type, event, env)
    return state


def _evolve_person(
    person: PersonState, event_type: str, event: dict, on: date, env: dict, rules: Rules
) -> None:
    person.status = lc.next_status(person.status, event_type, event)
    if event_type in ("ReceptionRegistered", "VictimHandoverReceived") and person.received_on is None:
        person.received_on = on
    elif event_type == "VictimStatusDetermined" and event["status"] == "victim":
        person.identified_on = on
        person.regime = rules.regime_for_person(on, person.first_reported_on)
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
    if support_type and _one_off(support_type, person, env, on, rules):
        person.one_offs[support_type] = on


def _one_off(support_type: str, person: PersonState, env: dict, on: date, rules: Rules) -> bool:
    """Read as the decider's `entitled` check read it: same regime, status and province overlay."""
    if env["emitter_agency_type"] == "mission" and support_type == "essential_needs":
        support_type = "essential_needs_abroad"
    status = lc.entitlement_status(person.status, env["legal_regime"])
    if status is None or support_type not in vocabulary.SUPPORT_TYPES:
        return False
    province = places.current_province_of(env["admin_unit_code"])
    row = rules.entitlement(support_type, status, env["legal_regime"], on, province=province)
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
        state.merges[event["merge_id"]] = _merge(event)
    elif event_type == "PersonsUnmerged":
        _unmerge(state, event)
    elif event_type == "CaseClosed":
        state.closed = True
    elif event_type == "CaseReopened":
        state.closed = False


def _merge(event: dict) -> Merge:
    # v1 records are read as v2 (the codec resolves to the latest version): merged_one_offs is then [].
    one_offs = tuple(
        OneOffPaid(o["paid_person_ref"], o["support_type"], o["paid_on"], o["case_id"], o.get("event_id"))
        for o in event.get("merged_one_offs") or ()
    )
    return Merge(
        event["merge_id"], event["surviving_person_ref"], frozenset(event["merged_person_refs"]), one_offs
    )


def _unmerge(state: CaseState, event: dict) -> None:
    """Split off the restored refs (all of them when none are named), with the one-offs paid to them."""
    merge = state.merges.pop(event["merge_id"], None)
    if merge is None:
        return
    restored = frozenset(event["restored_person_refs"]) or merge.merged_refs
    left = merge.without(restored)
    if left is not None:
        state.merges[merge.merge_id] = left


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
