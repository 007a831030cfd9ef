"""May this support be given: an entitled status under the person's regime, within its period and
conditions, not refused, a one-off only once, and paid at the rate in force (or an approved exception).

A one-off is once per person, not per case. The decider sees one case at a time, so what was paid under a
duplicate ref in another case reaches it only through the merge (PersonsMerged v2, see records.py): the
surviving person's one-offs include those the merge carries, and a merged-away ref receives no support
until the merge is undone.

Amounts are checked against the provincial rate table in force on the day of the fact, in the province of
the time (SupportPaid, EssentialNeedsProvided item by item, TravelCostPaid's meals; tickets are paid at
their price). An approved `exception_ref` stands in for the table. Essential needs given abroad by a
mission follow the Citizen Protection Fund's formula, not a provincial table, and are not rate-checked.
"""

from __future__ import annotations

from datetime import timedelta

from lienthong.domain import lifecycle as lc
from lienthong.domain.checks._facts import facts, status_facts
from lienthong.domain.context import Context
from lienthong.domain.model import Refusal
from lienthong.domain.refusals import refuse
from lienthong.rules import RateRow, vocabulary

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
    merge = ctx.state.merged_away(person.ref)
    if merge is not None:
        return refuse(
            "person_merged_away",
            field="subject_person_ref",
            person=person.ref,
            surviving=merge.surviving_ref,
            merge_id=merge.merge_id,
            **facts(ctx),
        )
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
    if row.one_off:
        return _paid_once(ctx, person.ref, support_type, person.one_offs, row.legal_basis)
    return None


def _paid_once(ctx: Context, ref: str, support_type: str, own: dict, legal_basis: str) -> Refusal | None:
    if support_type in own:
        return refuse("already_paid_once", support_type=support_type, **facts(ctx))
    found = ctx.state.paid_under_merge(ref, support_type)
    if found is None:
        return None
    merge, paid = found
    return refuse(
        "already_paid_under_merge",
        field="payload.support_type" if ctx.event_type == "SupportPaid" else "event_type",
        support_type=support_type,
        paid_on=paid.paid_on.isoformat(),
        merged_person=paid.person_ref,
        paid_case=paid.case_id,
        merge_id=merge.merge_id,
        legal_basis=legal_basis,
        **facts(ctx),
    )


def paid_at_the_rate(ctx: Context) -> Refusal | None:
    check = _RATE_CHECKS.get(ctx.event_type)
    if check is None or ctx.payload.get("exception_ref"):
        return None
    return check(ctx)


def _support_paid(ctx: Context) -> Refusal | None:
    p = ctx.payload
    table = _table(ctx, p["support_type"], p["rate_table_id"], "payload.rate_table_id")
    if isinstance(table, Refusal):
        return table
    units = p.get("units") or 1
    allowed = []
    for r in table:
        per_unit = r.unit not in _ONCE
        if per_unit and r.max_units is not None and units > r.max_units:
            continue
        allowed.append(r.amount_vnd * (units if per_unit else 1))
    return _amount(ctx, p["rate_table_id"], allowed)


def _essential_needs(ctx: Context) -> Refusal | None:
    if ctx.agency.agency_type == "mission":
        return None  # abroad: the Citizen Protection Fund's formula (Circular 84/2019), no provincial table
    p = ctx.payload
    table = _table(ctx, "essential_needs", p["rate_ref"], "payload.rate_ref")
    if isinstance(table, Refusal):
        return table
    prices = {r.item: r for r in table}
    total = 0
    for i, item in enumerate(p["items"]):
        code = vocabulary.RATE_ITEM_ALIASES.get(item["item_code"], item["item_code"])
        row = prices.get(code)
        if row is None:
            return _unpriced(ctx, item["item_code"], f"payload.items[{i}].item_code", p["rate_ref"])
        if row.unit in _ONCE:
            total += row.amount_vnd
        elif row.max_units is not None and item["quantity"] > row.max_units:
            return _amount(ctx, p["rate_ref"], [])
        else:
            total += row.amount_vnd * item["quantity"]
    return _amount(ctx, p["rate_ref"], [total])


def _travel(ctx: Context) -> Refusal | None:
    p = ctx.payload
    table = _table(ctx, "travel_home", p["rate_table_id"], "payload.rate_table_id")
    if isinstance(table, Refusal):
        return table
    meals = next((r for r in table if r.item == "meals"), None)
    if meals is None and p["meal_days"]:
        return _unpriced(ctx, "meals", "payload.meal_days", p["rate_table_id"])
    meal_cost = meals.amount_vnd * p["meal_days"] if meals else 0
    return _amount(ctx, p["rate_table_id"], [p["ticket_amount_vnd"] + meal_cost])


_ONCE = ("one_off", "per_person")
_RATE_CHECKS = {
    "SupportPaid": _support_paid,
    "EssentialNeedsProvided": _essential_needs,
    "TravelCostPaid": _travel,
}


def _table(ctx: Context, support_type: str, table_id: str | None, field: str) -> list[RateRow] | Refusal:
    """The rows of the named table in force for `support_type` on the day, in the province of the time."""
    province = ctx.rates_province or ""
    rows = ctx.rules.rates_for(province, support_type, ctx.on)
    if not rows:
        return refuse("no_rate_in_force", province=province, support_type=support_type, **facts(ctx))
    expected = ", ".join(sorted({r.rate_table_id for r in rows}))
    if table_id is None:
        return refuse(
            "missing_rate_ref", field=field, support_type=support_type, expected_tables=expected, **facts(ctx)
        )
    matching = [r for r in rows if r.rate_table_id == table_id]
    if matching:
        return matching
    return refuse(
        "wrong_rate_table",
        field=field,
        rate_table_id=table_id,
        support_type=support_type,
        expected_tables=expected,
        **facts(ctx),
    )


def _unpriced(ctx: Context, item: str, field: str, table_id: str | None) -> Refusal:
    return refuse(
        "item_not_in_rate_table",
        field=field,
        item=item,
        rate_table_id=table_id,
        support_type=support_type_of(ctx),
        **facts(ctx),
    )


def _amount(ctx: Context, table_id: str | None, allowed: list[int]) -> Refusal | None:
    amount = ctx.payload["amount_vnd"]
    if amount in allowed:
        return None
    expected = (
        " / ".join(f"{a:,} đ" for a in sorted(set(allowed))) or "vượt số đơn vị tối đa / above max units"
    )
    return refuse(
        "rate_mismatch",
        field="payload.amount_vnd",
        amount=f"{amount:,}",
        rate_table_id=table_id,
        expected_amount=expected,
        **facts(ctx),
    )
