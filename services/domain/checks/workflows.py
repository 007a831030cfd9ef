"""Referrals, transfers, support applications and consents: each moves through its own states."""

from __future__ import annotations

from lienthong.domain.checks._facts import facts
from lienthong.domain.context import Context
from lienthong.domain.model import Refusal
from lienthong.domain.refusals import refuse


def _state_refusal(ctx: Context, what: str, ref: str, state: str) -> Refusal:
    return refuse("workflow_state", what=what, ref=ref, state=state, **facts(ctx))


def referral(ctx: Context) -> Refusal | None:
    event_type, p, state = ctx.event_type, ctx.payload, ctx.state
    if event_type == "ReferralSent":
        if p["referral_id"] in state.referrals:
            return refuse("duplicate_id", field="payload.referral_id", ref=p["referral_id"], **facts(ctx))
        consent = state.consents.get(p.get("consent_ref") or ctx.sub.consent_ref or "")
        if p.get("lawful_basis_code") or (consent and consent.covers(p["to_agency_code"], ctx.at)):
            return None
        return refuse("no_consent", field="payload.consent_ref", to_agency=p["to_agency_code"], **facts(ctx))
    if not event_type.startswith("Referral"):
        return None
    found = state.referrals.get(p["referral_id"])
    if found is None:
        return refuse(
            "unknown_referral", field="payload.referral_id", referral_id=p["referral_id"], **facts(ctx)
        )
    allowed_from = {
        "ReferralAccepted": {"sent"},
        "ReferralRejected": {"sent"},
        "ReferralCompleted": {"accepted"},
        "ReferralRevoked": {"sent", "accepted"},
    }[event_type]
    if found.status not in allowed_from:
        return _state_refusal(ctx, "Chuyển tuyến / referral", found.referral_id, found.status)
    actor = found.from_agency_code if event_type == "ReferralRevoked" else found.to_agency_code
    if ctx.agency.code != actor:
        return refuse(
            "referral_not_addressed_to_emitter", referral_id=found.referral_id, to_agency=actor, **facts(ctx)
        )
    return None


def transfer(ctx: Context) -> Refusal | None:
    event_type, p, state = ctx.event_type, ctx.payload, ctx.state
    if event_type == "CaseTransferRequested":
        if p["transfer_id"] in state.transfers:
            return refuse("duplicate_id", field="payload.transfer_id", ref=p["transfer_id"], **facts(ctx))
        return None
    if event_type not in ("CaseTransferAccepted", "CaseTransferRejected"):
        return None
    found = state.transfers.get(p["transfer_id"])
    if found is None or found.status != "requested":
        return _state_refusal(
            ctx, "Chuyển hồ sơ / transfer", p["transfer_id"], found.status if found else "unknown"
        )
    if ctx.agency.code != found.to_agency_code:
        return refuse(
            "referral_not_addressed_to_emitter",
            referral_id=found.transfer_id,
            to_agency=found.to_agency_code,
            **facts(ctx),
        )
    return None


_APPLICATION_STEPS = {
    "SupportApplicationCertified": {"submitted"},
    "SupportApproved": {"certified"},
    "SupportRejected": {"submitted", "certified"},
}


def application(ctx: Context) -> Refusal | None:
    event_type, p, state = ctx.event_type, ctx.payload, ctx.state
    if event_type == "SupportApplicationSubmitted":
        if p["application_id"] in state.applications:
            return refuse(
                "duplicate_id", field="payload.application_id", ref=p["application_id"], **facts(ctx)
            )
        return None
    steps = _APPLICATION_STEPS.get(event_type)
    if steps is None:
        return None
    found = state.applications.get(p["application_id"])
    if found is None or found.status not in steps:
        return _state_refusal(
            ctx,
            "Hồ sơ đề nghị hỗ trợ / application",
            p["application_id"],
            found.status if found else "unknown",
        )
    return None


def consent(ctx: Context) -> Refusal | None:
    p, state = ctx.payload, ctx.state
    if ctx.event_type == "ConsentRecorded" and p["consent_id"] in state.consents:
        return refuse("duplicate_id", field="payload.consent_id", ref=p["consent_id"], **facts(ctx))
    if ctx.event_type == "ConsentWithdrawn":
        found = state.consents.get(p["consent_id"])
        if found is None or found.withdrawn:
            return _state_refusal(
                ctx, "Sự đồng ý / consent", p["consent_id"], "withdrawn" if found else "unknown"
            )
    return None
