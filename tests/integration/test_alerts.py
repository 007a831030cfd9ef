"""Deadlines and alerts per responsible office (issue #4), through the HTTP door of the embedded exchange.

Every history is sent with chosen `occurred_at` times and every question carries `?at=`, so lateness is
decided the same way whatever day the suite runs. A date in `at` means the last instant of that day in
Vietnam; a deadline ends at 24:00 of its last day, so "as of" the last day a duty is still open and "as of"
the next day it is overdue by 1 day.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from lienthong.projections.alerts.status import utc
from lienthong.projections.alerts.tables import obligation_cases, obligations
from lienthong.projections.facts import EVENT, REJECTION, Fact
from lienthong.projections.runner import Projector
from lienthong.runtime.embedded import SOURCE_PREFIX
from lienthong.scenarios import cases
from lienthong.schemas import decode
from lienthong.store import make_engine

VN = timezone(timedelta(hours=7))
PERSON = {"report_place_code": "20242", "representative_flag": False, "sex": "female", "birth_year": 2003}
SECRET_NAME = "Trần Thị Không Được Lộ"


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


class Desk:
    """Sends a history as the agencies would, and asks the alerts door as any of them."""

    def __init__(self, exchange) -> None:
        self.ex = exchange

    def send(self, agency: str, case_id: str, event_type: str, payload: dict, at: datetime, unit: str, **kw):
        body = {
            "submission_id": str(uuid.uuid4()),
            "case_id": case_id,
            "event_type": event_type,
            "occurred_at": at.isoformat(),
            "admin_unit_code": unit,
            "actor": "can-bo-01",
            "payload": payload,
            **kw,
        }
        status, out = self.ex.submit(agency, body)
        assert status == 201, out
        return out

    def get(self, path: str, agency: str, **params):
        return self.ex.http.get(path, params=params, headers=self.ex.as_agency(agency))

    def alerts(self, agency: str, at: str, **params) -> list[dict]:
        response = self.get("/v1/alerts", agency, at=at, **params)
        assert response.status_code == 200, response.text
        return response.json()["alerts"]

    def by_kind(self, agency: str, at: str, **params) -> dict[str, dict]:
        found = self.alerts(agency, at, **params)
        assert len({a["kind"] for a in found}) == len(found), found
        return {a["kind"]: a for a in found}

    def summary(self, agency: str, at: str) -> dict:
        response = self.get("/v1/alerts/summary", agency, at=at)
        assert response.status_code == 200, response.text
        return response.json()

    # -- the facts the histories are made of ----------------------------------------------------------

    def person(self, case_id: str, at: datetime, **kw) -> None:
        self.send("UBND-XA-20242", case_id, "PersonReported", PERSON, at, "20242", **kw)

    def l2011_victim(self, case_id: str) -> None:
        """Reported in Hòa Hiệp Bắc (old Liên Chiểu district, Đà Nẵng) and identified before 2025-07-01:
        the person keeps the L2011 regime for good (Law 53/2024 Art. 63)."""
        self.send(
            "CA-TINH-48",
            case_id,
            "PersonReported",
            {**PERSON, "report_place_code": "L:20194"},
            vn(2025, 5, 5),
            "L:20194",
        )
        self.send(
            "CA-TINH-48",
            case_id,
            "VictimStatusDetermined",
            {
                "status": "victim",
                "decision_org": "CA-TINH-48",
                "decision_no": "12/QĐ-CAT",
                "decision_date": "2025-05-20",
                "exploitation_types": ["labour"],
                "destination_country": None,
                "control_methods": [],
            },
            vn(2025, 5, 20),
            "L:48",
        )

    def referral(self, case_id: str, sender: str, to: str, at: datetime, unit: str, rid: str = "R-1") -> None:
        payload = {
            "referral_id": rid,
            "to_agency_code": to,
            "reason_code": "support",
            "service_type": "legal_aid",
            "lawful_basis_code": "L53/2024 Art41",
        }
        self.send(sender, case_id, "ReferralSent", payload, at, unit)

    def tip(self, case_id: str, at: datetime) -> None:
        payload = {
            "channel": "hotline_111",
            "reporter_type": "public",
            "suspected_count": 1,
            "location_code": "20242",
            "exploitation_indicators": [],
            "child_flag": False,
        }
        self.send("DD-111", case_id, "TipReceived", payload, at, "20242")

    def forward_tip(self, case_id: str, to: str, at: datetime) -> None:
        payload = {"target_agency_code": to, "forwarded_at": at.isoformat(), "channel": "electronic"}
        self.send("DD-111", case_id, "TipForwarded", payload, at, "20242")

    def admit(self, case_id: str, at: datetime) -> None:
        payload = {"facility_code": "TTCTXH-48", "admitted_on": at.date().isoformat(), "planned_days": 120}
        self.send("TTCTXH-48", case_id, "AdmittedToFacility", payload, at, "48")

    def application(self, case_id: str, at: datetime, app_id: str = "DN-1") -> None:
        payload = {
            "application_id": app_id,
            "support_type": "initial_hardship",
            "poor_household_flag": False,
            "submitted_on": at.date().isoformat(),
        }
        self.send("UBND-XA-20242", case_id, "SupportApplicationSubmitted", payload, at, "20242")

    def certify(self, case_id: str, at: datetime, app_id: str = "DN-1") -> None:
        payload = {"application_id": app_id, "certified_on": at.date().isoformat()}
        self.send("UBND-XA-20242", case_id, "SupportApplicationCertified", payload, at, "20242")


@pytest.fixture
def desk(embedded) -> Desk:
    return Desk(embedded)


# -- initial verification (L2024) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "verified_at, asked, status, days_overdue",
    [
        (None, "2025-10-04", "open", 0),  # the third day after the start: still in time
        (None, "2025-10-05", "overdue", 1),
        (None, "2025-10-09", "overdue", 5),
        (vn(2025, 10, 4, 16), "2025-10-05", "met", 0),
        (vn(2025, 10, 6, 10), "2025-10-07", "late", 2),
        (vn(2025, 10, 6, 10), "2025-10-05", "overdue", 1),  # as of a day before the late answer
    ],
)
def test_L53_2024_Art27_2_verification_overdue_after_3_days_is_listed_for_the_health_department(
    desk, verified_at, asked, status, days_overdue
):
    desk.person("HS-XM-1", vn(2025, 10, 1), personal_data={"full_name": SECRET_NAME})
    desk.send(
        "SYT-48",
        "HS-XM-1",
        "IdentificationStarted",
        {"basis_code": "L53-A27-2", "deadline_at": vn(2025, 10, 4, 14).isoformat()},
        vn(2025, 10, 1, 14),
        "48",
    )
    if verified_at:
        desk.send(
            "CA-TINH-48",
            "HS-XM-1",
            "InitialVerificationCompleted",
            {
                "result": "grounds_found",
                "evidence_source_codes": ["ND62-A5-1"],
                "co_verifier_agency_code": "SYT-48",
            },
            verified_at,
            "48",
        )
    alert = desk.by_kind("SYT-48", asked)["initial_verification"]
    assert (alert["status"], alert["days_overdue"]) == (status, days_overdue)
    assert alert["late"] == (status in ("overdue", "late"))
    assert alert["responsible_agency_code"] == "SYT-48" and alert["regime"] == "L2024"
    assert alert["legal_basis"] == "L53/2024 Art27(2) am. L86/2025/QH15"
    assert alert["due_at"] == "2025-10-04T17:00:00+00:00"  # 24:00 on 4 October, Vietnam time
    assert alert["kind_label_vi"].startswith("Xác minh") and alert["period_en"] == "3 days"
    assert alert["case_id"] == "HS-XM-1" and alert["person_ref"]
    # the police co-verify, but the duty is the health department's: it is not on their desk
    assert "initial_verification" not in desk.by_kind("CA-TINH-48", asked)
    assert SECRET_NAME not in desk.get("/v1/alerts", "SYT-48", at=asked).text


def test_L53_2024_Art27_2_the_departments_own_reception_starts_the_same_single_verification_clock(desk):
    desk.person("HS-XM-2", vn(2025, 10, 1))
    reception = {"reception_type": "referred", "receiving_agency_code": "SYT-48", "immediate_needs": []}
    desk.send(
        "SYT-48", "HS-XM-2", "ReceptionRegistered", {**reception, "sex": "female"}, vn(2025, 10, 2), "48"
    )
    desk.send(
        "SYT-48",
        "HS-XM-2",
        "IdentificationStarted",
        {"basis_code": "L53-A27-2", "deadline_at": vn(2025, 10, 5).isoformat()},
        vn(2025, 10, 3),
        "48",
    )
    [alert] = desk.alerts("SYT-48", "2025-10-06", kind="initial_verification")
    assert alert["start_event_type"] == "ReceptionRegistered" and alert["status"] == "overdue"
    assert alert["due_at"] == "2025-10-05T17:00:00+00:00"
    # a reception by the commune starts the commune's duty to notify, not the department's clock
    desk.person("HS-XM-3", vn(2025, 10, 1))
    desk.send(
        "UBND-XA-20242",
        "HS-XM-3",
        "ReceptionRegistered",
        {**reception, "sex": "female"},
        vn(2025, 10, 2),
        "20242",
    )
    assert [a["case_id"] for a in desk.alerts("SYT-48", "2025-10-06", kind="initial_verification")] == [
        "HS-XM-2"
    ]


# -- L2011: district DOLISA arranges within 3 days -------------------------------------------------------


@pytest.mark.parametrize(
    "requested_at, asked, status",
    [
        (None, "2025-05-08", "open"),
        (None, "2025-05-09", "overdue"),
        (vn(2025, 5, 7), "2025-05-09", "met"),
        (vn(2025, 5, 10), "2025-05-12", "late"),
    ],
)
def test_TTLT01_2014_district_DOLISA_must_arrange_or_ask_for_verification_within_3_days(
    desk, requested_at, asked, status
):
    desk.send(
        "CA-TINH-48",
        "HS-L11",
        "PersonReported",
        {**PERSON, "report_place_code": "L:20194"},
        vn(2025, 5, 5),
        "L:20194",
    )
    desk.send(
        "PLDTBXH-490",
        "HS-L11",
        "IdentificationStarted",
        {"basis_code": "TTLT01-2014", "deadline_at": vn(2025, 5, 8).isoformat()},
        vn(2025, 5, 5, 14),
        "L:490",
    )
    if requested_at:
        desk.send(
            "PLDTBXH-490",
            "HS-L11",
            "VerificationRequested",
            {
                "to_agency_code": "CA-HUYEN-490",
                "question_codes": ["identity"],
                "due_at": vn(2025, 5, 12).isoformat(),
            },
            requested_at,
            "L:490",
        )
    alert = desk.by_kind("PLDTBXH-490", asked)["l2011_dolisa_arrangement"]
    assert alert["status"] == status and alert["regime"] == "L2011"
    assert alert["legal_basis"].startswith("TTLT01/2014")
    # the dissolved office's successor, the health department, oversees it with the rest of the province
    province = desk.by_kind("SYT-48", asked, scope="province")
    assert province["l2011_dolisa_arrangement"]["responsible_agency_code"] == "PLDTBXH-490"


# -- shelter stays (Decree 162/2025 Art. 17) -------------------------------------------------------------


@pytest.mark.parametrize(
    "then, asked, expected",
    [
        ([], "2026-01-30", {"shelter_stay_limit": "open"}),  # day 120 of the stay
        ([], "2026-01-31", {"shelter_stay_limit": "overdue"}),
        (
            [("ShelterStayExtended", vn(2026, 1, 20))],
            "2026-02-15",
            {"shelter_stay_limit": "met", "shelter_stay_extension": "open"},
        ),
        ([("DischargedFromFacility", vn(2025, 12, 1))], "2026-02-15", {"shelter_stay_limit": "met"}),
        ([("DischargedFromFacility", vn(2026, 2, 5))], "2026-02-15", {"shelter_stay_limit": "late"}),
    ],
)
def test_ND162_2025_Art17_stay_past_120_days_without_extension_is_listed_for_the_facility(
    desk, then, asked, expected
):
    desk.person("HS-LT-1", vn(2025, 10, 1))
    desk.admit("HS-LT-1", vn(2025, 10, 2, 10))
    for event_type, at in then:
        payload = (
            {
                "facility_code": "TTCTXH-48",
                "extension_days": 60,
                "extension_decision_ref": "QĐ-GH-1",
                "decided_by_agency_code": "SYT-48",
            }
            if event_type == "ShelterStayExtended"
            else {
                "facility_code": "TTCTXH-48",
                "discharged_on": at.date().isoformat(),
                "discharge_reason": "returned_home",
                "day_count": (at.date() - date(2025, 10, 2)).days,
            }
        )
        desk.send("TTCTXH-48", "HS-LT-1", event_type, payload, at, "48")
    found = desk.by_kind("TTCTXH-48", asked)
    assert {kind: a["status"] for kind, a in found.items()} == expected
    assert found["shelter_stay_limit"]["due_at"] == "2026-01-30T17:00:00+00:00"
    assert found["shelter_stay_limit"]["legal_basis"] == "ND162/2025/NĐ-CP Art17"
    if "shelter_stay_extension" in found:
        assert found["shelter_stay_extension"]["due_at"] == "2026-05-20T17:00:00+00:00"
        assert found["shelter_stay_extension"]["uncertain"] is True
    assert desk.alerts("SYT-48", asked) == []  # the facility's duty, not the department's own desk


# -- support applications (Decree 09/2013 Art. 23) -------------------------------------------------------


@pytest.mark.parametrize(
    "submitted_at, certified_at, asked, status, days_overdue",
    [
        # Thursday: Friday, Monday and Tuesday are the three working days; the weekend does not count
        (vn(2025, 10, 9), None, "2025-10-14", "open", 0),
        (vn(2025, 10, 9), None, "2025-10-15", "overdue", 1),
        (vn(2025, 10, 9), vn(2025, 10, 14, 16), "2025-10-20", "met", 0),  # 5 calendar days, in time
        (vn(2025, 10, 9), vn(2025, 10, 15, 9), "2025-10-20", "late", 1),
        # Friday before National Day: the weekend and 1-2 September are off, so Wednesday to Friday count
        (vn(2025, 8, 29), None, "2025-09-05", "open", 0),
        (vn(2025, 8, 29), None, "2025-09-06", "overdue", 1),
    ],
)
def test_ND09_2013_Art23_commune_must_forward_within_3_working_days_across_a_weekend(
    desk, submitted_at, certified_at, asked, status, days_overdue
):
    desk.l2011_victim("HS-DN-1")
    desk.application("HS-DN-1", submitted_at)
    if certified_at:
        desk.certify("HS-DN-1", certified_at)
    alert = desk.by_kind("UBND-XA-20242", asked)["commune_forward_application"]
    assert (alert["status"], alert["days_overdue"]) == (status, days_overdue)
    assert alert["regime"] == "L2011" and alert["legal_basis"] == "ND09/2013/NĐ-CP Art23"
    assert (alert["period_vi"], alert["period_en"]) == ("3 ngày làm việc", "3 working days")
    assert desk.alerts("UBND-XA-20257", asked) == []


def test_a_due_time_outside_the_holiday_calendar_is_listed_without_one_and_the_projector_goes_on(desk):
    desk.person("HS-DN-2", vn(2027, 12, 1))
    desk.application("HS-DN-2", vn(2027, 12, 30))  # the third working day would fall in 2028
    alert = desk.by_kind("UBND-XA-20242", "2028-06-01")["commune_forward_application"]
    assert alert["due_at"] is None and alert["status"] == "open" and not alert["late"]
    assert "holidays.toml" in alert["reason"]
    desk.certify("HS-DN-2", vn(2027, 12, 31))
    assert desk.by_kind("UBND-XA-20242", "2028-06-01")["commune_forward_application"]["status"] == "met"


# -- referrals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, answered_at, asked, status",
    [
        (None, None, "2025-10-16", "open"),  # Thursday + 5 working days = the next Thursday
        (None, None, "2025-10-17", "overdue"),
        ("ReferralAccepted", vn(2025, 10, 13), "2025-10-17", "met"),
        ("ReferralRejected", vn(2025, 10, 20), "2025-10-21", "late"),
    ],
)
def test_referral_unanswered_after_5_working_days_is_listed_for_the_addressee(
    desk, answer, answered_at, asked, status
):
    desk.person("HS-CT-1", vn(2025, 10, 8))
    desk.referral("HS-CT-1", "SYT-48", "TGPL-48", vn(2025, 10, 9), "48")
    if answer == "ReferralAccepted":
        desk.send("TGPL-48", "HS-CT-1", answer, {"referral_id": "R-1", "note_code": None}, answered_at, "48")
    elif answer == "ReferralRejected":
        payload = {"referral_id": "R-1", "rejection_reason_code": "out_of_scope"}
        desk.send("TGPL-48", "HS-CT-1", answer, payload, answered_at, "48")
    alert = desk.by_kind("TGPL-48", asked)["referral_answer"]
    assert alert["status"] == status and alert["design_choice"] is True
    assert (alert["responsible_party"], alert["responsible_agency_type"]) == ("addressee", "legal_aid")
    assert "referral_answer" not in desk.by_kind("SYT-48", asked)  # the sender does not answer it
    assert desk.alerts("TGPL-20", asked) == []


# -- tips (Decree 162/2025 Art. 4-5) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "forwarded_at, asked, status",
    [
        (None, "2025-10-02T08:59:00+07:00", "open"),
        (None, "2025-10-02T09:00:00+07:00", "overdue"),  # 24 hours on: at the due instant it is late
        (vn(2025, 10, 1, 15), "2025-10-03", "met"),
        (vn(2025, 10, 2, 10), "2025-10-03", "late"),
    ],
)
def test_ND162_2025_Art4_5_tip_not_forwarded_within_24_hours_is_listed_for_the_receiver(
    desk, forwarded_at, asked, status
):
    desk.tip("HS-TB-1", vn(2025, 10, 1, 9))
    if forwarded_at:
        desk.forward_tip("HS-TB-1", "CA-TINH-48", forwarded_at)
    alert = desk.by_kind("DD-111", asked)["tip_forwarding"]
    assert alert["status"] == status and alert["person_ref"] is None
    assert alert["due_at"] == "2025-10-02T02:00:00+00:00" and alert["period_en"] == "24 hours"


def test_a_forwarded_tip_waits_on_the_addressee_to_acknowledge_it(desk):
    desk.tip("HS-TB-2", vn(2025, 10, 1, 9))
    desk.forward_tip("HS-TB-2", "CA-TINH-48", vn(2025, 10, 1, 10))
    alert = desk.by_kind("CA-TINH-48", "2025-10-20")["tip_acknowledgement"]
    # the rules name the acknowledgement but give it no time limit: listed, never counted late
    assert alert["status"] == "open" and alert["due_at"] is None and "no deadline" in alert["reason"]
    assert "tip_acknowledgement" not in desk.by_kind("DD-111", "2025-10-20")
    desk.send(
        "CA-TINH-48",
        "HS-TB-2",
        "TipAcknowledged",
        {"acknowledged_at": vn(2025, 10, 1, 11).isoformat()},
        vn(2025, 10, 1, 11),
        "48",
    )
    assert desk.by_kind("CA-TINH-48", "2025-10-20")["tip_acknowledgement"]["status"] == "met"


# -- the commune notifies the health department (Law 53/2024 Art. 27(1)) ---------------------------------


@pytest.mark.parametrize("notified_at, status", [(vn(2025, 10, 1, 16), "met"), (vn(2025, 10, 2, 11), "late")])
def test_L53_2024_Art27_1_commune_notifies_the_health_department_within_24_hours(desk, notified_at, status):
    reception = {
        "reception_type": "self_return",
        "receiving_agency_code": "UBND-XA-20242",
        "immediate_needs": [],
    }
    desk.person("HS-TN-1", vn(2025, 10, 1, 9))
    desk.send(
        "UBND-XA-20242",
        "HS-TN-1",
        "ReceptionRegistered",
        {**reception, "sex": "female"},
        vn(2025, 10, 1, 10),
        "20242",
    )
    desk.referral("HS-TN-1", "UBND-XA-20242", "SYT-48", notified_at, "20242")
    alert = desk.by_kind("UBND-XA-20242", "2025-10-05")["commune_notifies_provincial_health"]
    assert alert["status"] == status
    # the notification is itself a referral the department must answer
    assert desk.by_kind("SYT-48", "2025-10-05")["referral_answer"]["status"] == "open"


# -- closing a case --------------------------------------------------------------------------------------


def test_closing_a_case_lifts_its_running_clocks_and_reopening_restarts_them(desk):
    desk.person("HS-DG-1", vn(2025, 10, 8))
    desk.referral("HS-DG-1", "SYT-48", "TGPL-48", vn(2025, 10, 9), "48")
    desk.send("SYT-48", "HS-DG-1", "CaseClosed", {"reason": "moved"}, vn(2025, 10, 20), "48")
    assert desk.by_kind("TGPL-48", "2025-10-18")["referral_answer"]["status"] == "overdue"
    assert desk.by_kind("TGPL-48", "2025-10-25")["referral_answer"]["status"] == "lifted"
    assert desk.alerts("TGPL-48", "2025-10-25", status="overdue") == []
    desk.send("SYT-48", "HS-DG-1", "CaseReopened", {"reason_code": "returned"}, vn(2025, 11, 3), "48")
    assert desk.by_kind("TGPL-48", "2025-11-04")["referral_answer"]["status"] == "overdue"


def test_an_accepted_transfer_hands_the_lead_agencys_running_clocks_to_the_accepting_department(desk):
    desk.person("HS-CHS-1", vn(2025, 10, 1))
    start = {"basis_code": "L53-A27-2", "deadline_at": vn(2025, 10, 4, 14).isoformat()}
    desk.send("SYT-48", "HS-CHS-1", "IdentificationStarted", start, vn(2025, 10, 1, 14), "48")
    desk.referral("HS-CHS-1", "SYT-48", "TGPL-48", vn(2025, 10, 2), "48")
    handover = {
        "transfer_id": "CHS-1",
        "from_agency_code": "SYT-48",
        "to_agency_code": "SYT-31",
        "reason_code": "returned_home",
    }
    desk.send("SYT-48", "HS-CHS-1", "CaseTransferRequested", handover, vn(2025, 10, 3), "48")
    assert "initial_verification" in desk.by_kind("SYT-48", "2025-10-05")  # asked before the accept
    desk.send("SYT-31", "HS-CHS-1", "CaseTransferAccepted", {"transfer_id": "CHS-1"}, vn(2025, 10, 6), "31")

    moved = desk.by_kind("SYT-31", "2025-10-07")["initial_verification"]
    assert (moved["responsible_agency_code"], moved["status"]) == ("SYT-31", "overdue")
    assert moved["days_overdue"] == 3
    assert moved["due_at"] == "2025-10-04T17:00:00+00:00"  # the clock that ran from the reception, unchanged
    assert "SYT-48" in (moved["reason"] or "") and "CHS-1" in moved["reason"]
    assert "initial_verification" not in desk.by_kind("SYT-48", "2025-10-07")
    # Legal aid's answer to the referral is legal aid's own duty: a transfer of the lead leaves it there.
    assert desk.by_kind("TGPL-48", "2025-10-20")["referral_answer"]["responsible_agency_code"] == "TGPL-48"


# -- scope, summaries, rebuilds --------------------------------------------------------------------------


def mixed_history(desk: Desk) -> None:
    """Clocks for several offices of Đà Nẵng (48), and one for another province's office."""
    desk.person("HS-M-1", vn(2025, 10, 1), personal_data={"full_name": SECRET_NAME})
    desk.send(
        "SYT-48",
        "HS-M-1",
        "IdentificationStarted",
        {"basis_code": "L53-A27-2", "deadline_at": vn(2025, 10, 4).isoformat()},
        vn(2025, 10, 1, 14),
        "48",
    )
    desk.admit("HS-M-1", vn(2025, 10, 2))
    desk.referral("HS-M-1", "SYT-48", "TGPL-48", vn(2025, 10, 9), "48")
    desk.referral("HS-M-1", "SYT-48", "TGPL-20", vn(2025, 10, 9), "48", rid="R-2")
    desk.send(
        "TGPL-48",
        "HS-M-1",
        "ReferralAccepted",
        {"referral_id": "R-1", "note_code": None},
        vn(2025, 10, 10),
        "48",
    )
    desk.application("HS-M-1", vn(2025, 10, 9))
    desk.tip("HS-M-2", vn(2025, 10, 1, 9))
    desk.forward_tip("HS-M-2", "CA-TINH-48", vn(2025, 10, 3))


