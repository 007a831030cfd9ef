"""The access log read back: who opened, or tried to open, personal data through the agency views.

DOMAIN §f duty 4 (every read of personal data logged: purpose, user, agency) is only half kept if no one
can read the log. Two readers:

* every agency, its own entries: what its officers opened, and what they were refused;
* an inspection body (Thanh tra, agency type ``inspection``), the entries of every agency whose territory
  lies in its own: a provincial inspectorate those of its province (today's map), a national one all.

Entries hold agency codes, officers' pseudonyms, view names, row keys and stated purposes, never personal
data, so reading them is not itself logged. Newest first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import ColumnElement, false, func, select

from lienthong import places
from lienthong.agencies import Agency, Registry
from lienthong.gateway.auth import _msg, current_agency
from lienthong.projections.agency_views import access_log

router = APIRouter(prefix="/v1/access-log", tags=["access log"])
INSPECTION = "inspection"
Outcome = Literal["granted", "denied_type", "denied_scope", "not_found", "no_purpose"]


@router.get("")
def read_access_log(
    request: Request,
    view: str | None = Query(None, description="Only reads of this view"),
    row_key: str | None = Query(None, description="Only reads of this row (a case id, for most views)"),
    outcome: Outcome | None = Query(None, description="Only this outcome"),
    reader: str | None = Query(None, description="Only reads by this agency code (within your scope)"),
    since: datetime | None = Query(None, description="From this time on (ISO 8601, with offset)"),
    until: datetime | None = Query(None, description="Before this time (ISO 8601, with offset)"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    agency: Agency = Depends(current_agency),
) -> dict[str, Any]:
    """The access-log entries in the caller's scope, newest first."""
    services = request.app.state.services
    log = access_log.access_log
    scope, jurisdiction, condition = _scope(agency, services.registry)
    conditions = [condition]
    for column, wanted in ((log.c.view, view), (log.c.row_key, row_key), (log.c.outcome, outcome)):
        if wanted is not None:
            conditions.append(column == wanted)
    if reader is not None:
        conditions.append(log.c.agency_code == reader)
    if since is not None:
        conditions.append(log.c.at >= _stored("since", since))
    if until is not None:
        conditions.append(log.c.at < _stored("until", until))
    query = select(log).where(*conditions).order_by(log.c.id.desc()).limit(limit).offset(offset)
    engine = services.readmodels
    access_log.ensure(engine)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(log).where(*conditions)).scalar_one()
        entries = [dict(r) for r in conn.execute(query).mappings()]
    return {
        "scope": scope,
        "jurisdiction": jurisdiction,
        "total": total,
        "limit": limit,
        "offset": offset,
        "entries": entries,
    }


def _scope(agency: Agency, registry: Registry) -> tuple[str, str, ColumnElement[bool]]:
    """(scope, jurisdiction, the SQL condition on the entries' agency code) for the caller."""
    column = access_log.access_log.c.agency_code
    if agency.agency_type != INSPECTION:
        return "own_agency", agency.code, column == agency.code
    if agency.jurisdiction == places.NATIONAL:
        return "national", places.NATIONAL, column.is_not(None)
    province = places.current_province_of(agency.jurisdiction)
    if province is None:
        return "own_province", agency.jurisdiction, false()
    inside = [a.code for a in registry if places.current_province_of(a.jurisdiction) == province]
    return "own_province", province, column.in_(inside)


def _stored(field: str, at: datetime) -> str:
    """A time as the log stores it (UTC ISO 8601), so that comparing the strings compares the times."""
    if at.tzinfo is None:  # Vietnam time or UTC? Guessing could hide the very read an inspector looks for
        raise HTTPException(
            422,
            detail={
                **_msg(
                    f"Tham số {field} phải có múi giờ, ví dụ 2026-11-24T09:00:00+07:00.",
                    f"The {field} parameter needs a UTC offset, e.g. 2026-11-24T09:00:00+07:00.",
                ),
                "field": field,
            },
        )
    return at.astimezone(UTC).isoformat()
