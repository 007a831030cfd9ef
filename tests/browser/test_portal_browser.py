"""The officers' portal in a real browser: who sees which case, which fields, and whose names.

Officers of two communes of Đà Nẵng (Hải Châu = A, Hòa Cường = B) and of Đà Nẵng's Department of
Health (SYT-48, the lead agency) sign in to a live portal over synthetic cases in A, in B and in a
commune of Hải Phòng. Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.portal_seed import PASSWORD

pytestmark = pytest.mark.browser


def case_ids(page) -> set[str]:
    return set(page.locator("#case-list a.case-link").all_inner_texts())


def test_commune_a_sees_its_own_case_with_a_bare_protection_flag_and_no_name(page, portal, sign_in, shot):
    world = portal.world
    sign_in(page, "xa-haichau")
    assert page.locator("#who").inner_text().startswith("Nguyễn Thị Lan")
    page.goto(portal.at("/portal/cases"))
    assert case_ids(page) == {world.case_a}
    assert "Trình báo" in page.content() or "tiếp nhận" in page.content()  # Vietnamese status labels
    shot(page, "commune-a-cases")

    page.click(f"text={world.case_a}")
    page.wait_for_url(re.compile(rf"/portal/cases/{world.case_a}$"))
    timeline = page.locator("#timeline")
    assert timeline.locator('[data-event-type="PersonReported"]').count() == 1
    flag = timeline.locator('[data-event-type="ProtectionMeasureApplied"]')
    assert "không tiết lộ địa chỉ" in flag.inner_text()
    body = page.content()
    assert "ND62-A7-2" not in body and "high" not in flag.inner_text()  # the measure and risk stay hidden
    assert page.locator("#personal-data").count() == 0
    for name in world.names.values():
        assert name not in body
    shot(page, "commune-a-case")


def test_commune_a_gets_a_bilingual_403_for_commune_b_and_never_its_data(page, portal, sign_in, shot):
    world = portal.world
    sign_in(page, "xa-haichau")
    response = page.goto(portal.at(f"/portal/cases/{world.case_b}"))
    assert response is not None and response.status == 403
    text = page.locator("#error-page").inner_text()
    assert "Không có quyền truy cập" in text and "Access denied" in text
    assert world.names[world.case_b] not in page.content()
    assert page.locator("#timeline").count() == 0
    shot(page, "commune-a-forbidden")
    denied = world.accounts.access_log(username="xa-haichau", case_id=world.case_b)
    assert denied and denied[0]["action"] == "case_denied" and denied[0]["outcome"] == "refused"


def test_commune_b_sees_only_its_case(page, portal, sign_in):
    world = portal.world
    sign_in(page, "xa-hoacuong")
    page.goto(portal.at("/portal/cases"))
    assert case_ids(page) == {world.case_b}
    response = page.goto(portal.at(f"/portal/cases/{world.case_a}"))
    assert response is not None and response.status == 403


def test_department_of_health_sees_both_communes_and_opens_personal_data_on_purpose(
    page, portal, sign_in, shot
):
    world = portal.world
    sign_in(page, "syt-danang")
    assert page.locator("#area-chart svg").count() == 1  # caseload per commune, drawn on the server
    shot(page, "health-dashboard")
    page.goto(portal.at("/portal/cases"))
    assert case_ids(page) == {world.case_a, world.case_b}  # not Hải Phòng's case
    shot(page, "health-cases")

    page.goto(portal.at(f"/portal/cases/{world.case_a}"))
    name = world.names[world.case_a]
    assert name not in page.content()  # sealed until opened on purpose
    assert "ND62-A7-2" in page.locator('[data-event-type="ProtectionMeasureApplied"]').inner_text()
    page.select_option("#purpose", "support")
    page.click("#open-personal")
    page.wait_for_load_state()
    assert page.locator("#personal-full_name").inner_text() == name
    shot(page, "health-personal-data")
    opened = world.accounts.access_log(username="syt-danang", case_id=world.case_a)[0]
    assert (opened["action"], opened["agency_code"]) == ("personal_data_open", "SYT-48")
    assert "purpose=support" in opened["detail"]

    response = page.goto(portal.at(f"/portal/cases/{world.case_hp}"))
    assert response is not None and response.status == 403


def test_english_toggle_is_kept_in_the_session(page, portal, sign_in, shot):
    sign_in(page, "syt-danang")
    page.goto(portal.at("/portal/cases"))
    assert page.locator("html").get_attribute("lang") == "vi"
    page.click("#lang-en")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text().startswith("Cases")
    assert page.locator("#sign-out").inner_text() == "Sign out"
    page.goto(portal.at("/portal/reports"))  # no ?lang: the choice is remembered
    assert page.locator("h1").inner_text() == "Reports"
    assert page.locator("#caseload-csv").inner_text() == "Download CSV"
    shot(page, "english-reports")
    page.click("#lang-vi")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Báo cáo"


def test_a_wrong_password_is_refused_and_logged(page, portal, sign_in, shot):
    sign_in(page, "xa-hoacuong", "not-the-password")
    assert "/portal/sign-in" in page.url
    assert "không đúng" in page.locator("#sign-in-error").inner_text()
    shot(page, "wrong-password")
    last = portal.world.accounts.access_log(username="xa-hoacuong")[0]
    assert (last["action"], last["outcome"]) == ("sign_in", "refused")
    assert last["detail"].startswith("bad_password")
    portal.world.accounts.unlock("xa-hoacuong")  # leave the shared account as it was


def test_five_failures_lock_the_account_even_for_the_right_password(page, portal, sign_in, shot):
    accounts = portal.world.accounts
    accounts.create("xa-khoa", "UBND-XA-20242", PASSWORD, "Hoàng Văn Khoa")
    for _ in range(5):
        sign_in(page, "xa-khoa", "sai-mat-khau-123")
    sign_in(page, "xa-khoa", PASSWORD)
    assert "/portal/sign-in" in page.url and page.locator("#sign-in-error").count() == 1
    shot(page, "locked")
    log = accounts.access_log(username="xa-khoa")
    assert [r["detail"].split(";")[0] for r in log[:2]] == ["locked", "locked"]
    assert accounts.get("xa-khoa").locked
    accounts.unlock("xa-khoa")
    sign_in(page, "xa-khoa", PASSWORD)
    assert page.url.endswith("/portal/")


def test_sign_out_ends_the_session(page, portal, sign_in):
    sign_in(page, "xa-haichau")
    page.click("#sign-out")
    page.wait_for_load_state()
    assert "/portal/sign-in" in page.url
    page.goto(portal.at("/portal/cases"))
    assert "/portal/sign-in" in page.url


def test_alerts_and_reports_pages_with_downloads(page, portal, sign_in, shot):
    world = portal.world
    sign_in(page, "syt-danang")
    page.click("nav >> text=Cảnh báo")
    page.wait_for_url(re.compile(r"/portal/alerts$"))
    alerts = page.locator("#alert-list")
    if alerts.count():  # the alerts module is installed
        assert alerts.locator(f'tr[data-case="{world.case_b}"]').count() >= 1
    shot(page, "health-alerts")
    page.goto(portal.at("/portal/reports?kind=province&period=2026-H1"))
    if page.locator("#report").count():  # the reports package is installed
        assert page.locator("#section-P01").inner_text().count("Phường") == 2
        assert page.locator("#report-chart svg").count() == 1
        with page.expect_download() as download:
            page.click("#download-xlsx")
        assert download.value.suggested_filename.endswith(".xlsx")
    assert page.locator("#caseload-table").count() == 1
    shot(page, "health-report")
