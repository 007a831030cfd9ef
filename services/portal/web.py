"""The officers' portal: server-rendered pages under /portal, static files under /portal/static.

Every page is filtered to the signed-in officer's agency: the case list to its jurisdiction, a case
to the events and fields its agency type needs to know (timeline_fields.toml), personal data to the
lead agency of the case's own province, opened on purpose and logged. A case outside the officer's
jurisdiction answers 403 with a bilingual page and none of its data; the attempt is logged.
"""

from __future__ import annotations

import csv
import io
import os
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func, select

from lienthong import places
from lienthong.agencies import Agency
from lienthong.config import Settings
from lienthong.domain.lifecycle import STATUS_LABELS
from lienthong.portal import accounts as acc
from lienthong.portal import i18n, integrations
from lienthong.portal.accounts import Accounts, Officer
from lienthong.portal.charts import bar_chart
from lienthong.portal.session import Session, Signer, load_secret, read_session, write_session
from lienthong.portal.visibility import (
    Visibility,
    case_unit,
    default_visibility,
    may_open_personal_data,
    may_see_case,
)
from lienthong.privacy.keystore import ERASED
from lienthong.projections.tables import case_register, commune_caseload
from lienthong.projections.timeline.tables import case_timeline
from lienthong.projections.views.case_register import seal_from_text
from lienthong.store import make_engine
from lienthong.wiring import Services

PREFIX = "/portal"
PAGE_SIZE = 20
VN_TIME = timezone(timedelta(hours=7), "ICT")  # Vietnam keeps no daylight saving time
SECRET_ENV = "LIENTHONG_PORTAL_SECRET"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".ico": "image/x-icon"}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

