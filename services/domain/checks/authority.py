"""Who is asking: an agency active on the day, about a real unit, within its mandate and jurisdiction."""

from __future__ import annotations

from lienthong import places
from lienthong.domain.checks._facts import facts
from lienthong.domain.context import Context
from lienthong.domain.model import Refusal
from lienthong.domain.refusals import refuse


def agency_active(ctx: Context) -> Refusal | None:
    if ctx.registry.active_on(ctx.agency.code, ctx.on):
        return None
    successor = ctx.registry.successor_on(ctx.agency.code, ctx.on)
    name = successor.code if successor else None
    return refuse(
        "agency_inactive",
        field="emitter_agency_code",
        successor_vi=f"; đơn vị kế nhiệm: {name}" if name else "",
        successor_en=f"; its successor is {name}" if name else "",
        **facts(ctx),
    )


def unit_valid(ctx: Context) -> Refusal | None:
    code = ctx.sub.admin_unit_code
    if code == places.NATIONAL or places.unit(code, on=ctx.on) is not None:
        return None
    return refuse(
        "invalid_field",
        field="admin_unit_code",
        rule=f"is not an administrative unit in force on {ctx.on.isoformat()}",
    )


def mandate_and_jurisdiction(ctx: Context) -> Refusal | None:
    a = ctx.agency
    row = ctx.mandate()
    if row is None or not row.granted:
        return refuse("outside_mandate", agency_type=a.agency_type, level=a.level, **facts(ctx))
    unit = ctx.sub.admin_unit_code
    if row.jurisdiction == "own_unit":
        inside = places.within(unit, a.jurisdiction)
    elif row.jurisdiction == "own_province":
        home = places.current_province_of(a.jurisdiction)
        inside = home is not None and places.current_province_of(unit) == home
    else:  # national, abroad
        inside = True
    if inside or a.jurisdiction == places.NATIONAL:
        return None
    return refuse(
        "outside_jurisdiction",
        field="admin_unit_code",
        unit=unit,
        scope=row.jurisdiction,
        legal_basis=row.legal_basis,
        **facts(ctx),
    )