def test_an_office_never_sees_another_offices_obligations(desk):
    mixed_history(desk)
    at = "2026-03-01"
    offices = ["SYT-48", "TGPL-48", "TGPL-20", "TTCTXH-48", "UBND-XA-20242", "CA-TINH-48", "DD-111", "SYT-20"]
    seen: dict[str, set[str]] = {}
    for office in offices:
        found = desk.alerts(office, at)
        assert {a["responsible_agency_code"] for a in found} <= {office}, office
        seen[office] = {a["obligation_id"] for a in found}
        if office not in ("SYT-48", "SYT-20"):  # the leads' summaries cover their province
            assert sum(k["total"] for k in desk.summary(office, at)["by_kind"]) == len(found)
    assert seen["TGPL-20"] and seen["TGPL-48"] and seen["TTCTXH-48"] and seen["UBND-XA-20242"]
    assert all(not (seen[a] & seen[b]) for a in offices for b in offices if a != b)
    assert seen["SYT-20"] == set()

    # overdue first, longest overdue first, then the rest
    # the provincial lead sees every office of its province, itself included, and no other province's
    province = desk.alerts("SYT-48", at, scope="province")
    assert {a["responsible_agency_code"] for a in province} == {
        "SYT-48",
        "TGPL-48",
        "TTCTXH-48",
        "UBND-XA-20242",
        "CA-TINH-48",
    }
    assert [a["status"] for a in province] == sorted(
        (a["status"] for a in province), key=["overdue", "open", "late", "met", "lifted"].index
    )
    one_office = desk.alerts("SYT-48", at, scope="province", office="TTCTXH-48")
    assert one_office and {a["responsible_agency_code"] for a in one_office} == {"TTCTXH-48"}
    other_province = desk.alerts("SYT-20", at, scope="province")
    assert {a["responsible_agency_code"] for a in other_province} == {"TGPL-20"}
    summary = desk.summary("SYT-48", at)
    offices_counted = {o["responsible_agency_code"]: o for o in summary["by_office"]}
    assert set(offices_counted) == {a["responsible_agency_code"] for a in province}
    assert offices_counted["TTCTXH-48"]["totals"]["overdue"] == 1
    assert offices_counted["TTCTXH-48"]["name_vi"] and offices_counted["TTCTXH-48"]["name_en"]
    assert sum(o["totals"]["total"] for o in summary["by_office"]) == len(province)

    # everyone else: their own desk only, and no province view
    for office in ("TGPL-48", "UBND-XA-20242", "TTCTXH-48", "CA-TINH-48"):
        assert desk.get("/v1/alerts", office, at=at, scope="province").status_code == 403
        assert "by_office" not in desk.summary(office, at)
    assert desk.get("/v1/alerts", "TGPL-48", at=at, office="TTCTXH-48").status_code == 403

    # references only: no personal data in any alert
    for office in offices:
        assert SECRET_NAME not in desk.get("/v1/alerts", office, at=at, scope="own").text
    assert SECRET_NAME not in desk.get("/v1/alerts", "SYT-48", at=at, scope="province").text


