"""The officers' portal through FastAPI's TestClient: jurisdiction, need-to-know, personal data,
sign-in, lockout, CSRF, sessions and the access log (the browser tests check the same in Chromium)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lienthong.portal import accounts as acc
from lienthong.portal.session import COOKIE
from lienthong.projections.tables import case_register
from tests.browser.portal_seed import PASSWORD, PortalWorld, build_world

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[PortalWorld]:
    found = build_world(tmp_path_factory.mktemp("portal"))
    yield found
    found.exchange.http.close()


def client(world: PortalWorld) -> TestClient:
    return TestClient(world.exchange.http.app, follow_redirects=False)


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(http: TestClient, username: str, password: str = PASSWORD, next_path: str = "/portal/"):
    token = csrf_of(http.get("/portal/sign-in").text)
    return http.post(
        "/portal/sign-in",
        data={"username": username, "password": password, "csrf": token, "next": next_path},
    )


def officer(world: PortalWorld, username: str) -> TestClient:
    http = client(world)
    response = sign_in(http, username)
    assert response.status_code == 303, response.text
    return http


def listed(http: TestClient, query: str = "") -> set[str]:
    page = http.get(f"/portal/cases{query}")
    assert page.status_code == 200
    return set(re.findall(r'class="case-link">([^<]+)<', page.text))


def test_pages_need_a_signed_in_officer(world):
    http = client(world)
    for path in ("/portal/", "/portal/cases", f"/portal/cases/{world.case_a}", "/portal/reports"):
        response = http.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/portal/sign-in?next="
        )
    assert http.get("/portal").headers["location"] == "/portal/"


def test_each_commune_lists_only_its_own_cases_and_the_province_lists_both(world):
    assert listed(officer(world, "xa-haichau")) == {world.case_a}
    assert listed(officer(world, "xa-hoacuong")) == {world.case_b}
    health = officer(world, "syt-danang")
    assert listed(health) == {world.case_a, world.case_b}
    assert listed(health, "?unit=20257") == {world.case_b}
    assert listed(health, f"?q={world.case_a[:6]}") >= {world.case_a}
    assert listed(officer(world, "syt-haiphong")) == {world.case_hp}


def test_a_case_outside_the_jurisdiction_is_403_bilingual_without_its_data_and_logged(world):
    http = officer(world, "xa-haichau")
    response = http.get(f"/portal/cases/{world.case_b}")
    assert response.status_code == 403
    assert "Không có quyền truy cập" in response.text and "Access denied" in response.text
    assert world.case_b in response.request.url.path and world.names[world.case_b] not in response.text
    assert 'id="timeline"' not in response.text
    row = world.accounts.access_log(username="xa-haichau", case_id=world.case_b)[0]
    assert (row["action"], row["outcome"], row["agency_code"]) == (
        acc.CASE_DENIED,
        "refused",
        "UBND-XA-20242",
    )
    assert officer(world, "syt-danang").get(f"/portal/cases/{world.case_hp}").status_code == 403
    assert http.get("/portal/cases/HS-does-not-exist").status_code == 404


def test_the_commune_sees_need_to_know_fields_and_a_bare_protection_flag(world):
    page = officer(world, "xa-haichau").get(f"/portal/cases/{world.case_a}").text
    assert 'data-event-type="PersonReported"' in page
    assert 'data-event-type="InitialVerificationCompleted"' not in page  # not the commune's to know
    assert "không thuộc phạm vi cần biết" in page
    flag = page.split('data-event-type="ProtectionMeasureApplied"', 1)[1].split("</li>", 1)[0]
    assert "không tiết lộ địa chỉ" in flag and "ND62-A7-2" not in flag and "cao" not in flag
    assert "ND62-A7-2" not in page and 'id="personal-data"' not in page
    assert not any(name in page for name in world.names.values())


def test_the_lead_agency_sees_everything_and_opens_personal_data_with_a_purpose_logged(world):
    http = officer(world, "syt-danang")
    page = http.get(f"/portal/cases/{world.case_a}")
    assert "ND62-A7-2" in page.text and 'data-event-type="InitialVerificationCompleted"' in page.text
    assert world.names[world.case_a] not in page.text and 'id="open-personal-data"' in page.text
    token = csrf_of(page.text)
    assert (
        http.post(f"/portal/cases/{world.case_a}/personal-data", data={"purpose": "support"}).status_code
        == 400
    )
    opened = http.post(
        f"/portal/cases/{world.case_a}/personal-data", data={"purpose": "support", "csrf": token}
    )
    assert opened.status_code == 200 and world.names[world.case_a] in opened.text
    assert opened.headers["cache-control"] == "no-store"
    assert f'href="/portal/cases/{world.case_a}?lang=en"' in opened.text  # the toggle leads to the GET page
    row = world.accounts.access_log(username="syt-danang", case_id=world.case_a)[0]
    assert (row["action"], row["agency_code"]) == (acc.PERSONAL_DATA, "SYT-48")
    assert "purpose=support" in row["detail"]


def test_only_the_lead_agency_of_the_province_may_open_personal_data(world):
    police = officer(world, "ca-danang")  # sees the case in full, but is not the lead agency
    page = police.get(f"/portal/cases/{world.case_a}").text
    assert "ND62-A7-2" in page and 'id="personal-data"' not in page
    refused = police.post(
        f"/portal/cases/{world.case_a}/personal-data", data={"purpose": "support", "csrf": csrf_of(page)}
    )
    assert refused.status_code == 403 and world.names[world.case_a] not in refused.text
    other = officer(world, "syt-haiphong")
    token = csrf_of(other.get("/portal/").text)
    refused = other.post(
        f"/portal/cases/{world.case_a}/personal-data", data={"purpose": "support", "csrf": token}
    )
    assert refused.status_code == 403 and world.names[world.case_a] not in refused.text
    commune = officer(world, "xa-haichau")
    token = csrf_of(commune.get("/portal/").text)
    refused = commune.post(
        f"/portal/cases/{world.case_a}/personal-data", data={"purpose": "support", "csrf": token}
    )
    assert refused.status_code == 403 and world.names[world.case_a] not in refused.text


def test_the_english_toggle_is_stored_in_the_session(world):
    http = officer(world, "xa-haichau")
    assert '<html lang="vi">' in http.get("/portal/cases").text
    english = http.get("/portal/cases?lang=en")
    assert '<html lang="en">' in english.text and ">Sign out<" in english.text
    again = http.get(f"/portal/cases/{world.case_a}")
    assert '<html lang="en">' in again.text and "Protection in place" in again.text
    assert '<html lang="vi">' in http.get("/portal/?lang=vi").text


def test_a_wrong_password_is_refused_and_logged_and_an_unknown_user_too(world):
    http = client(world)
    response = sign_in(http, "xa-hoacuong", "wrong-password-1")
    assert (
        response.status_code == 401 and "không đúng" in response.text and "location" not in response.headers
    )
    row = world.accounts.access_log(username="xa-hoacuong")[0]
    assert (row["action"], row["outcome"], row["agency_code"]) == (acc.SIGN_IN, "refused", "UBND-XA-20257")
    assert row["detail"] == "bad_password; failures=1"
    assert sign_in(http, "nobody-here", "whatever-123").status_code == 401
    row = world.accounts.access_log(username="nobody-here")[0]
    assert (row["outcome"], row["detail"], row["agency_code"]) == ("refused", "unknown_user", None)
    world.accounts.unlock("xa-hoacuong")


def test_five_failures_lock_the_account_until_an_administrator_unlocks_it(world):
    world.accounts.create("xa-tam", "UBND-XA-20257", PASSWORD, "Tâm")
    http = client(world)
    for _ in range(acc.MAX_FAILURES):
        assert sign_in(http, "xa-tam", "wrong-password-1").status_code == 401
    assert world.accounts.get("xa-tam").locked
    assert sign_in(http, "xa-tam").status_code == 401  # the right password no longer opens it
    assert world.accounts.access_log(username="xa-tam")[0]["detail"].startswith("locked")
    world.accounts.unlock("xa-tam")
    assert sign_in(http, "xa-tam").status_code == 303


def test_a_sign_in_without_the_form_token_is_refused(world):
    http = client(world)
    http.get("/portal/sign-in")
    response = http.post("/portal/sign-in", data={"username": "syt-danang", "password": PASSWORD})
    assert response.status_code == 400
    assert world.accounts.access_log(username="syt-danang")[0]["detail"] == "csrf"


def test_sign_out_ends_the_session_even_for_a_copied_cookie(world):
    http = officer(world, "xa-hoacuong")
    stolen = http.cookies.get(COOKIE, path="/portal")
    token = csrf_of(http.get("/portal/").text)
    assert http.post("/portal/sign-out", data={"csrf": token}).headers["location"] == "/portal/sign-in?out=1"
    replay = client(world)
    replay.cookies.set(COOKIE, stolen, path="/portal")
    assert replay.get("/portal/cases").status_code == 303
    log = world.accounts.access_log(username="xa-hoacuong")
    assert log[0]["action"] == acc.SIGN_OUT


def test_a_tampered_cookie_is_ignored(world):
    http = officer(world, "xa-haichau")
    good = http.cookies.get(COOKIE, path="/portal")
    body, _, mac = good.rpartition(".")
    forged = client(world)
    forged.cookies.set(COOKIE, body + "." + ("A" if mac[0] != "A" else "B") + mac[1:], path="/portal")
    assert forged.get("/portal/cases").status_code == 303


def test_a_disabled_officer_is_signed_out_at_the_next_request(world):
    world.accounts.create("xa-ngoc", "UBND-XA-20242", PASSWORD, "Ngọc")
    http = officer(world, "xa-ngoc")
    assert http.get("/portal/cases").status_code == 200
    world.accounts.disable("xa-ngoc")
    assert http.get("/portal/cases").status_code == 303
    assert sign_in(client(world), "xa-ngoc").status_code == 401


def test_dashboard_reports_and_alerts_render_inside_the_jurisdiction(world):
    http = officer(world, "syt-danang")
    home = http.get("/portal/")
    assert home.status_code == 200 and home.text.count("<svg") == 2
    assert "Phường Hải Châu" in home.text and "Hải Phòng" not in home.text.split("</header>", 1)[1]
    reports = http.get("/portal/reports")
    assert reports.status_code == 200 and 'id="caseload-table"' in reports.text
    csv_text = http.get("/portal/reports/caseload.csv")
    assert csv_text.status_code == 200 and csv_text.headers["content-type"].startswith("text/csv")
    units = {line.split(",")[0] for line in csv_text.text.lstrip("\ufeff").splitlines()[1:]}
    assert units == {"20242", "20257"}
    assert http.get("/portal/alerts").status_code == 200
    commune = officer(world, "xa-haichau").get("/portal/")
    assert commune.status_code == 200 and 'id="area-chart"' not in commune.text


def test_pages_carry_the_security_headers_and_static_files_are_local(world):
    http = officer(world, "xa-haichau")
    page = http.get("/portal/cases")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "style-src 'self'" in csp and "script" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert "http://" not in page.text.split("<body>", 1)[0] and "https://" not in page.text
    css = http.get("/portal/static/portal.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert http.get("/portal/static/../web.py").status_code == 404
    assert http.get("/portal/static/timeline_fields.toml").status_code == 404


def test_the_next_parameter_never_leaves_the_portal(world):
    http = client(world)
    response = sign_in(http, "xa-haichau", next_path="https://example.invalid/")
    assert response.headers["location"] == "/portal/"
    response = sign_in(client(world), "xa-haichau", next_path="//example.invalid/portal")
    assert response.headers["location"] == "/portal/"


def test_alerts_come_from_the_alerts_door_scoped_to_the_office_or_the_lead_agencys_province(world):
    commune_b = officer(world, "xa-hoacuong").get("/portal/alerts").text
    assert 'id="alert-list"' in commune_b and f'data-case="{world.case_b}"' in commune_b
    commune_a = officer(world, "xa-haichau").get("/portal/alerts").text
    assert 'id="alerts-none"' in commune_a and world.case_b not in commune_a
    lead = officer(world, "syt-danang").get("/portal/alerts").text
    assert "Nghĩa vụ của các đơn vị trong tỉnh" in lead and "Ủy ban nhân dân Phường Hòa Cường" in lead
    assert world.case_hp not in lead


def test_reports_come_from_the_reports_package_with_xlsx_and_csv_downloads(world):
    http = officer(world, "syt-danang")
    page = http.get("/portal/reports?kind=province&period=2026-H1")
    assert page.status_code == 200 and 'id="section-P01"' in page.text and "Phường Hải Châu" in page.text
    assert 'id="report-chart"' in page.text and "Hải Phòng" not in page.text.split("</header>", 1)[1]
    xlsx = http.get("/portal/reports/province/download?period=2026-H1&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "spreadsheetml" in xlsx.headers["content-type"] and ".xlsx" in xlsx.headers["content-disposition"]
    csv_file = http.get("/portal/reports/province/download?period=2026-H1&format=csv")
    assert csv_file.status_code == 200 and "Phường Hải Châu" in csv_file.content.decode("utf-8-sig")
    row = world.accounts.access_log(username="syt-danang")[0]
    assert (row["action"], row["outcome"]) == (acc.REPORT_DOWNLOAD, "ok") and "province 2026-H1 csv" in row[
        "detail"
    ]
    commune = officer(world, "xa-haichau")
    assert "province" not in re.findall(r'<option value="([^"]+)"', commune.get("/portal/reports").text)
    refused = commune.get("/portal/reports/province/download?period=2026-H1&format=xlsx")
    assert refused.status_code == 403 and "Access denied" in refused.text
    own = commune.get("/portal/reports/commune/download?period=2026-Q1&format=csv")
    assert own.status_code == 200 and "Hòa Cường" not in own.content.decode("utf-8-sig")


def test_without_the_alerts_and_reports_modules_the_pages_fall_back(world, monkeypatch):
    from lienthong.portal import integrations

    monkeypatch.setattr(integrations, "ALERTS_MODULE", "lienthong.gateway.no_such_alerts")
    monkeypatch.setattr(integrations, "REPORTS_MODULE", "lienthong.no_such_reports")
    http = officer(world, "syt-danang")
    assert 'id="alerts-unavailable"' in http.get("/portal/alerts").text
    reports = http.get("/portal/reports").text
    assert 'id="reports-fallback"' in reports and 'id="caseload-table"' in reports


def test_the_case_list_pages_and_filters_by_status_and_state(world, monkeypatch):
    from lienthong.portal import web

    monkeypatch.setattr(web, "PAGE_SIZE", 1)
    http = officer(world, "syt-danang")
    first, second = listed(http, "?page=1"), listed(http, "?page=2")
    assert len(first) == len(second) == 1 and first | second == {world.case_a, world.case_b}
    assert 'rel="next"' in http.get("/portal/cases?page=1").text
    assert listed(http, "?page=99") == second  # past the end: the last page
    monkeypatch.setattr(web, "PAGE_SIZE", 20)
    query = select(case_register.c.case_id, case_register.c.status).where(
        case_register.c.province_code == "48"
    )
    with world.exchange.services.readmodels.connect() as conn:
        status_of = dict(conn.execute(query).all())
    for case_id, status in status_of.items():
        assert case_id in listed(http, f"?status={status}")
    assert listed(http, "?state=open&page=1") | listed(http, "?state=closed") == {world.case_a, world.case_b}
