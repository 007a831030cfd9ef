"""The read API over the need-to-know agency views (ARCHITECTURE rule 10; DOMAIN §a, §f).

On every request: the caller's agency type must be a reader of the view (else 403), the rows are those
of the caller's jurisdiction under the reader's scope (an SQL condition on the view's indexed scope
column), and only the columns view_access.toml lists are returned. Personal data is opened only on a
single-row read, only for the agency types the view's row allows, only with an X-Purpose header, and
every such request is written to the access log, granted or not.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.sql.sqltypes import Boolean, Integer

from lienthong import places
from lienthong.agencies import Agency
from lienthong.gateway.auth import _msg, current_agency
from lienthong.projections.agency_views import access_log
from lienthong.projections.agency_views._common import ADDRESSEE_ONLY, NATIONAL, OWN_COMMUNE, OWN_PROVINCE
from lienthong.projections.agency_views.access import Reader, ViewAccess, default_access
from lienthong.projections.views.case_register import seal_from_text

router = APIRouter(prefix="/v1/agency-views", tags=["agency views"])
ACCESS = default_access()  # loaded and validated at start: a broken row stops the process, named
PAGING = frozenset({"limit", "offset"})
SCOPE_LABELS = {
    OWN_COMMUNE: ("xã/phường của đơn vị", "your commune"),
    OWN_PROVINCE: ("tỉnh/thành phố của đơn vị", "your province"),
    NATIONAL: ("toàn quốc", "the whole country"),
    ADDRESSEE_ONLY: ("hồ sơ gửi đến chính đơn vị", "records addressed to your agency"),
}


@router.get("")
def list_views(agency: Agency = Depends(current_agency)) -> list[dict[str, Any]]:
    """The views the caller's agency type may read, with its scope, columns and filters."""
    out = []
    for access in ACCESS.values():
        reader = access.reader(agency.agency_type)
        if reader is None:
            continue
        vi, en = SCOPE_LABELS[reader.scope]
        out.append(
            {
                "view": access.name,
                "title_vi": access.title_vi,
                "title_en": access.title_en,
                "scope": reader.scope,
                "scope_vi": vi,
                "scope_en": en,
                "jurisdiction": _scope_value(reader.scope, agency) or places.NATIONAL,
                "columns": list(access.columns),
                "filters": list(access.filters),
                "personal_data": access.may_open_personal_data(agency.agency_type),
                "source": reader.source,
            }
        )
    return out


@router.get("/{view}")
def list_rows(
    view: str,
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    agency: Agency = Depends(current_agency),
) -> dict[str, Any]:
    """Rows of the view in the caller's jurisdiction; `?column=value` filters on the view's filters."""
    access, reader = _authorise(view, agency)
    spec = access.spec
    table = spec.table
    conditions = [_scope_condition(access, reader, agency), *_filters(access, request)]
    if spec.visible:
        conditions.append(table.c[spec.visible].is_(True))
    columns = [table.c[name] for name in access.columns]
    query = select(*columns).where(*conditions).order_by(table.c[spec.key]).limit(limit).offset(offset)
    with request.app.state.services.readmodels.connect() as conn:
        total = conn.execute(select(func.count()).select_from(table).where(*conditions)).scalar_one()
        rows = [_serialise(access, dict(r)) for r in conn.execute(query).mappings()]
    return {
        "view": access.name,
        "scope": reader.scope,
        "jurisdiction": _scope_value(reader.scope, agency) or places.NATIONAL,
        "total": total,
        "limit": limit,
        "offset": offset,
        "rows": rows,
    }