def test_a_rebuilt_view_equals_the_live_one(desk):
    mixed_history(desk)
    desk.send("SYT-48", "HS-M-1", "CaseClosed", {"reason": "moved"}, vn(2026, 1, 5), "48")
    for agency, sub in cases(5, seed=3):
        desk.ex.submit(agency, sub)
    backend = desk.ex.services.backend
    live = _snapshot(desk.ex.services.readmodels)
    answers = desk.get("/v1/alerts", "SYT-48", at="2026-02-01", scope="province").json()
    assert live[obligations.name] and live[obligation_cases.name]
    backend.projector.reset()
    assert _snapshot(desk.ex.services.readmodels)[obligations.name] == []
    backend.catch_up()
    assert _snapshot(desk.ex.services.readmodels) == live
    assert desk.get("/v1/alerts", "SYT-48", at="2026-02-01", scope="province").json() == answers


@pytest.mark.postgres
def test_the_view_on_postgresql_equals_the_one_on_sqlite(desk, postgres_url):
    mixed_history(desk)
    desk.send("SYT-48", "HS-M-1", "CaseClosed", {"reason": "moved"}, vn(2026, 1, 5), "48")
    engine = make_engine(postgres_url)
    projector = Projector(engine, name="alerts-pg")
    log = desk.ex.services.backend.log
    for source, kind in (("events", EVENT), ("rejections", REJECTION)):
        stored = log.read(source, 0, 100_000)
        projector.apply(
            [Fact(SOURCE_PREFIX + source, 0, s.position, kind, decode(s.data).record) for s in stored]
        )
    assert _snapshot(engine) == _snapshot(desk.ex.services.readmodels)


def test_a_bad_at_is_refused_naming_the_field(desk):
    response = desk.get("/v1/alerts", "SYT-48", at="2025-10-05T09:00:00")
    assert response.status_code == 422 and response.json()["detail"]["field"] == "at"
    assert desk.get("/v1/alerts", "SYT-48", at="hôm qua").status_code == 422
    assert desk.get("/v1/alerts", "SYT-48", status="soon").status_code == 422
    assert desk.ex.http.get("/v1/alerts").status_code == 401


def _snapshot(engine) -> dict[str, list[tuple]]:
    """Both tables, with instants as UTC-aware values (SQLite hands them back naive)."""
    with engine.connect() as conn:
        return {
            table.name: sorted(
                tuple(utc(v) if isinstance(v, datetime) else v for v in row)
                for row in conn.execute(select(table)).all()
            )
            for table in (obligations, obligation_cases)
        }
