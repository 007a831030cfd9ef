"""Compute a report from the read models: one consistent snapshot, persons counted once, events per event.

The result is a plain dict (the JSON export as is). Its canonical content — everything except the
time it was computed at, the issuing agency and the hash itself — is hashed with SHA-256 over sorted,
compact, UTF-8 JSON. The content names the log position (the projector's checkpoints) it was computed
at, so the same report at the same log position always has the same hash, and an auditor can replay
the log to that position and re-derive it (DOMAIN §e rule 3).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import Engine, select

from lienthong import places
from lienthong.agencies import Agency, Registry, default_registry
from lienthong.projections import tables as t
from lienthong.projections.reporting.attribution import VIETNAM, refine
from lienthong.projections.reporting.tables import (
    report_activities,
    report_court_lists,
    report_persons,
    report_services,
    report_tips,
)
from lienthong.projections.views.persons import counted_person
from lienthong.reports import dimensions as d
from lienthong.reports.counting import CountedPerson, counted_persons
from lienthong.reports.definitions import (
    ABROAD_PERSONS,
    ACTIVITIES,
    AMOUNT,
    COURT_LISTS,
    FLAGS,
    INJURED,
    KINDS,
    PERSONS,
    SERVICES,
    TIPS,
    Measure,
    ReportKind,
    Section,
)
from lienthong.reports.periods import Period, parse_period
from lienthong.reports.suppression import suppress_section

FORMAT = "lienthong.report/1"
GroupBy = Literal["today", "time"]
GROUP_BY = ("today", "time")
HASHED_OUT = ("computed_at", "issuer", "content_hash")

NOTES_VI = (
    "Số người được đếm một lần theo mã định danh giả danh sau khi hợp nhất hồ sơ trùng (PersonsMerged); "
    "cơ quan đếm người là cơ quan chủ trì (Sở Y tế), các cơ quan khác báo cáo số lượt hoạt động.",
    "Mỗi người được tính vào một kỳ theo ngày đăng ký tiếp nhận đầu tiên (ReceptionRegistered); "
    "nếu chưa có, theo ngày xác định tình trạng nạn nhân (VictimStatusDetermined); người dưới 18 tuổi đi "
    "cùng theo người lớn đi cùng. Tình trạng pháp lý tính đến ngày cuối kỳ.",
    "Hỗ trợ, bảo vệ và hoạt động được đếm theo từng sự kiện, vào kỳ và đơn vị nơi sự kiện phát sinh.",
)
NOTES_EN = (
    "Persons are counted once by pseudonymous ref after duplicate records are merged (PersonsMerged); the "
    "lead agency (Department of Health) counts persons, other agencies report activity counts.",
    "Each person belongs to one period: the date of their first ReceptionRegistered, else of their "
    "VictimStatusDetermined; accompanying under-18s follow their adult. Legal status is as at the last "
    "day of the period.",
    "Support, protection and activities are counted per event, in the period and unit where they occurred.",
)


class ReportError(Exception):
    status = 422

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi, self.message_en = message_vi, message_en


class UnknownKind(ReportError):
    status = 404


class Forbidden(ReportError):
    status = 403


# --- the request ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    kind: ReportKind
    period: Period
    unit: str  # a unit code of either map, or "VN"
    group_by: GroupBy = "today"
    suppress: int | None = None


def unit_level(code: str) -> str | None:
    if code == places.NATIONAL:
        return "N"
    found = places.lookup(code)
    return found.level if found is not None else None


def make_request(
    kind: str, period: str, unit: str, group_by: str = "today", suppress: int | None = None
) -> Request:
    found = KINDS.get(kind)
    if found is None:
        raise UnknownKind(
            f"Không có loại báo cáo {kind!r}.", f"No report kind {kind!r}; known: {sorted(KINDS)}."
        )
    try:
        parsed = parse_period(period)
    except ValueError as err:
        raise ReportError(str(err), str(err)) from None
    if parsed.frequency not in found.frequencies:
        raise ReportError(
            f"Báo cáo {kind} lập theo kỳ {'/'.join(found.frequencies)}, không theo {parsed.code}.",
            f"The {kind} report is made per {'/'.join(found.frequencies)} period, not {parsed.code}.",
        )
    level = unit_level(unit)
    if level is None:
        raise ReportError(f"Không có đơn vị hành chính {unit!r}.", f"Unknown administrative unit {unit!r}.")
    if level not in found.unit_levels:
        levels = "/".join(sorted(found.unit_levels))
        raise ReportError(
            f"Báo cáo {kind} lập cho đơn vị cấp {levels}, không cho {unit}.",
            f"The {kind} report is made for units of level {levels}, not {unit}.",
        )
    if group_by not in GROUP_BY:
        raise ReportError("group_by phải là today hoặc time.", "group_by must be 'today' or 'time'.")
    if suppress is not None and not found.publishable:
        raise ReportError(
            f"Báo cáo {kind} liệt kê mã giả danh để đối chiếu, không công bố: không áp dụng ẩn ô nhỏ.",
            f"The {kind} report lists pseudonymous refs for reconciliation, never published: no suppression.",
        )
    if suppress is not None and not 2 <= suppress <= 1000:
        raise ReportError(
            "Ngưỡng ẩn ô nhỏ k phải từ 2 đến 1000.", "The suppression threshold k must be 2..1000."
        )
    return Request(found, parsed, unit, group_by, suppress)  # type: ignore[arg-type]


def may_produce(agency: Agency, request: Request) -> bool:
    """Whether `agency` may produce this report: its type is a producer and the unit is in its area."""
    if agency.agency_type not in request.kind.producers:
        return False
    if agency.jurisdiction == places.NATIONAL:
        return True
    return request.unit != places.NATIONAL and places.within(request.unit, agency.jurisdiction)


# --- the snapshot ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    log_position: dict[str, int]
    merged_into: dict[str, str | None]
    persons: list[dict[str, Any]]
    services: list[dict[str, Any]]
    activities: list[dict[str, Any]]
    tips: list[dict[str, Any]]
    court_lists: list[dict[str, Any]]


def load_snapshot(engine: Engine, period: Period, projector: str = "main") -> Snapshot:
    """Everything a report reads, in ONE read transaction, with the checkpoints it corresponds to."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # pysqlite opens no transaction for reads: one snapshot (WAL)
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            checkpoints = t.checkpoints
            position = {
                f"{r.source}:{r.partition}": int(r.offset)
                for r in conn.execute(select(checkpoints).where(checkpoints.c.projector == projector))
            }
            merged_into = {
                r.person_ref: r.merged_into
                for r in conn.execute(select(t.persons.c.person_ref, t.persons.c.merged_into))
            }

            def rows(query) -> list[dict[str, Any]]:
                return [dict(r) for r in conn.execute(query).mappings()]

            in_period = lambda column: column.between(period.start, period.end)  # noqa: E731
            snapshot = Snapshot(
                dict(sorted(position.items())),
                merged_into,
                rows(select(report_persons)),
                rows(select(report_services).where(in_period(report_services.c.occurred_on))),
                rows(select(report_activities).where(in_period(report_activities.c.occurred_on))),
                rows(select(report_tips).where(in_period(report_tips.c.received_on))),
                rows(select(report_court_lists).where(report_court_lists.c.year == period.year)),
            )
        finally:
            conn.rollback()
    return snapshot


