"""The obligations view on its own (facts in, rows out) and the as-of reading of its rows."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select

from lienthong.projections.alerts import status
from lienthong.projections.alerts.tables import obligations
from lienthong.projections.alerts.view import Obligations
from lienthong.projections.facts import EVENT, REJECTION, Fact
from lienthong.projections.runner import Projector

VN = timezone(timedelta(hours=7))
AGENCY_TYPES = {"SYT-48": "provincial_health", "TTCTXH-48": "social_facility", "UBND-XA-20242": "commune_pc"}


def vn(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=VN)


class Log:
    """Feeds synthetic facts to a projector that runs only the obligations view."""

    def __init__(self) -> None:
        self.projector = Projector(create_engine("sqlite://"), name="alerts", views=[Obligations()])
        self._offsets = itertools.count(1)

    def event(self, emitter: str, event_type: str, at: datetime, case_id: str = "HS-1", **record) -> None:
        unit = record.pop("unit", "48")
        offset = next(self._offsets)
        envelope = {
            "event_id": f"ev-{offset:04d}",
            "event_type": event_type,
            "case_id": case_id,
            "occurred_at": at.astimezone(UTC),
            "emitter_agency_code": emitter,
            "emitter_agency_type": AGENCY_TYPES[emitter],
            "legal_regime": record.pop("regime", "L2024"),
            "admin_unit_code": unit,
            "subject_person_ref": record.pop("person", "p-1"),
        }
        self.projector.apply([Fact("test", 0, offset, EVENT, {"envelope": envelope, **record})])

    def rows(self) -> dict[str, dict]:
        with self.projector.engine.connect() as conn:
            return {r["obligation_id"]: dict(r) for r in conn.execute(select(obligations)).mappings()}

    def of_kind(self, kind: str) -> list[dict]:
        return sorted((r for r in self.rows().values() if r["kind"] == kind), key=lambda r: r["started_at"])


def test_an_answer_stops_only_the_clock_it_names():
    log = Log()
    for rid in ("R-1", "R-2"):
        log.event("SYT-48", "ReferralSent", vn(2025, 10, 9), referral_id=rid, to_agency_code="TGPL-48")
    log.event("SYT-48", "ReferralAccepted", vn(2025, 10, 10), referral_id="R-2")
    states = {r["match_key"]: r["status"] for r in log.of_kind("referral_answer")}
    assert states == {"R-1": "open", "R-2": "met"}


def test_essential_needs_run_120_days_from_the_first_provision_only():
    log = Log()
    for day in (1, 15, 30):
        log.event("TTCTXH-48", "EssentialNeedsProvided", vn(2025, 10, day), items=[], amount_vnd=1)
    [clock] = log.of_kind("essential_needs_limit")
    assert status.utc(clock["started_at"]) == vn(2025, 10, 1)
    assert status.utc(clock["due_at"]) == datetime(2026, 1, 30, tzinfo=VN)  # 24:00 on 29 January
    # the department answers for it, not the facility that gave the support
    assert clock["responsible_agency_code"] == "SYT-48" and clock["responsible_party"] == "provincial_health"


def test_a_duty_the_law_did_not_impose_that_day_starts_no_clock():
    log = Log()
    log.event("TTCTXH-48", "AdmittedToFacility", vn(2025, 3, 2), facility_code="TTCTXH-48", regime="L2011")
    log.event(
        "UBND-XA-20242",
        "SupportApplicationSubmitted",
        vn(2022, 3, 2),
        application_id="A",
        unit="20242",
        regime="L2011",
    )
    assert log.of_kind("shelter_stay_limit") == []  # Decree 162's 120 days start on 2025-07-01
    [clock] = log.of_kind("commune_forward_application")  # Decree 09 was in force, the calendar was not
    assert clock["due_at"] is None and clock["reason"].startswith("no due time: holidays.toml covers")


def test_an_addressee_outside_the_registry_is_kept_with_a_reason_and_a_long_id_still_matches():
    log = Log()
    long_id = "R-" + "x" * 300
    log.event("SYT-48", "ReferralSent", vn(2025, 10, 9), referral_id=long_id, to_agency_code="NO-SUCH-AGENCY")
    [clock] = log.of_kind("referral_answer")
    assert clock["responsible_agency_code"] is None and "not a registered agency" in clock["reason"]
    assert clock["province_code"] == "48" and clock["match_key"].startswith("sha256:")
    log.event("SYT-48", "ReferralRevoked", vn(2025, 10, 10), referral_id=long_id)
    assert log.of_kind("referral_answer")[0]["status"] == "met"


def test_rejections_and_unrelated_events_leave_the_view_alone():
    log = Log()
    log.projector.apply([Fact("test", 0, 99, REJECTION, {"submission_id": "s", "case_id": "HS-1"})])
    log.event("SYT-48", "ConsentRecorded", vn(2025, 10, 1), consent_id="c")
    assert log.rows() == {}


# -- reading a row as of an instant ----------------------------------------------------------------------

ROW = {
    "obligation_id": "x",
    "started_at": vn(2025, 10, 1),
    "due_at": datetime(2025, 10, 5, tzinfo=VN),
    "satisfied_at": None,
    "lifted_at": None,
}


@pytest.mark.parametrize(
    "changes, at, expected, days",
    [
        ({}, vn(2025, 9, 30), None, None),  # not started yet
        ({}, vn(2025, 10, 4, 23), "open", 0),
        ({}, datetime(2025, 10, 5, tzinfo=VN), "overdue", 1),  # at the due instant
        ({}, vn(2025, 10, 6, 23), "overdue", 2),
        ({"satisfied_at": vn(2025, 10, 4)}, vn(2025, 10, 9), "met", 0),
        ({"satisfied_at": vn(2025, 10, 7)}, vn(2025, 10, 9), "late", 3),
        ({"satisfied_at": vn(2025, 10, 7)}, vn(2025, 10, 6), "overdue", 2),  # before the late answer
        ({"lifted_at": vn(2025, 10, 3)}, vn(2025, 10, 9), "lifted", 0),
        ({"lifted_at": vn(2025, 10, 3)}, vn(2025, 10, 2), "open", 0),
        ({"due_at": None}, vn(2026, 10, 1), "open", 0),  # no due time: never late
    ],
)
def test_a_row_read_as_of_an_instant(changes, at, expected, days):
    found = status.evaluate({**ROW, **changes}, at.astimezone(UTC))
    if expected is None:
        assert found is None
    else:
        assert (found["status"], found["days_overdue"]) == (expected, days)
        assert found["late"] == (expected in ("overdue", "late"))


def test_sqlite_naive_times_are_read_as_utc():
    naive = {
        k: v.astimezone(UTC).replace(tzinfo=None) if v else v for k, v in ROW.items() if k != "obligation_id"
    }
    found = status.evaluate({**naive, "obligation_id": "x"}, vn(2025, 10, 6).astimezone(UTC))
    assert found["status"] == "overdue" and found["due_at"] == datetime(2025, 10, 5, tzinfo=VN)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-10-14", datetime(2025, 10, 15, tzinfo=VN) - timedelta(microseconds=1)),
        ("2025-10-14T09:30:00+07:00", vn(2025, 10, 14) + timedelta(minutes=30)),
        ("2025-10-14T02:30:00Z", vn(2025, 10, 14) + timedelta(minutes=30)),
        (None, datetime(2030, 1, 1, tzinfo=UTC)),
    ],
)
def test_as_of_a_date_means_the_end_of_that_day_in_vietnam(text, expected):
    assert status.as_of(text, datetime(2030, 1, 1, tzinfo=UTC)) == expected


@pytest.mark.parametrize("text", ["2025-10-14T09:30:00", "tomorrow", "2025-13-01"])
def test_as_of_refuses_what_it_cannot_place_in_time(text):
    with pytest.raises(ValueError):
        status.as_of(text, datetime(2030, 1, 1, tzinfo=UTC))
