"""May this support be given: an entitled status under the person's regime, within its period and
conditions, not refused, a one-off only once, and paid at the rate in force (or an approved exception)."""

from __future__ import annotations

from datetime import timedelta

from lienthong.domain import lifecycle as lc
from lienthong.domain.checks._facts import facts, status_facts
from lienthong.domain.context import Context
from lienthong.domain.model import Refusal
from lienthong.domain.refusals import refuse
from lienthong.rules import vocabulary

_REQUIREMENT_TEXT = {
    "poor_household": ("thuộc hộ nghèo", "from a poor household"),
    "in_facility": ("đang ở cơ sở hỗ trợ", "staying in a support facility"),
    "returned_to_residence": ("đã trở về nơi cư trú", "returned to their residence"),
    "financial_difficulty": ("có khó khăn về tài chính", "in financial difficulty"),
    "without_means": ("không có khả năng chi trả", "without means"),
    "uninsured": ("chưa có bảo hiểm y tế", "uninsured"),
}
# Conditions the log itself can show; the others are the paying agency's to establish.
_KNOWN_FROM_LOG = {"poor_household", "in_facility", "returned_to_residence"}


def support_type_of(ctx: Context) -> str | None:
    if ctx.event_type == "SupportPaid":
        return ctx.payload["support_type"]
    return lc.SUPPORT_OF_EVENT.get(ctx.event_type)


def entitled(ctx: Context) -> Refusal | None:
    support_type = support_type_of(ctx)
    if support_type is None:
        return None
    if support_type not in vocabulary.SUPPORT_TYPES:
        return refuse(
            "invalid_field",
            field="payload.support_type",
            rule=f"must be one of {', '.join(sorted(vocabulary.SUPPORT_TYPES))}",
        )
    if ctx.event_type == "EssentialNeedsProvided" and ctx.agency.agency_type == "mission":
        support_type = "essential_needs_abroad"
    person = ctx.subject
    if person is None:
        return refuse("no_person", **facts(ctx))
    if support_type in person.refused or "all" in person.refused:
        return refuse("support_refused_by_person", support_type=support_type, **facts(ctx))
    regime = ctx.regime()
    status = lc.entitlement_status(person.status, regime)
    row = (
        ctx.rules.entitlement(support_type, status, regime, ctx.on, province=ctx.province) if status else None
    )
    if row is None:
        return refuse(
            "not_entitled",
            support_type=support_type,
            regime=regime,
            **status_facts(person.status),
            **facts(ctx),
        )
    for requirement in sorted(row.requires & _KNOWN_FROM_LOG):
        if not getattr(person, requirement):
            vi, en = _REQUIREMENT_TEXT[requirement]
            return refuse(
                "requirement_missing",
                support_type=support_type,
                requirement_vi=vi,
                requirement_en=en,
                legal_basis=row.legal_basis,
                **facts(ctx),
            )
    if row.max_days is not None:
        since = person.received_on or person.first_reported_on
        if ctx.on > since + timedelta(days=row.max_days + person.extension_days):
            return refuse(
                "entitlement_expired",
                support_type=support_type,
                max_days=row.max_days,
                since=since.isoformat(),
                legal_basis=row.legal_basis,
                **facts(ctx),
            )
    if row.one_off and support_type in person.one_offs:
        return refuse("already_paid_once", support_type=support_type, **facts(ctx))
    return None


def paid_at_the_rate(ctx: Context) -> Refusal | None:
    if ctx.event_type != "SupportPaid" or ctx.payload.get("exception_ref"):
        return None
    p = ctx.payload
    support_type, province = p["support_type"], ctx.rates_province or ""
    rows = ctx.rules.rates_for(province, support_type, ctx.on)
    if not rows:
        return refuse("no_rate_in_force", province=province, support_type=support_type, **facts(ctx))
    matching = [r for r in rows if r.rate_table_id == p["rate_table_id"]]
    if not matching:
        return refuse(
            "wrong_rate_table",
            field="payload.rate_table_id",
            rate_table_id=p["rate_table_id"],
            support_type=support_type,
            expected_tables=", ".join(sorted({r.rate_table_id for r in rows})),
            **facts(ctx),
        )
    units = p.get("units") or 1
    allowed = []
    for r in matching:
        per_unit = r.unit not in ("one_off", "per_person")
        if per_unit and r.max_units is not None and units > r.max_units:
            continue
        allowed.append(r.amount_vnd * (units if per_unit else 1))
    if p["amount_vnd"] in allowed:
        return None
    expected = (
        " / ".join(f"{a:,} đ" for a in sorted(set(allowed))) or "vượt số đơn vị tối đa / above max units"
    )
    return refuse(
        "rate_mismatch",
        field="payload.amount_vnd",
        amount=f"{p['amount_vnd']:,}",
        rate_table_id=p["rate_table_id"],
        expected_amount=expected,
        **facts(ctx),
    )
