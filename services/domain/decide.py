"""decide(case_state, submission) -> event | refusal | duplicate. Pure: no clock, no I/O.

The shell passes the decision time (`recorded_at`) and the agency registry; everything else comes
from the case state, which the shell rebuilt from the log.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from lienthong import places
from lienthong.agencies import Registry
from lienthong.contracts import EVENT_NAMESPACE, PERSONAL_DATA_FIELD, from_json
from lienthong.domain import lifecycle as lc
from lienthong.domain.model import CaseState, Decision, Submission
from lienthong.domain.refusals import refuse
from lienthong.schemas import Catalogue, ContractError, encode

# Which statuses an event requires, beyond "the case exists, has a person and is open".
_REQUIRED_STATUS: dict[str, frozenset[str]] = {
    "VerificationRequested": frozenset({lc.REPORTED, lc.RECEIVED, lc.IN_IDENTIFICATION}),
    "InitialVerificationCompleted": frozenset({lc.REPORTED, lc.RECEIVED, lc.IN_IDENTIFICATION}),
    "VictimStatusDetermined": frozenset({lc.REPORTED, lc.RECEIVED, lc.IN_IDENTIFICATION}),
    "VictimCertificateIssued": frozenset({lc.IDENTIFIED}),
}
_SUPPORT_EVENTS = frozenset({"SupportPaid"})
_NEEDS_EVENTS = frozenset({"EssentialNeedsProvided"})
# Agency types that may certify victim status (L2011 Art. 24(4), 25; L2024 UNCERTAIN: see DOMAIN §b.2).
_CERTIFIERS = frozenset({"provincial_police", "district_police", "border_guard", "coast_guard", "mission"})


def decide(
    state: CaseState,
    sub: Submission,
    *,
    registry: Registry,
    recorded_at: datetime,
    catalogue: Catalogue | None = None,
) -> Decision:
    catalogue = catalogue or Catalogue.default()
    first = state.outcomes.get(sub.submission_id)
    if first is not None:
        return Decision(duplicate_of=first)

    refusal = _check(state, sub, registry, catalogue)
    if refusal is not None:
        return Decision(refusal=refusal)

    agency = registry.get(sub.emitter_agency_code)
    schema = catalogue.latest(f"{EVENT_NAMESPACE}.{sub.event_type}")
    regime = lc.regime_for(sub.occurred_at)
    try:
        payload = from_json(schema.schema, sub.payload, skip=("envelope",))
    except ContractError as err:
        return Decision(refusal=refuse("invalid_field", field=err.field, rule=err.rule))
    sealed_field = PERSONAL_DATA_FIELD.get(sub.event_type)
    if sealed_field and sub.sealed_personal_data is not None:
        payload[sealed_field] = sub.sealed_personal_data
    event: dict[str, Any] = {
        "envelope": {
            "event_id": sub.event_id(),
            "event_type": sub.event_type,
            "schema_fingerprint": schema.fingerprint_hex,
            "case_id": sub.case_id,
            "case_version": state.version + 1,
            "occurred_at": sub.occurred_at,
            "recorded_at": recorded_at,
            "emitter_agency_code": agency.code,
            "emitter_agency_type": agency.agency_type,
            "emitter_unit_code": agency.unit_code,
            "actor_pseudonym": sub.actor_pseudonym,
            "legal_regime": regime,
            "legal_basis": sub.legal_basis
            or lc.DEFAULT_LEGAL_BASIS.get((sub.event_type, regime), "unspecified"),
            "admin_unit_code": sub.admin_unit_code,
            "admin_unit_version": places.ADMIN_UNIT_VERSION,
            "subject_person_ref": sub.subject_person_ref or state.person_ref,
            "sensitivity": "restricted" if sub.event_type in lc.RESTRICTED_EVENTS else "sensitive",
            "consent_ref": sub.consent_ref,
            "submission_id": sub.submission_id,
            "correlation_id": sub.correlation_id or sub.case_id,
            "causation_id": sub.causation_id,
            "prev_event_hash": state.last_hash,
        },
        **payload,
    }
    try:
        data = encode(schema, event)
    except ContractError as err:
        return Decision(refusal=refuse("invalid_field", field=err.field, rule=err.rule))
    return Decision(event=event, data=data, event_hash=hashlib.sha256(data).hexdigest())


def _check(state: CaseState, sub: Submission, registry: Registry, catalogue: Catalogue):
    facts = {"event_type": sub.event_type, "case_id": sub.case_id, "emitter": sub.emitter_agency_code}
    if sub.event_type not in catalogue.event_types():
        return refuse("unknown_event_type", field="event_type", **facts)
    agency = registry.find(sub.emitter_agency_code)
    if agency is None:
        return refuse("unknown_agency", field="emitter_agency_code", **facts)
    if places.unit(sub.admin_unit_code) is None and sub.admin_unit_code != places.NATIONAL:
        return refuse("invalid_field", field="admin_unit_code", rule="not a current administrative unit code")
    if sub.expected_version is not None and sub.expected_version != state.version:
        return refuse(
            "stale_version",
            field="expected_version",
            expected=sub.expected_version,
            actual=state.version,
            **facts,
        )
    if sub.event_type in lc.OPENING_EVENTS and not state.exists:
        return None
    if not state.exists:
        return refuse("case_not_found", field="case_id", **facts)
    if state.closed:
        return refuse("case_closed", **facts)
    if sub.event_type == "TipReceived":
        return refuse("case_exists", field="case_id", **facts)
    if sub.event_type in lc.OPENING_EVENTS:
        return None  # a later report or reception of the same person enriches the case
    if state.status not in lc.PERSON_STATUSES:
        return refuse("no_person", **facts)
    required = _REQUIRED_STATUS.get(sub.event_type)
    if required is not None and state.status not in required:
        return refuse("wrong_status", required=" | ".join(sorted(required)), status=state.status, **facts)
    if sub.event_type == "VictimCertificateIssued" and agency.agency_type not in _CERTIFIERS:
        return refuse("outside_mandate", agency_type=agency.agency_type, **facts)
    if sub.event_type in _SUPPORT_EVENTS and state.status not in lc.ENTITLED_STATUSES:
        return refuse("not_entitled", status=state.status, **facts)
    if sub.event_type in _NEEDS_EVENTS and state.status == lc.NOT_A_VICTIM:
        return refuse("not_entitled", status=state.status, **facts)
    if sub.event_type == "ReferralAccepted":
        referral_id = str(sub.payload.get("referral_id", ""))
        referral = state.referrals.get(referral_id)
        if referral is None or referral.status != "sent":
            return refuse("unknown_referral", field="payload.referral_id", referral_id=referral_id, **facts)
        if referral.to_agency_code != sub.emitter_agency_code:
            return refuse(
                "referral_not_addressed_to_emitter",
                referral_id=referral_id,
                to_agency=referral.to_agency_code,
                **facts,
            )
    return None