# --- scope and units ------------------------------------------------------------------------------------


def in_scope(unit: str | None, scope: str) -> bool:
    """Whether a fact attributed to `unit` belongs to a report for `scope`. Today's units: by today's map
    (an old commune counts in the commune that took it over; a split one in its primary successor); old
    units ("L:…"): by territory."""
    if scope == places.NATIONAL:
        return True
    if unit is None:
        return False
    if scope.startswith(places.LEGACY_PREFIX):
        return places.within(unit, scope)
    level = unit_level(scope)
    if level == "P":
        return places.current_province_of(unit) == scope
    return places.group_key(unit, "today", "C") == scope


def unit_row(unit: str | None, scope: str, group_by: GroupBy) -> str:
    """The row a unit is counted in: provinces for a national report, else communes; today's units or
    those of the time. UNKNOWN when the fact is known only at a coarser level."""
    if unit is None:
        return d.UNKNOWN
    level = "P" if scope == places.NATIONAL else "C"
    return places.group_key(unit, group_by, level) or d.UNKNOWN


def unit_label(code: str, scope: str) -> tuple[str, str]:
    if code == d.UNKNOWN:
        if scope == places.NATIONAL:
            return "Không xác định tỉnh", "Province unknown"
        return "Ghi nhận ở cấp tỉnh, không rõ xã", "Recorded at province level, commune unknown"
    found = places.lookup(code)
    if found is None:
        return code, code
    if found.is_current:
        return found.name, found.name
    return f"{found.name} (trước 01/07/2025)", f"{found.name} (before 2025-07-01)"


