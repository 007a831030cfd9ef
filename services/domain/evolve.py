"""evolve(case_state, event) -> case_state. Applies one recorded fact; never refuses anything.

The state is updated in place and returned: one decider owns each case (one writer per partition),
so copying the state on every event would only cost time.
"""

from __future__ import annotations

from typing import Any

from lienthong.domain import lifecycle as lc
from lienthong.domain.model import CaseState, Outcome, Referral, Refusal


def evolve(state: CaseState, event: dict[str, Any], event_hash: str) -> CaseState:
    env = event["envelope"]
    event_type = env["event_type"]
    state.version = env["case_version"]
    state.last_hash = event_hash
    state.outcomes[env["submission_id"]] = Outcome(True, env["event_id"], env["case_version"])
    if state.opened_by is None:
        state.opened_by = env["emitter_agency_code"]
        state.admin_unit_code = env["admin_unit_code"]
    if env.get("subject_person_ref") and state.person_ref is None:
        state.person_ref = env["subject_person_ref"]
    state.status = lc.next_status(state.status, event_type, event)
    if event_type == "ReferralSent":
        state.referrals[event["referral_id"]] = Referral(event["referral_id"], event["to_agency_code"])
    elif event_type == "ReferralAccepted":
        state.referrals[event["referral_id"]].status = "accepted"
    elif event_type == "CaseClosed":
        state.closed = True
    return state


def evolve_rejection(state: CaseState, submission_id: str, refusal: Refusal) -> CaseState:
    """A refusal changes nothing but the memory of the submission id's first outcome."""
    state.outcomes[submission_id] = Outcome(False, refusal_code=refusal.code)
    return state