router = APIRouter(prefix=PREFIX, include_in_schema=False)
templates = Environment(
    loader=PackageLoader("lienthong.portal", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


# --- the portal's own state, made once per app ---------------------------------------------------


@dataclass
class Portal:
    services: Services
    accounts: Accounts
    signer: Signer
    visibility: Visibility


_portal_lock = threading.Lock()


def build_accounts(services: Services) -> Accounts:
    """Officer accounts and the access log, in the credentials store (apart from log and views)."""
    return Accounts(make_engine(services.settings.keystore_url, durable=True), services.registry)


def portal_secret(settings: Settings) -> bytes:
    return load_secret(os.environ.get(SECRET_ENV) or None, settings.data_dir / "portal-session.key")


def get_portal(request: Request) -> Portal:
    state = request.app.state
    found = getattr(state, "portal", None)
    if found is None:
        with _portal_lock:
            found = getattr(state, "portal", None)
            if found is None:
                services: Services = state.services
                found = Portal(
                    services,
                    build_accounts(services),
                    Signer(portal_secret(services.settings)),
                    default_visibility(),
                )
                state.portal = found
    return found


# --- per-request context -------------------------------------------------------------------------


@dataclass
class Ctx:
    request: Request
    portal: Portal
    session: Session
    officer: Officer | None = None
    agency: Agency | None = None

    @property
    def lang(self) -> str:
        return self.session.lang

    def t(self, key: str, **kw: Any) -> str:
        return i18n.tr(key, self.lang, **kw)

    def log(self, action: str, **kw: Any) -> None:
        assert self.officer is not None
        self.portal.accounts.log(
            self.officer.username,
            self.officer.agency_code,
            action,
            client=_client(self.request),
            path=_path(self.request),
            **kw,
        )


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def page_ctx(request: Request, portal: Portal = Depends(get_portal)) -> Ctx:
    session = read_session(request, portal.signer)
    lang = request.query_params.get("lang")
    if lang:
        session.set_lang(lang)
    ctx = Ctx(request, portal, session)
    if session.user:
        officer = portal.accounts.get(session.user)
        agency = portal.accounts.agency_of(officer) if officer else None
        if (
            officer is None
            or officer.disabled
            or officer.session_nonce != session.nonce
            or agency is None
            or not agency.active_on(date.today())
        ):
            session.sign_out()
        else:
            ctx.officer, ctx.agency = officer, agency
    return ctx


class _SignInFirst(HTTPException):
    def __init__(self, location: str) -> None:
        super().__init__(303, detail="sign in first", headers={"Location": location})


def officer_ctx(ctx: Ctx = Depends(page_ctx)) -> Ctx:
    if ctx.officer is None:
        target = f"{PREFIX}/sign-in?" + urlencode({"next": _path(ctx.request)})
        if ctx.session.expired:
            target += "&expired=1"
        raise _SignInFirst(target)
    return ctx


# --- rendering -----------------------------------------------------------------------------------


def render(
    ctx: Ctx, template: str, status: int = 200, here: str | None = None, **values: Any
) -> HTMLResponse:
    lang = ctx.lang
    html = templates.get_template(template).render(
        ctx=ctx,
        lang=lang,
        t=ctx.t,
        officer=ctx.officer,
        agency=ctx.agency,
        csrf=ctx.session.csrf,
        prefix=PREFIX,
        status_label=lambda s: i18n.status_label(s, lang),
        event_label=lambda e: i18n.event_label(e, lang),
        field_label=lambda f: i18n.field_label(f, lang),
        agency_name=lambda code: agency_name(ctx, code),
        unit_name=unit_name,
        fmt_dt=fmt_dt,
        fmt_value=lambda v: fmt_value(v, lang),
        fmt_field=lambda k, v: fmt_field(ctx, k, v),
        url_with=lambda **kw: url_with(ctx.request, here, **kw),
        **values,
    )
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    save(ctx, response)
    return response


def save(ctx: Ctx, response: Response) -> Response:
    secure = ctx.request.url.scheme == "https"
    write_session(response, ctx.session, ctx.portal.signer, secure=secure)
    return response


def redirect(ctx: Ctx, location: str) -> Response:
    return save(ctx, RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS))


def agency_name(ctx: Ctx, code: str | None) -> str:
    if not code:
        return ""
    found = ctx.portal.services.registry.find(code)
    if found is None:
        return code
    return found.name_en if ctx.lang == "en" else found.name_vi


def unit_name(code: str | None) -> str:
    if not code:
        return ""
    if code == places.NATIONAL:
        return "Việt Nam"
    found = places.lookup(code)
    return found.name if found else code


def fmt_dt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # SQLite keeps UTC without the offset
        return value.astimezone(VN_TIME).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def fmt_value(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return i18n.tr("yes" if value else "no", lang)
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".") if abs(value) >= 10_000 else str(value)
    if isinstance(value, list):
        return ", ".join(fmt_value(v, lang) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{i18n.field_label(k, lang)}: {fmt_value(v, lang)}" for k, v in value.items())
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        return fmt_dt(value)
    if isinstance(value, str):
        return i18n.value_label(value, lang)
    return str(value)


def fmt_field(ctx: Ctx, key: str, value: Any) -> str:
    """A timeline field for people: agency codes as agency names, unit codes as unit names."""
    if key.endswith("agency_code") or key == "decision_org":
        return agency_name(ctx, value) if isinstance(value, str) else fmt_value(value, ctx.lang)
    if key.endswith("agency_codes") and isinstance(value, list):
        return ", ".join(agency_name(ctx, v) for v in value)
    if key in ("report_place_code", "destination_unit_code", "location_code") and isinstance(value, str):
        return unit_name(value)
    return fmt_value(value, ctx.lang)


def url_with(request: Request, here: str | None = None, **changes: Any) -> str:
    """This page's address with some query parameters changed (lang dropped unless given). A page
    answering a POST links to `here` (its GET twin), never to the POST address."""
    if request.method != "GET":
        path, params = here or f"{PREFIX}/", {}
    else:
        path, params = request.url.path, dict(request.query_params)
    params.pop("lang", None)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return path + ("?" + urlencode(params) if params else "")


def error_page(ctx: Ctx, status: int, title_key: str, message_key: str) -> HTMLResponse:
    """A bilingual error page: both languages, the chosen one first."""
    other = "en" if ctx.lang == "vi" else "vi"
    return render(
        ctx,
        "error.html",
        status=status,
        code=status,
        title=ctx.t(title_key),
        message=ctx.t(message_key),
        title_other=i18n.tr(title_key, other),
        message_other=i18n.tr(message_key, other),
        other_lang=other,
    )


def error_text_page(ctx: Ctx, status: int, message_vi: str, message_en: str) -> HTMLResponse:
    """A bilingual error page for a message that comes in both languages from elsewhere."""
    other = "en" if ctx.lang == "vi" else "vi"
    titles = {403: "forbidden_title", 404: "not_found_title"}
    title_key = titles.get(status, "bad_form")
    pick = {"vi": message_vi, "en": message_en}
    return render(
        ctx,
        "error.html",
        status=status,
        code=status,
        title=ctx.t(title_key),
        message=pick[ctx.lang],
        title_other=i18n.tr(title_key, other),
        message_other=pick[other],
        other_lang=other,
    )


# --- scope ---------------------------------------------------------------------------------------


def case_scope(agency: Agency):
    if agency.jurisdiction == places.NATIONAL:
        return None
    if agency.level == "P" or len(agency.jurisdiction) == 2:
        return case_register.c.province_code == agency.jurisdiction
    return case_register.c.commune_code == agency.jurisdiction


def caseload_scope(agency: Agency):
    if agency.jurisdiction == places.NATIONAL:
        return None
    if agency.level == "P" or len(agency.jurisdiction) == 2:
        return commune_caseload.c.province_code == agency.jurisdiction
    return commune_caseload.c.unit_code == agency.jurisdiction


def caseload_rows(ctx: Ctx) -> list[dict[str, Any]]:
    assert ctx.agency is not None
    query = select(commune_caseload).order_by(commune_caseload.c.unit_code)
    scope = caseload_scope(ctx.agency)
    if scope is not None:
        query = query.where(scope)
    with ctx.portal.services.readmodels.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


# --- sign-in and sign-out ------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    if target and target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return f"{PREFIX}/"


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(
    ctx: Ctx = Depends(page_ctx), next: str | None = None, expired: int = 0, out: int = 0
) -> Response:
    if ctx.officer is not None:
        return redirect(ctx, _safe_next(next))
    notice = ctx.t("session_expired") if expired else ctx.t("signed_out") if out else None
    return render(ctx, "sign_in.html", next=_safe_next(next), error=None, notice=notice, username="")


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=1000)] = "",
    ctx: Ctx = Depends(page_ctx),
) -> Response:
    accounts = ctx.portal.accounts
    typed = username.strip().lower()[:64]
    if not ctx.session.check_csrf(csrf):
        accounts.log(typed, None, acc.SIGN_IN, outcome="refused", detail="csrf", client=_client(ctx.request))
        return render(
            ctx,
            "sign_in.html",
            here=f"{PREFIX}/sign-in",
            status=400,
            next=_safe_next(next),
            error=ctx.t("bad_form"),
            notice=None,
            username=typed,
        )
    result = accounts.authenticate(typed, password)
    agency_code = result.officer.agency_code if result.officer else None
    detail = (
        result.reason if result.ok or not result.failures else f"{result.reason}; failures={result.failures}"
    )
    accounts.log(
        typed,
        agency_code,
        acc.SIGN_IN,
        outcome="ok" if result.ok else "refused",
        detail=detail,
        client=_client(ctx.request),
        path=_path(ctx.request),
    )
    if not result.ok or result.officer is None:
        return render(
            ctx,
            "sign_in.html",
            here=f"{PREFIX}/sign-in",
            status=401,
            next=_safe_next(next),
            error=ctx.t("sign_in_failed"),
            notice=None,
            username=typed,
        )
    ctx.session.sign_in(result.officer.username, result.officer.session_nonce)
    return redirect(ctx, _safe_next(next))