_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def month_label(key: str) -> tuple[str, str]:
    """Fixed labels (not the process locale's), so a report's content and hash are the same anywhere."""
    year, month = key.split("-")
    return f"Tháng {month}/{year}", f"{_MONTHS_EN[int(month) - 1]} {year}"


# --- computing ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Context:
    request: Request
    persons: dict[str, CountedPerson]
    merged_into: dict[str, str | None]
    registry: Registry
    flag_labels: dict[str, tuple[str, str]] = field(default_factory=dict)

    def counted(self, ref: str | None) -> CountedPerson | None:
        return self.persons.get(counted_person(ref, self.merged_into)) if ref else None

    def refined(self, unit: str, ref: str | None) -> str | None:
        person = self.counted(ref)
        return refine(unit, person.commune if person else None)


def _person_items(ctx: _Context) -> list[dict[str, Any]]:
    req = ctx.request
    end = req.period.end
    items = []
    for person in ctx.persons.values():
        if not req.period.contains(person.period_on) or not in_scope(person.unit, req.unit):
            continue
        items.append(
            {
                "unit": unit_row(person.unit, req.unit, req.group_by),
                "sex": person.sex,
                "age_group": person.age_group(),
                "legal_status": person.legal_status(end),
                "exploitation": person.exploitation,
                "recruitment": person.recruitment,
                "destination": person.destination,
                "reception_type": person.reception_type,
                "regime": person.regime,
                "month": person.period_on.strftime("%Y-%m"),
            }
        )
    return items


def _event_items(ctx: _Context, rows: Iterable[dict[str, Any]], agency_types) -> list[dict[str, Any]]:
    req = ctx.request
    items = []
    for row in rows:
        if agency_types is not None and row["agency_type"] not in agency_types:
            continue
        unit = ctx.refined(row["unit_code"], row["person_ref"])
        if not in_scope(unit, req.unit):
            continue
        items.append(
            row
            | {
                "unit": unit_row(unit, req.unit, req.group_by),
                "agency": row["agency_code"],
                "month": _as_date(row["occurred_on"]).strftime("%Y-%m"),
                "budget_source": row.get("budget_source") or d.UNKNOWN,
                "item_codes": json.loads(row.get("items") or "[]"),
            }
        )
    return items


def _abroad_items(ctx: _Context) -> list[dict[str, Any]]:
    req = ctx.request
    return [
        {"unit": unit_row(p.abroad_unit, req.unit, req.group_by), "month": p.abroad_on.strftime("%Y-%m")}
        for p in ctx.persons.values()
        if req.period.contains(p.abroad_on) and in_scope(p.abroad_unit, req.unit)
    ]


def _tip_items(ctx: _Context, rows: Iterable[dict[str, Any]], agency_types) -> list[dict[str, Any]]:
    req = ctx.request
    items = []
    for row in rows:
        if agency_types is not None and row["received_by_type"] not in agency_types:
            continue
        unit = row["location_code"]
        if not in_scope(unit, req.unit):
            continue
        items.append(
            row
            | {
                "unit": unit_row(unit, req.unit, req.group_by),
                "month": _as_date(row["received_on"]).strftime("%Y-%m"),
            }
        )
    return items


