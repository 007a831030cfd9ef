"""The facts every refusal message may name."""

from __future__ import annotations

from lienthong.domain.context import Context
from lienthong.domain.lifecycle import STATUS_LABELS


def facts(ctx: Context, **more: object) -> dict[str, object]:
    return {
        "event_type": ctx.event_type,
        "case_id": ctx.sub.case_id,
        "emitter": ctx.agency.code,
        "on": ctx.on.isoformat(),
        **more,
    }


def status_facts(status: str | None, prefix: str = "status") -> dict[str, str]:
    vi, en = STATUS_LABELS.get(status or "", (status or "?", status or "?"))
    return {f"{prefix}_vi": vi, f"{prefix}_en": en}