@router.post("/sign-out")
def sign_out(csrf: Annotated[str, Form(max_length=200)] = "", ctx: Ctx = Depends(page_ctx)) -> Response:
    if ctx.officer is not None and ctx.session.check_csrf(csrf):
        ctx.log(acc.SIGN_OUT)
        ctx.portal.accounts.end_sessions(ctx.officer.username)
        ctx.session.sign_out()
        return redirect(ctx, f"{PREFIX}/sign-in?out=1")
    if ctx.officer is None:
        return redirect(ctx, f"{PREFIX}/sign-in")
    return error_page(ctx, 400, "bad_form", "bad_form")


# --- pages ---------------------------------------------------------------------------------------


@router.get("", include_in_schema=False)
def portal_root(ctx: Ctx = Depends(page_ctx)) -> Response:
    return redirect(ctx, f"{PREFIX}/")


@router.get("/", response_class=HTMLResponse)
def home(ctx: Ctx = Depends(officer_ctx)) -> Response:
    assert ctx.agency is not None
    rows = caseload_rows(ctx)
    totals = {
        key: sum(r[key] for r in rows)
        for key in ("open_cases", "closed_cases", "persons", "in_identification", "identified_victims")
    }
    query = select(case_register.c.status, func.count()).group_by(case_register.c.status)
    scope = case_scope(ctx.agency)
    if scope is not None:
        query = query.where(scope)
    with ctx.portal.services.readmodels.connect() as conn:
        by_status = dict(conn.execute(query).all())
    status_chart = bar_chart(
        ctx.t("status_chart"),
        [(i18n.status_label(s, ctx.lang), [by_status[s]]) for s in STATUS_LABELS if by_status.get(s)],
        [ctx.t("cases")],
        label_width=300,
    )
    area_chart = None
    if ctx.agency.level != "C":
        area_chart = bar_chart(
            ctx.t("caseload_chart"),
            _area_rows(ctx, rows),
            [ctx.t("open_cases"), ctx.t("closed_cases")],
        )
    found = integrations.alerts_for(ctx.request, ctx.agency)
    overdue = None if found is None else sum(a["status"] == "overdue" for a in found.rows)
    return render(
        ctx, "home.html", totals=totals, status_chart=status_chart, area_chart=area_chart, overdue=overdue
    )


