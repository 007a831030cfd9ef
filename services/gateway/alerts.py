"""Deadlines and alerts, per responsible office (issue #4).

GET /v1/alerts            the caller's obligations, overdue first; `scope=province` for a provincial lead
                          agency (Sở Y tế; Sở LĐTBXH before 2025-03-01) lists every office in its province
GET /v1/alerts/summary    counts per kind and status; for a provincial lead agency also per office

`at` asks "as of" a date (its last instant, Vietnam time) or a timestamp with an offset; lateness is decided
here, never stored (see lienthong.projections.alerts.status). Alerts carry references only: case ids,
pseudonymous person refs and agency codes, no personal data.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import or_, select

from lienthong import places
from lienthong.agencies import Agency
from lienthong.gateway.auth import _msg, current_agency
from lienthong.projections.alerts import kinds, status
from lienthong.projections.alerts.tables import obligations

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

# Agency types that lead reception and support in a province and so oversee every office's clocks there.
PROVINCIAL_LEADS = frozenset({"provincial_health", "provincial_labour"})
_INTERNAL = {"match_key", "satisfied_by"}  # how the view matches answers; not part of the alert
_UNITS = {
    "days": ("ngày", "days"),
    "working_days": ("ngày làm việc", "working days"),
    "hours": ("giờ", "hours"),
    "months": ("tháng", "months"),
}
_AT_DOC = "As of: YYYY-MM-DD (the end of that day, Vietnam time) or a timestamp with its offset; default now"


@router.get("")
def list_alerts(
    request: Request,
    at: str | None = Query(None, description=_AT_DOC),
    scope: str = Query("own", pattern="^(own|province)$"),
    office: str | None = Query(None, description="Province scope only: one responsible office"),
    kind: str | None = None,
    status_: list[str] | None = Query(None, alias="status", description="overdue, open, late, met, lifted"),
    limit: int = Query(200, ge=1, le=2000),
    offset: int = Query(0, ge=0),
    agency: Agency = Depends(current_agency),
) -> dict[str, Any]:
    when = _as_of(at)
    rows = _rows(request, agency, when, scope=scope, office=office, kind=kind)
    if status_:
        unknown = sorted(set(status_) - set(status.STATUSES))
        if unknown:
            raise HTTPException(
                422,
                detail=_msg(
                    f"Trạng thái không hợp lệ: {unknown}; dùng {list(status.STATUSES)}.",
                    f"Unknown status {unknown}; use {list(status.STATUSES)}.",
                ),
            )
        rows = [r for r in rows if r["status"] in status_]
    rows.sort(key=status.sort_key)
    return {
        "at": when.isoformat(),
        "agency_code": agency.code,
        "scope": scope,
        "total": len(rows),
        "alerts": [_alert(r) for r in rows[offset : offset + limit]],
    }


@router.get("/summary")
def summary(
    request: Request,
    at: str | None = Query(None, description=_AT_DOC),
    agency: Agency = Depends(current_agency),
) -> dict[str, Any]:
    when = _as_of(at)
    lead = _is_lead(agency)
    rows = _rows(request, agency, when, scope="province" if lead else "own")
    out: dict[str, Any] = {
        "at": when.isoformat(),
        "agency_code": agency.code,
        "scope": "province" if lead else "own",
        "by_kind": _counts(rows),
    }
    if lead:
        registry = request.app.state.services.registry
        offices: dict[str | None, list[dict[str, Any]]] = {}
        for row in rows:
            offices.setdefault(row["responsible_agency_code"], []).append(row)
        out["by_office"] = [
            {
                "responsible_agency_code": code,
                "responsible_agency_type": found[0]["responsible_agency_type"],
                **_names(registry, code),
                "totals": dict(_tally(found)),
                "by_kind": _counts(found),
            }
            for code, found in sorted(offices.items(), key=lambda item: item[0] or "")
        ]
    return out


# -- helpers -----------------------------------------------------------------------------------------


def _as_of(value: str | None) -> datetime:
    try:
        return status.as_of(value, datetime.now(UTC))
    except ValueError as err:
        raise HTTPException(
            422,
            detail={
                **_msg(f"Tham số at không hợp lệ: {err}", f"Invalid at: {err}"),
                "field": "at",
            },
        ) from None


def _is_lead(agency: Agency) -> bool:
    return agency.agency_type in PROVINCIAL_LEADS and agency.level == "P"


def _rows(
    request: Request,
    agency: Agency,
    when: datetime,
    *,
    scope: str,
    office: str | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """The caller's obligations (or its province's), each as it stood at `when`."""
    query = select(obligations).where(obligations.c.started_at <= when)
    own = obligations.c.responsible_agency_code == agency.code
    if scope == "province":
        if not _is_lead(agency):
            raise HTTPException(
                403,
                detail=_msg(
                    "Chỉ cơ quan chủ trì cấp tỉnh (Sở Y tế) xem được cảnh báo của các đơn vị trong tỉnh.",
                    "Only a provincial lead agency (the health department) sees every office's alerts.",
                ),
            )
        province = places.current_province_of(agency.jurisdiction) or agency.jurisdiction
        query = query.where(or_(obligations.c.province_code == province, own))
        if office:
            query = query.where(obligations.c.responsible_agency_code == office)
    else:
        if office and office != agency.code:
            raise HTTPException(
                403,
                detail=_msg(
                    "Đơn vị chỉ xem được cảnh báo của chính mình.", "An office sees only its own alerts."
                ),
            )
        query = query.where(own)
    if kind:
        query = query.where(obligations.c.kind == kind)
    with request.app.state.services.readmodels.connect() as conn:
        found = [dict(r) for r in conn.execute(query).mappings()]
    return [row for r in found if (row := status.evaluate(r, when)) is not None]


def _alert(row: dict[str, Any]) -> dict[str, Any]:
    label_vi, label_en = kinds.label(row["kind"])
    unit_vi, unit_en = _UNITS.get(row["period_unit"] or "", (None, None))
    value = row["period_value"]
    out = {k: v for k, v in row.items() if k not in _INTERNAL}
    out.update(
        kind_label_vi=label_vi,
        kind_label_en=label_en,
        period_vi=f"{value} {unit_vi}" if value is not None else None,
        period_en=f"{value} {unit_en}" if value is not None else None,
    )
    for field in ("started_at", "due_at", "satisfied_at", "lifted_at"):
        if out[field] is not None:
            out[field] = out[field].isoformat()
    return out


def _tally(rows: list[dict[str, Any]]) -> Counter:
    counts: Counter = Counter({s: 0 for s in status.STATUSES})
    counts.update(r["status"] for r in rows)
    counts["total"] = len(rows)
    return counts


def _counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_kind.setdefault(row["kind"], []).append(row)
    out = []
    for name, found in sorted(by_kind.items()):
        label_vi, label_en = kinds.label(name)
        out.append({"kind": name, "kind_label_vi": label_vi, "kind_label_en": label_en, **_tally(found)})
    return out


def _names(registry, code: str | None) -> dict[str, str | None]:
    agency = registry.find(code) if code else None
    return {
        "name_vi": agency.name_vi if agency else None,
        "name_en": agency.name_en if agency else None,
    }
