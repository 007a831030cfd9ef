"""The reports door: which reports the caller may produce, and a report as JSON, CSV or .xlsx.

Scoped to the caller's jurisdiction: a commune gets its own commune's reports only, a province its
province (and the communes in it); anything else is 403. Each response carries the report's log
position and content hash in headers as well as in the file.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from lienthong.agencies import Agency
from lienthong.gateway.auth import _msg, current_agency
from lienthong.reports import (
    FORMATS,
    KINDS,
    MEDIA_TYPES,
    ReportError,
    compute_report,
    file_name,
    kinds_for,
    make_request,
    may_produce,
    render,
)
from lienthong.reports.export import log_position_text

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get("")
def list_reports(agency: Agency = Depends(current_agency)) -> list[dict[str, Any]]:
    """The report kinds this agency may produce, with their periods, and the unit it reports for."""
    return [
        kind.as_dict() | {"default_unit": agency.jurisdiction, "formats": list(FORMATS)}
        for kind in kinds_for(agency.agency_type)
    ]


@router.get("/{kind}", response_model=None)
def get_report(
    kind: str,
    request: Request,
    period: str = Query(..., description="2026-Q1 … 2026-Q4, 2026-H1 / 2026-H2, 2026-FY"),
    unit: str | None = Query(None, description="Commune or province code, or VN; default: your jurisdiction"),
    group_by: str = Query("today", pattern="^(today|time)$"),
    format: str = Query("json", pattern="^(json|csv|xlsx)$"),
    suppress: int | None = Query(None, ge=2, le=1000, description="Hide cells below k (published versions)"),
    agency: Agency = Depends(current_agency),
) -> Response:
    if kind not in KINDS:
        raise HTTPException(404, detail=_msg(f"Không có loại báo cáo {kind!r}.", f"No report kind {kind!r}."))
    if agency.agency_type not in KINDS[kind].producers:
        raise HTTPException(
            403,
            detail=_msg(
                f"Cơ quan {agency.code} không lập báo cáo {kind}.",
                f"Agency {agency.code} does not produce the {kind} report.",
            ),
        )
    try:
        wanted = make_request(kind, period, unit or agency.jurisdiction, group_by, suppress)
    except ReportError as err:
        raise HTTPException(err.status, detail=_msg(err.message_vi, err.message_en)) from None
    if not may_produce(agency, wanted):
        raise HTTPException(
            403,
            detail=_msg(
                f"Đơn vị {wanted.unit} nằm ngoài địa bàn của {agency.code}.",
                f"Unit {wanted.unit} is outside the jurisdiction of {agency.code}.",
            ),
        )
    services = request.app.state.services
    report = compute_report(services.readmodels, wanted, issuer=agency, registry=services.registry)
    headers = {"X-Content-Hash": report["content_hash"], "X-Log-Position": log_position_text(report)}
    if format == "json":
        return JSONResponse(report, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{file_name(report, format)}"'
    return Response(render(report, format), media_type=MEDIA_TYPES[format], headers=headers)
