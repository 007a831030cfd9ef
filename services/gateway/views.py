"""The read API over the views, filtered to the caller's jurisdiction on every request."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import select

from lienthong import places
from lienthong.agencies import Agency
from lienthong.gateway.auth import _msg, current_agency
from lienthong.projections.tables import case_register, commune_caseload

router = APIRouter(prefix="/v1", tags=["views"])
# Personal data is sealed in the register; it is not served by this view.
_CASE_COLUMNS = [c for c in case_register.columns if c.name != "sealed_personal_data"]


def _case_scope(agency: Agency):
    if agency.jurisdiction == places.NATIONAL:
        return None
    if len(agency.jurisdiction) == 2:
        return case_register.c.province_code == agency.jurisdiction
    return case_register.c.commune_code == agency.jurisdiction


# The case register is the lead agency's and the commune's working list; every other office reads its
# own need-to-know view under /v1/agency-views.
CASE_REGISTER_READERS = frozenset({"provincial_health", "commune_pc"})


def _require_register_reader(agency: Agency) -> None:
    if agency.agency_type not in CASE_REGISTER_READERS:
        raise HTTPException(
            403,
            detail=_msg(
                "Sổ đăng ký hồ sơ chỉ dành cho Sở Y tế và UBND xã; hãy dùng /v1/agency-views.",
                "The case register is for the Department of Health and commune committees;"
                " use /v1/agency-views.",
            ),
        )


@router.get("/cases")
def list_cases(
    request: Request,
    status: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    agency: Agency = Depends(current_agency),
) -> list[dict[str, Any]]:
    _require_register_reader(agency)
    query = select(*_CASE_COLUMNS)
    scope = _case_scope(agency)
    if scope is not None:
        query = query.where(scope)
    if status:
        query = query.where(case_register.c.status == status)
    query = query.order_by(case_register.c.opened_at, case_register.c.case_id).limit(limit).offset(offset)
    with request.app.state.services.readmodels.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


@router.get("/cases/{case_id}")
def get_case(case_id: str, request: Request, agency: Agency = Depends(current_agency)) -> dict[str, Any]:
    _require_register_reader(agency)
    with request.app.state.services.readmodels.connect() as conn:
        row = (
            conn.execute(select(*_CASE_COLUMNS).where(case_register.c.case_id == case_id)).mappings().first()
        )
    if row is None:
        raise HTTPException(404, detail=_msg("Không có hồ sơ này.", "No such case."))
    unit = row["commune_code"] or row["province_code"] or ""
    if not places.within(unit, agency.jurisdiction):
        raise HTTPException(
            403,
            detail=_msg(
                "Hồ sơ nằm ngoài địa bàn của đơn vị.", "The case is outside your agency's jurisdiction."
            ),
        )
    return dict(row)


@router.get("/views/commune-caseload")
def caseload(request: Request, agency: Agency = Depends(current_agency)) -> list[dict[str, Any]]:
    query = select(commune_caseload).order_by(commune_caseload.c.unit_code)
    if agency.jurisdiction != places.NATIONAL:
        if len(agency.jurisdiction) == 2:
            query = query.where(commune_caseload.c.province_code == agency.jurisdiction)
        else:
            query = query.where(commune_caseload.c.unit_code == agency.jurisdiction)
    with request.app.state.services.readmodels.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