def _area_rows(ctx: Ctx, rows: list[dict[str, Any]]) -> list[tuple[str, list[float]]]:
    """Open and closed cases per commune (a province's officers) or per province (national ones)."""
    assert ctx.agency is not None
    if ctx.agency.jurisdiction == places.NATIONAL:
        by_province: dict[str, list[float]] = {}
        for r in rows:
            bucket = by_province.setdefault(r["province_code"], [0, 0])
            bucket[0] += r["open_cases"]
            bucket[1] += r["closed_cases"]
        return [(unit_name(code), values) for code, values in sorted(by_province.items())]
    return [(unit_name(r["unit_code"]), [r["open_cases"], r["closed_cases"]]) for r in rows]


@router.get("/cases", response_class=HTMLResponse)
def cases(
    ctx: Ctx = Depends(officer_ctx),
    status: str | None = Query(None, max_length=32),
    state: str | None = Query(None, pattern="^(open|closed)?$"),
    unit: str | None = Query(None, max_length=8),
    q: str | None = Query(None, max_length=64),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    assert ctx.agency is not None
    filters = []
    scope = case_scope(ctx.agency)
    if scope is not None:
        filters.append(scope)
    if status in STATUS_LABELS:
        filters.append(case_register.c.status == status)
    if state:
        filters.append(case_register.c.closed.is_(state == "closed"))
    if unit:
        column = case_register.c.commune_code if len(unit) == 5 else case_register.c.province_code
        filters.append(column == unit)
    if q and q.strip():
        filters.append(case_register.c.case_id.startswith(q.strip(), autoescape=True))
    columns = [c for c in case_register.columns if c.name != "sealed_personal_data"]
    with ctx.portal.services.readmodels.connect() as conn:
        total = conn.execute(select(func.count()).select_from(case_register).where(*filters)).scalar_one()
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(page, pages)
        rows = [
            dict(r)
            for r in conn.execute(
                select(*columns)
                .where(*filters)
                .order_by(case_register.c.last_event_at.desc(), case_register.c.case_id)
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            ).mappings()
        ]
    units = _unit_choices(ctx)
    ctx.log(
        acc.CASE_LIST,
        detail=urlencode(
            {
                k: v
                for k, v in (("status", status), ("state", state), ("unit", unit), ("q", q), ("page", page))
                if v
            }
        ),
    )
    return render(
        ctx,
        "cases.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        statuses=list(STATUS_LABELS),
        units=units,
        f={"status": status or "", "state": state or "", "unit": unit or "", "q": q or ""},
    )


def _unit_choices(ctx: Ctx) -> list[tuple[str, str]]:
    assert ctx.agency is not None
    if ctx.agency.level == "C" and ctx.agency.jurisdiction != places.NATIONAL:
        return []
    rows = caseload_rows(ctx)
    if ctx.agency.jurisdiction == places.NATIONAL:
        codes = sorted({r["province_code"] for r in rows})
    else:
        codes = [r["unit_code"] for r in rows]
    return [(code, unit_name(code)) for code in codes]


def _load_case(ctx: Ctx, case_id: str) -> dict[str, Any] | None:
    with ctx.portal.services.readmodels.connect() as conn:
        row = conn.execute(select(case_register).where(case_register.c.case_id == case_id)).mappings().first()
    return dict(row) if row else None


def _case_page(
    ctx: Ctx, case_id: str, *, personal: dict[str, Any] | None = None, opened_at: datetime | None = None
) -> Response:
    assert ctx.agency is not None
    case = _load_case(ctx, case_id)
    if case is None:
        return error_page(ctx, 404, "not_found_title", "not_found_case")
    if not may_see_case(ctx.agency, case):
        ctx.log(acc.CASE_DENIED, case_id=case_id, outcome="refused", detail=f"case unit {case_unit(case)}")
        return error_page(ctx, 403, "forbidden_title", "forbidden_case")
    with ctx.portal.services.readmodels.connect() as conn:
        rows = [
            dict(r)
            for r in conn.execute(
                select(case_timeline)
                .where(case_timeline.c.case_id == case_id)
                .order_by(case_timeline.c.version)
            ).mappings()
        ]
    events, hidden = ctx.portal.visibility.timeline(ctx.agency.agency_type, rows)
    may_open = may_open_personal_data(ctx.agency, case, ctx.portal.visibility)
    if personal is None:
        ctx.log(acc.CASE_VIEW, case_id=case_id)
    has_sealed = bool(case.pop("sealed_personal_data", None))  # the ciphertext never reaches a page
    return render(
        ctx,
        "case.html",
        here=f"{PREFIX}/cases/{case_id}",
        case=case,
        events=events,
        hidden=hidden,
        may_open=may_open,
        has_sealed=has_sealed,
        personal=personal,
        erased=personal is ERASED,
        opened_at=opened_at,
        purposes=[(k, i18n.pick(v, ctx.lang, k)) for k, v in i18n.PURPOSES.items()],
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: str, ctx: Ctx = Depends(officer_ctx)) -> Response:
    return _case_page(ctx, case_id)


@router.post("/cases/{case_id}/personal-data", response_class=HTMLResponse)
def open_personal_data(
    case_id: str,
    purpose: Annotated[str, Form(max_length=40)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    ctx: Ctx = Depends(officer_ctx),
) -> Response:
    assert ctx.agency is not None
    if not ctx.session.check_csrf(csrf) or purpose not in i18n.PURPOSES:
        return error_page(ctx, 400, "bad_form", "bad_form")
    case = _load_case(ctx, case_id)
    if case is None:
        return error_page(ctx, 404, "not_found_title", "not_found_case")
    if not may_see_case(ctx.agency, case) or not may_open_personal_data(
        ctx.agency, case, ctx.portal.visibility
    ):
        ctx.log(acc.PERSONAL_DATA, case_id=case_id, outcome="refused", detail=f"purpose={purpose}")
        return error_page(ctx, 403, "forbidden_title", "forbidden_case")
    sealed = seal_from_text(case.get("sealed_personal_data"))
    opened = ctx.portal.services.keystore.open(sealed) if sealed else None
    ctx.log(
        acc.PERSONAL_DATA,
        case_id=case_id,
        detail=f"purpose={purpose}; person_ref={case.get('person_ref')}"
        + ("; erased" if opened is ERASED else "" if opened else "; none"),
    )
    return _case_page(ctx, case_id, personal=opened or {}, opened_at=datetime.now(UTC))


@router.get("/alerts", response_class=HTMLResponse)
def alerts(ctx: Ctx = Depends(officer_ctx)) -> Response:
    assert ctx.agency is not None
    found = integrations.alerts_for(ctx.request, ctx.agency)
    ctx.log(acc.ALERTS_VIEW, detail=f"scope={found.scope}; total={found.total}" if found else "module absent")
    return render(
        ctx,
        "alerts.html",
        alerts=found,
        alert_status=lambda s: i18n.pick(integrations.ALERT_STATUS.get(s), ctx.lang, s),
    )


@router.get("/reports", response_class=HTMLResponse)
def reports(
    ctx: Ctx = Depends(officer_ctx),
    kind: str | None = Query(None, max_length=40),
    period: str | None = Query(None, max_length=12),
) -> Response:
    assert ctx.agency is not None
    kinds = integrations.report_kinds(ctx.agency)
    chosen = next((k for k in kinds if k.key == kind), kinds[0] if kinds else None)
    report, problem, periods = None, None, []
    if chosen is not None:
        periods = integrations.period_choices(chosen)
        period = period or periods[0]
        if period not in periods:
            periods.insert(0, period)
        try:
            report = integrations.compute(ctx.portal.services, ctx.agency, chosen.key, period)
        except integrations.ReportUnavailable as err:
            problem = err.message_en if ctx.lang == "en" else err.message_vi
    rows = caseload_rows(ctx)
    chart = bar_chart(
        ctx.t("report_caseload"),
        [(unit_name(r["unit_code"]), [r["open_cases"], r["closed_cases"]]) for r in rows],
        [ctx.t("open_cases"), ctx.t("closed_cases")],
    )
    ctx.log(
        acc.REPORT_VIEW,
        detail=f"kind={chosen.key}; period={period}"
        if chosen is not None
        else "caseload (no reports module)",
    )
    return render(
        ctx,
        "reports.html",
        reports_installed=integrations.reports_module() is not None,
        kinds=kinds,
        chosen=chosen,
        period=period,
        periods=periods,
        report=report,
        report_chart=_report_chart(ctx, report) if report else None,
        problem=problem,
        rows=rows,
        chart=chart,
    )


def _report_chart(ctx: Ctx, report: dict[str, Any]):
    """The report's first table as bars: persons stacked by legal status, or the first measure."""
    sections = report.get("sections") or []
    if not sections:
        return None
    section = sections[0]
    en = ctx.lang == "en"
    columns = section["columns"]
    stacked = columns and columns[0]["key"] == "total" and len(columns) > 1
    picked = list(range(1, len(columns))) if stacked else [0]
    bars = [
        (
            row["label_en"] if en else row["label_vi"],
            [v if isinstance(v, int | float) else 0 for v in (row["values"][i] for i in picked)],
        )
        for row in section["rows"]
    ]
    series = [columns[i]["en"] if en else columns[i]["vi"] for i in picked]
    return bar_chart(section["title_en"] if en else section["title_vi"], bars, series, label_width=220)


@router.get("/reports/{kind}/download")
def report_download(
    kind: str,
    ctx: Ctx = Depends(officer_ctx),
    period: str = Query(..., max_length=12),
    format: str = Query("xlsx", pattern="^(csv|xlsx)$"),
) -> Response:
    assert ctx.agency is not None
    try:
        report = integrations.compute(ctx.portal.services, ctx.agency, kind, period)
    except integrations.ReportUnavailable as err:
        ctx.log(acc.REPORT_DOWNLOAD, outcome="refused", detail=f"{kind} {period} {format}: {err.message_en}")
        return error_text_page(ctx, err.status, err.message_vi, err.message_en)
    content, media_type, name = integrations.render_file(report, format)
    ctx.log(acc.REPORT_DOWNLOAD, detail=f"{kind} {period} {format} sha256={report['content_hash'][:16]}")
    return save(
        ctx,
        Response(
            content,
            media_type=media_type,
            headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        ),
    )


@router.get("/reports/caseload.csv")
def caseload_csv(ctx: Ctx = Depends(officer_ctx)) -> Response:
    rows = caseload_rows(ctx)
    out = io.StringIO()
    writer = csv.writer(out)
    header = [
        "unit_code",
        "unit_name",
        "province_code",
        "open_cases",
        "closed_cases",
        "persons",
        "in_identification",
        "identified_victims",
    ]
    writer.writerow(header)
    for r in rows:
        writer.writerow([r["unit_code"], unit_name(r["unit_code"]), *(r[k] for k in header[2:])])
    ctx.log(acc.REPORT_DOWNLOAD, detail="caseload.csv")
    return save(
        ctx,
        Response(
            "\ufeff" + out.getvalue(),  # a BOM so spreadsheet programs read the Vietnamese as UTF-8
            media_type="text/csv; charset=utf-8",
            headers={**SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="caseload.csv"'},
        ),
    )


@router.get("/static/{name}")
def static(name: str) -> Response:
    suffix = name[name.rfind(".") :] if "." in name else ""
    if "/" in name or "\\" in name or name.startswith(".") or suffix not in STATIC_TYPES:
        raise HTTPException(404)
    resource = resources.files("lienthong.portal").joinpath("static", name)
    if not resource.is_file():
        raise HTTPException(404)
    return Response(
        resource.read_bytes(),
        media_type=STATIC_TYPES[suffix],
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
