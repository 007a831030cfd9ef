"""Pages fed by packages written alongside the portal: the alerts door and the reports package.

Each is optional (found with importlib.util.find_spec): without `lienthong.gateway.alerts` the alerts
page says the module is not installed; without `lienthong.reports` the reports page shows the commune
caseload only. With them, the portal asks the same code the API doors use, for the signed-in
officer's agency, so a page never shows more than that agency's key would fetch from /v1:

* alerts: `lienthong.gateway.alerts.list_alerts` (own obligations; a provincial lead agency's whole
  province), already filtered, sorted and labelled in both languages;
* reports: `kinds_for`, `make_request`, `may_produce`, `compute_report` and `render` from
  `lienthong.reports`, the functions behind GET /v1/reports/{kind}; the portal serves the xlsx/csv
  files itself (/portal/reports/{kind}/download), because the /v1 door takes agency API keys, not
  officers' sessions.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import ModuleType
from typing import Any

from fastapi import Request

from lienthong.agencies import Agency
from lienthong.wiring import Services

ALERTS_MODULE = "lienthong.gateway.alerts"
REPORTS_MODULE = "lienthong.reports"

ALERT_STATUS: dict[str, tuple[str, str]] = {
    "overdue": ("Quá hạn", "Overdue"),
    "open": ("Đang trong hạn", "Open"),
    "late": ("Hoàn thành trễ hạn", "Done late"),
    "met": ("Hoàn thành đúng hạn", "Done in time"),
    "lifted": ("Đã dừng (hồ sơ đóng)", "Lifted (case closed)"),
}


def _module(name: str) -> ModuleType | None:
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name)


# --- alerts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alerts:
    scope: str  # own | province
    total: int
    rows: list[dict[str, Any]]


def alerts_for(request: Request, agency: Agency, limit: int = 500) -> Alerts | None:
    """The agency's alerts as the /v1/alerts door gives them, or None without the alerts module."""
    module = _module(ALERTS_MODULE)
    if module is None or not hasattr(module, "list_alerts"):
        return None
    leads = getattr(module, "PROVINCIAL_LEADS", frozenset())
    scope = "province" if agency.agency_type in leads and agency.level == "P" else "own"
    found = module.list_alerts(
        request,
        at=None,
        scope=scope,
        office=None,
        kind=None,
        status_=None,
        limit=limit,
        offset=0,
        agency=agency,
    )
    return Alerts(scope, int(found["total"]), list(found["alerts"]))


# --- reports -------------------------------------------------------------------------------------


class ReportUnavailable(Exception):
    """The report cannot be made as asked; carries the reports package's bilingual message."""

    def __init__(self, status: int, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.status, self.message_vi, self.message_en = status, message_vi, message_en


def reports_module() -> ModuleType | None:
    module = _module(REPORTS_MODULE)
    return module if module is not None and hasattr(module, "compute_report") else None


def report_kinds(agency: Agency) -> list[Any]:
    """The report kinds this agency may produce (empty without the reports package)."""
    module = reports_module()
    return list(module.kinds_for(agency.agency_type)) if module else []


def period_choices(kind: Any, today: date | None = None) -> list[str]:
    """Period codes of the kind's frequencies, newest first: this year's (up to today) and last year's."""
    from lienthong.reports.periods import HALF, QUARTER, YEAR, Period, period_of

    today = today or datetime.now(UTC).date()
    counts = {QUARTER: 4, HALF: 2, YEAR: 1}
    codes: list[str] = []
    for year in (today.year, today.year - 1):
        for frequency in kind.frequencies:
            for index in range(counts[frequency], 0, -1):
                period = Period(year, frequency, 0 if frequency == YEAR else index)
                if period.start <= today:
                    codes.append(period.code)
    current = period_of(today, kind.frequencies[0]).code
    return [current] + [c for c in codes if c != current]


def compute(services: Services, agency: Agency, kind_key: str, period: str) -> dict[str, Any]:
    """The report for the agency's own jurisdiction, checked as the /v1/reports door checks it."""
    module = reports_module()
    if module is None:
        raise ReportUnavailable(404, "Chưa cài mô-đun báo cáo.", "The reports module is not installed.")
    kinds = {k.key: k for k in module.kinds_for(agency.agency_type)}
    if kind_key not in kinds:
        raise ReportUnavailable(
            403,
            f"Cơ quan {agency.code} không lập báo cáo {kind_key}.",
            f"Agency {agency.code} does not produce the {kind_key} report.",
        )
    try:
        wanted = module.make_request(kind_key, period, agency.jurisdiction, "today", None)
    except module.ReportError as err:
        raise ReportUnavailable(err.status, err.message_vi, err.message_en) from None
    if not module.may_produce(agency, wanted):
        raise ReportUnavailable(
            403,
            f"Đơn vị {wanted.unit} nằm ngoài địa bàn của {agency.code}.",
            f"Unit {wanted.unit} is outside the jurisdiction of {agency.code}.",
        )
    return module.compute_report(services.readmodels, wanted, issuer=agency, registry=services.registry)


def render_file(report: dict[str, Any], fmt: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of a computed report in `fmt` (csv or xlsx)."""
    module = reports_module()
    assert module is not None
    return module.render(report, fmt), module.MEDIA_TYPES[fmt], module.file_name(report, fmt)
