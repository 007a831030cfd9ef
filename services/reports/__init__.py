"""Statistical reports without double counting (DOMAIN §e), from the reporting view.

    request = make_request("province", "2026-H1", "48", group_by="today", suppress=None)
    report = compute_report(engine, request)        # a dict: the JSON export
    render(report, "xlsx" | "csv" | "json")         # the file

Persons are counted once (merges followed with `counted_person`, one counting owner: the lead agency);
services and activities per event. Each report names the log position it was computed at, when, and the
SHA-256 of its canonical content.
"""

from __future__ import annotations

from lienthong.reports.compute import (
    Forbidden,
    ReportError,
    Request,
    UnknownKind,
    compute_report,
    content_hash,
    make_request,
    may_produce,
)
from lienthong.reports.definitions import KINDS, ReportKind, kinds_for
from lienthong.reports.export import FORMATS, MEDIA_TYPES, file_name, render
from lienthong.reports.periods import Period, parse_period

__all__ = [
    "FORMATS",
    "KINDS",
    "MEDIA_TYPES",
    "Forbidden",
    "Period",
    "ReportError",
    "ReportKind",
    "Request",
    "UnknownKind",
    "compute_report",
    "content_hash",
    "file_name",
    "kinds_for",
    "make_request",
    "may_produce",
    "parse_period",
    "render",
]