@router.get("/{view}/{key:path}")
def get_row(
    view: str,
    key: str,
    request: Request,
    personal_data: bool = Query(False, description="Open the sealed personal data (X-Purpose required)"),
    x_purpose: str | None = Header(None, description="Why personal data is read (logged)"),
    x_actor: str | None = Header(None, description="Pseudonym of the officer reading (logged)"),
    agency: Agency = Depends(current_agency),
) -> dict[str, Any]:
    """One row; 403 outside the caller's jurisdiction, 404 if there is none."""
    access, reader = _authorise(view, agency)
    spec = access.spec
    services = request.app.state.services
    purpose = (x_purpose or "").strip() or None

    def log(outcome: str) -> None:
        if personal_data:
            access_log.record(
                services.readmodels,
                agency_code=agency.code,
                agency_type=agency.agency_type,
                actor=x_actor,
                view=access.name,
                row_key=key,
                purpose=purpose,
                outcome=outcome,
            )

    if personal_data and not access.may_open_personal_data(agency.agency_type):
        log("denied_type")
        raise HTTPException(
            403,
            detail=_msg(
                f"Loại cơ quan {agency.agency_type} không được mở dữ liệu cá nhân của '{access.name}'.",
                f"Agency type {agency.agency_type} may not open the personal data of '{access.name}'.",
            ),
        )
    if personal_data and purpose is None:
        log("no_purpose")
        raise HTTPException(
            400,
            detail=_msg(
                "Đọc dữ liệu cá nhân phải nêu mục đích (tiêu đề X-Purpose).",
                "Reading personal data needs a stated purpose (X-Purpose header).",
            ),
        )
    with services.readmodels.connect() as conn:
        found = conn.execute(select(spec.table).where(spec.table.c[spec.key] == key)).mappings().first()
    if found is None or (spec.visible and not found[spec.visible]):
        log("not_found")
        raise HTTPException(404, detail=_msg("Không có bản ghi này.", "No such row."))
    row = dict(found)
    if not _in_scope(access, reader, agency, row):
        log("denied_scope")
        raise HTTPException(
            403,
            detail=_msg(
                "Bản ghi nằm ngoài địa bàn hoặc không gửi đến đơn vị.",
                "The row is outside your agency's jurisdiction or not addressed to it.",
            ),
        )
    out = _serialise(access, row)
    if personal_data:
        sealed = seal_from_text(row[spec.sealed_column]) if spec.sealed_column else None
        out["personal_data"] = services.keystore.open(sealed)
        log("granted")
    return out


# --- authorisation and jurisdiction ---------------------------------------------------------------------


def _authorise(view: str, agency: Agency) -> tuple[ViewAccess, Reader]:
    access = ACCESS.get(view)
    if access is None:
        raise HTTPException(404, detail=_msg(f"Không có dữ liệu '{view}'.", f"No view named '{view}'."))
    reader = access.reader(agency.agency_type)
    if reader is None:
        raise HTTPException(
            403,
            detail=_msg(
                f"Loại cơ quan {agency.agency_type} không được đọc dữ liệu '{view}' "
                "(ngoài nhiệm vụ được giao).",
                f"Agency type {agency.agency_type} may not read view '{view}' (outside its mandate).",
            ),
        )
    return access, reader


def _scope_value(scope: str, agency: Agency) -> str | None:
    """What the scope compares a row with: the agency's province or commune of today's map, or its code."""
    jurisdiction = agency.jurisdiction
    if scope == ADDRESSEE_ONLY:
        return agency.code
    if scope == NATIONAL or jurisdiction == places.NATIONAL:
        return None
    if scope == OWN_PROVINCE:
        return places.current_province_of(jurisdiction)
    unit = places.lookup(jurisdiction)
    return places.primary_successor(jurisdiction) if unit is not None and unit.level == "C" else None


def _scope_condition(access: ViewAccess, reader: Reader, agency: Agency) -> ColumnElement[bool]:
    if reader.scope == NATIONAL:
        return true()
    value = _scope_value(reader.scope, agency)
    if value is None:  # e.g. a national agency given a provincial scope: it has no province to see
        return false()
    return access.spec.table.c[access.spec.scopes[reader.scope]] == value


def _in_scope(access: ViewAccess, reader: Reader, agency: Agency, row: dict[str, Any]) -> bool:
    if reader.scope == NATIONAL:
        return True
    value = _scope_value(reader.scope, agency)
    return value is not None and row[access.spec.scopes[reader.scope]] == value


def _filters(access: ViewAccess, request: Request) -> list[ColumnElement[bool]]:
    conditions = []
    for name, raw in request.query_params.multi_items():
        if name in PAGING:
            continue
        if name not in access.filters:
            allowed = ", ".join(access.filters)
            raise HTTPException(
                400,
                detail=_msg(
                    f"Không lọc được theo '{name}'; các trường lọc được: {allowed or 'không có'}.",
                    f"Cannot filter on '{name}'; filters of this view: {allowed or 'none'}.",
                ),
            )
        column = access.spec.table.c[name]
        conditions.append(column == _typed(column.type, name, raw))
    return conditions


def _typed(column_type: Any, name: str, raw: str) -> Any:
    if isinstance(column_type, Boolean):
        if raw.lower() in ("true", "1", "yes"):
            return True
        if raw.lower() in ("false", "0", "no"):
            return False
    elif isinstance(column_type, Integer):
        try:
            return int(raw)
        except ValueError:
            pass
    else:
        return raw
    raise HTTPException(
        400,
        detail=_msg(f"Giá trị lọc '{name}={raw}' không hợp lệ.", f"Invalid filter value '{name}={raw}'."),
    )


def _serialise(access: ViewAccess, row: dict[str, Any]) -> dict[str, Any]:
    """Only the columns view_access lists, JSON columns as JSON."""
    json_columns = access.spec.json_columns
    return {
        name: json.loads(row[name]) if name in json_columns and row[name] is not None else row[name]
        for name in access.columns
    }
