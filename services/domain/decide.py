"""decide(case_state, submission) -> event | refusal | duplicate. Pure: no clock, no I/O.

The shell passes the decision time (`recorded_at`), the agency registry and the rules; everything
else comes from the case state, which the shell rebuilt from the log.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from lienthong import places
from lienthong.agencies import Registry
from lienthong.contracts import EVENT_NAMESPACE, PERSONAL_DATA_FIELD, from_json
from lienthong.domain import lifecycle as lc
from lienthong.domain.checks import first_refusal
from lienthong.domain.context import Context
from lienthong.domain.model import CaseState, Decision, Submission, stable_id
from lienthong.domain.refusals import refuse
from lienthong.rules import Rules, default_rules
from lienthong.schemas import Catalogue, ContractError, encode


def decide(
    state: CaseState,
    sub: Submission,
    *,
    registry: Registry,
    recorded_at: datetime,
    rules: Rules | None = None,
    catalogue: Catalogue | None = None,
) -> Decision:
    catalogue = catalogue or Catalogue.default()
    rules = rules or default_rules()
    first = state.outcomes.get(sub.submission_id)
    if first is not None:
        return Decision(duplicate_of=first)
    facts = {"event_type": sub.event_type, "case_id": sub.case_id, "emitter": sub.emitter_agency_code}
    if not catalogue.is_event_type(sub.event_type):
        return Decision(refusal=refuse("unknown_event_type", field="event_type", **facts))
    agency = registry.find(sub.emitter_agency_code)
    if agency is None:
        return Decision(refusal=refuse("unknown_agency", field="emitter_agency_code", **facts))
    schema = catalogue.latest(f"{EVENT_NAMESPACE}.{sub.event_type}")
    try:
        payload = from_json(schema.schema, sub.payload, skip=("envelope",))
    except ContractError as err:
        return Decision(refusal=refuse("invalid_field", field=err.field, rule=err.rule))
    ctx = Context(state, sub, agency, registry, rules, payload)
    refusal = first_refusal(ctx)
    if refusal is not None:
        return Decision(refusal=refusal)

    sealed_field = PERSONAL_DATA_FIELD.get(sub.event_type)
    if sealed_field and sub.sealed_personal_data is not None:
        payload[sealed_field] = sub.sealed_personal_data
    regime = ctx.regime()
    mandate = ctx.mandate()
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
            "legal_basis": sub.legal_basis or (mandate.legal_basis if mandate else "unspecified"),
            "admin_unit_code": sub.admin_unit_code,
            "admin_unit_version": _unit_version(sub.admin_unit_code),
            "subject_person_ref": ctx.subject_ref or _new_person_ref(sub),
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


def _new_person_ref(sub: Submission) -> str | None:
    """A report of a person with no ref yet names a new pseudonymous person, the same in every replay."""
    if sub.event_type not in lc.PERSON_OPENING_EVENTS:
        return None
    return stable_id(f"person\x1f{sub.case_id}\x1f{sub.submission_id}")


def _unit_version(code: str) -> str:
    unit = places.lookup(code)
    return unit.version if unit is not None else places.ADMIN_UNIT_VERSION