def _court_items(ctx: _Context, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each list entry in scope, in submission order, classified against the registry: the counted
    person is an identified victim at the end of the year, is in the registry otherwise, is missing, or
    was already listed (by another list, or under another ref merged into the same person)."""
    req = ctx.request
    seen: set[str] = set()
    items = []
    for row in sorted(rows, key=lambda r: (_as_date(r["submitted_on"]), r["entry_id"])):
        if not in_scope(row["unit_code"], req.unit):
            continue
        counted = counted_person(row["person_ref"], ctx.merged_into)
        person = ctx.persons.get(counted)
        if counted in seen:
            status = "duplicate"
        elif person is None:
            status = "missing"
        elif person.legal_status(req.period.end) == d.VICTIM:
            status = "victim"
        else:
            status = "not_victim"
        seen.add(counted)
        items.append(
            {
                "agency": row["agency_code"],
                "unit": unit_row(row["unit_code"], req.unit, req.group_by),
                "status": status,
                "person": counted,
                "list_ref": row["list_ref"],
            }
        )
    return items


def _injured_items(
    ctx: _Context, activities: Iterable[dict[str, Any]], listed: set[str]
) -> list[dict[str, Any]]:
    """Injured parties linked to a criminal case during the year (registry side), each person once."""
    req = ctx.request
    found: dict[str, dict[str, Any]] = {}
    for row in sorted(activities, key=lambda r: (_as_date(r["occurred_on"]), r["event_id"])):
        if (
            row["event_type"] != "CriminalCaseLinked"
            or row["detail"] != "injured_party"
            or not row["person_ref"]
        ):
            continue
        unit = ctx.refined(row["unit_code"], row["person_ref"])
        counted = counted_person(row["person_ref"], ctx.merged_into)
        if counted in found or not in_scope(unit, req.unit):
            continue
        found[counted] = {
            "unit": unit_row(unit, req.unit, req.group_by),
            "status": "listed" if counted in listed else "unlisted",
            "person": counted,
        }
    return list(found.values())


_FLAG_TEXT = {
    "missing": ("Không có trong cơ sở dữ liệu", "not in the registry"),
    "not_victim": (
        "Có hồ sơ nhưng chưa/không xác định là nạn nhân",
        "in the registry, not an identified victim",
    ),
    "unlisted": ("Người bị hại không có trong danh sách nào", "injured party on no list"),
}


def _flag_items(court: list[dict[str, Any]], injured: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flags = {}
    for item in [*court, *injured]:
        if item["status"] in _FLAG_TEXT:
            key = f"{item['status']}:{item['person']}"
            vi, en = _FLAG_TEXT[item["status"]]
            where = f" ({item['list_ref']})" if item.get("list_ref") else ""
            flags.setdefault(key, {"flag": key, "label": (vi + where, en + where)})
    return list(flags.values())


_TESTS: dict[str, Callable[[dict[str, Any]], bool]] = {
    # tips
    "received": lambda tip: True,
    "forwarded": lambda tip: tip["forwards"] > 0,
    "acknowledged": lambda tip: tip["acknowledgements"] > 0,
    "outcome": lambda tip: tip["outcome"] is not None,
    "opened": lambda tip: tip["outcome"] in ("verified", "case_opened"),
    "child": lambda tip: bool(tip["child_flag"]),
    # court lists and injured parties
    "entry": lambda item: True,
    "person": lambda item: item["status"] != "duplicate",
    "victim": lambda item: item["status"] == "victim",
    "not_victim": lambda item: item["status"] == "not_victim",
    "missing": lambda item: item["status"] == "missing",
    "duplicate": lambda item: item["status"] == "duplicate",
    "listed": lambda item: item["status"] == "listed",
    "unlisted": lambda item: item["status"] == "unlisted",
}


def _measure_value(measure: Measure, item: dict[str, Any]) -> int:
    if measure.test is not None:
        return int(_TESTS[measure.test](item))
    if measure.source in (ABROAD_PERSONS, FLAGS):
        return 1
    if measure.events and item["event_type"] not in measure.events:
        return 0
    if measure.item_like and not any(measure.item_like in code for code in item["item_codes"]):
        return 0
    if measure.kind == AMOUNT:
        return int(item.get("amount_vnd") or 0)
    return 1


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _labels(ctx: _Context, dim: d.Dimension, key: str) -> tuple[str, str]:
    if dim.key == "unit":
        return unit_label(key, ctx.request.unit)
    if dim.key == "month":
        return month_label(key)
    if dim.key == "agency":
        agency = ctx.registry.find(key)
        return (agency.name_vi, agency.name_en) if agency else (key, key)
    if dim.key == "flag":
        return ctx.flag_labels.get(key, (key, key))
    return dim.label(key)


def _row_keys(ctx: _Context, dim: d.Dimension, present: set[str]) -> list[str]:
    if dim.key == "month":
        return sorted(set(ctx.request.period.months()) | present)
    return dim.order(present)


_COUNTED = {TIPS: "tips", COURT_LISTS: "list_entries", INJURED: "persons", FLAGS: "entries"}


def _section(
    ctx: _Context, section: Section, items_by_source: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    rows_dim = d.DIMENSIONS[section.rows]
    if section.source == PERSONS:
        col_dim = d.DIMENSIONS[str(section.columns)]
        items = items_by_source[PERSONS]
        col_keys = col_dim.order({i[col_dim.key] for i in items})
        columns = [{"key": "total", "vi": "Tổng số", "en": "Total", "kind": "count"}] + [
            {"key": k, "vi": col_dim.label(k)[0], "en": col_dim.label(k)[1], "kind": "count"}
            for k in col_keys
        ]
        cells: dict[str, list[int]] = defaultdict(lambda: [0] * len(columns))
        for item in items:
            row = cells[item[rows_dim.key]]
            row[0] += 1
            row[1 + col_keys.index(item[col_dim.key])] += 1
        counted_in = "persons"
    else:
        measures = tuple(section.columns)  # type: ignore[arg-type]
        columns = [{"key": m.key, "vi": m.vi, "en": m.en, "kind": m.kind} for m in measures]
        cells = defaultdict(lambda: [0] * len(columns))
        for i, measure in enumerate(measures):
            for item in items_by_source[measure.source]:
                value = _measure_value(measure, item)
                if value:
                    cells[item[rows_dim.key]][i] += value
        counted_in = _COUNTED.get(section.source, "events")
    keys = _row_keys(ctx, rows_dim, set(cells))
    rows = []
    for key in keys:
        vi, en = _labels(ctx, rows_dim, key)
        rows.append({"key": key, "label_vi": vi, "label_en": en, "values": list(cells[key])})
    total = [sum(r["values"][c] for r in rows) for c in range(len(columns))]
    out = {
        "id": section.id,
        "title_vi": section.vi,
        "title_en": section.en,
        "counted": counted_in,
        "row_dimension": rows_dim.key,
        "row_header_vi": rows_dim.vi,
        "row_header_en": rows_dim.en,
        "columns": columns,
        "rows": rows,
        "total": total,
    }
    if ctx.request.suppress:
        suppress_section(out, ctx.request.suppress, row_total_column=0 if section.source == PERSONS else None)
    return out


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def content_hash(report: dict[str, Any]) -> str:
    """SHA-256 of the canonical content (everything but the computing time, the issuer and the hash)."""
    return hashlib.sha256(canonical({k: v for k, v in report.items() if k not in HASHED_OUT})).hexdigest()


def default_issuer(kind: ReportKind, unit: str, registry: Registry) -> Agency | None:
    """The agency that issues `kind` for `unit`: the issuer type's agency of that unit, else of its
    province (today's), else a national one."""
    candidates = registry.of_type(kind.issuer_type)
    province = places.current_province_of(unit) if unit != places.NATIONAL else None
    for wanted in (unit, province, places.NATIONAL):
        for agency in candidates:
            if wanted and agency.jurisdiction == wanted and agency.valid_to is None:
                return agency
    return None


def _counting_owner(unit: str, registry: Registry) -> dict[str, Any]:
    """The one projection that counts persons (DOMAIN §e rule 2): the lead agency's reporting view."""
    lead = default_issuer(KINDS["province"], unit, registry) if unit != places.NATIONAL else None
    return {
        "agency_type": "provincial_health",
        "agency_code": lead.code if lead else None,
        "view": "report_persons + persons.merged_into (counted_person)",
    }


def compute_report(
    engine: Engine,
    request: Request,
    *,
    issuer: Agency | None = None,
    registry: Registry | None = None,
    now: datetime | None = None,
    projector: str = "main",
) -> dict[str, Any]:
    registry = registry or default_registry()
    snapshot = load_snapshot(engine, request.period, projector)
    persons = counted_persons(snapshot.persons, snapshot.merged_into)
    ctx = _Context(request, persons, snapshot.merged_into, registry)
    kind = request.kind
    sources = {s.source for s in kind.sections} | {
        m.source for s in kind.sections if not isinstance(s.columns, str) for m in s.columns
    }
    items: dict[str, list[dict[str, Any]]] = {}
    if PERSONS in sources:
        items[PERSONS] = _person_items(ctx)
    if SERVICES in sources:
        items[SERVICES] = _event_items(ctx, snapshot.services, None)
    if ACTIVITIES in sources:
        items[ACTIVITIES] = _event_items(ctx, snapshot.activities, kind.agency_types)
    if ABROAD_PERSONS in sources:
        items[ABROAD_PERSONS] = _abroad_items(ctx)
    if TIPS in sources:
        items[TIPS] = _tip_items(ctx, snapshot.tips, kind.agency_types)
    if COURT_LISTS in sources:
        items[COURT_LISTS] = _court_items(ctx, snapshot.court_lists)
        listed = {i["person"] for i in items[COURT_LISTS]}
        items[INJURED] = _injured_items(ctx, snapshot.activities, listed)
        items[FLAGS] = _flag_items(items[COURT_LISTS], items[INJURED])
        ctx.flag_labels = {f["flag"]: f["label"] for f in items[FLAGS]}
    unit_vi, unit_en = (
        ("Toàn quốc", "Viet Nam")
        if request.unit == places.NATIONAL
        else unit_label(request.unit, request.unit)
    )
    report: dict[str, Any] = {
        "format": FORMAT,
        "kind": kind.key,
        "kind_version": kind.version,
        "title_vi": kind.vi,
        "title_en": kind.en,
        "basis": kind.basis,
        "period": {
            "code": request.period.code,
            "start": request.period.start.isoformat(),
            "end": request.period.end.isoformat(),
            "label_vi": request.period.label_vi,
            "label_en": request.period.label_en,
        },
        "unit": {"code": request.unit, "name_vi": unit_vi, "name_en": unit_en},
        "group_by": request.group_by,
        "suppression_k": request.suppress,
        "counting_owner": _counting_owner(request.unit, registry),
        "log_position": snapshot.log_position,
        "notes_vi": list(NOTES_VI),
        "notes_en": list(NOTES_EN),
        "sections": [_section(ctx, s, items) for s in kind.sections],
    }
    issuer = issuer or default_issuer(kind, request.unit, registry)
    report["issuer"] = (
        {
            "code": issuer.code,
            "name_vi": issuer.name_vi,
            "name_en": issuer.name_en,
            "type": issuer.agency_type,
            "jurisdiction": issuer.jurisdiction,
        }
        if issuer
        else None
    )
    report["computed_at"] = (now or datetime.now(UTC)).astimezone(VIETNAM).isoformat(timespec="seconds")
    report["content_hash"] = content_hash(report)
    return report
