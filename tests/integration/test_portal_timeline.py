"""The case timeline view family and the need-to-know rules file that filters it on the portal."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from lienthong.agencies import default_registry
from lienthong.portal.visibility import default_visibility, load, may_open_personal_data, may_see_case
from lienthong.projections.timeline import case_timeline, non_personal_payload, timeline_row, views
from tests.browser.portal_seed import PortalWorld, build_world

SEALED = {"person_ref": "p-1", "key_id": "k", "algorithm": "AES-256-GCM", "nonce": b"n", "ciphertext": b"c"}


def record(event_type: str, **payload) -> dict:
    return {
        "envelope": {
            "event_id": "e-1",
            "event_type": event_type,
            "case_id": "HS-1",
            "case_version": 3,
            "occurred_at": datetime(2026, 1, 5, 1, 30, tzinfo=UTC),
            "emitter_agency_code": "UBND-XA-20242",
            "admin_unit_code": "20242",
            "actor_pseudonym": "can-bo-07",
        },
        **payload,
    }


def test_the_timeline_row_keeps_classifications_and_drops_everything_sealed():
    rec = record(
        "PersonReported",
        sex="female",
        birth_year=2001,
        report_place_code="20242",
        personal_data=SEALED,
        decision_date=date(2026, 1, 8),
        future_sealed_field=SEALED,
        blob=b"\x00",
        items=[{"item_code": "meal_day", "note": SEALED}],
    )
    row = timeline_row(rec)
    payload = json.loads(row["payload_json"])
    assert payload == {
        "sex": "female",
        "birth_year": 2001,
        "report_place_code": "20242",
        "decision_date": "2026-01-08",
        "items": [{"item_code": "meal_day"}],
    }
    assert (row["case_id"], row["version"], row["event_type"]) == ("HS-1", 3, "PersonReported")
    assert "can-bo-07" not in row["payload_json"] and "ciphertext" not in row["payload_json"]
    assert non_personal_payload(record("TipReceived", channel="phone", narrative=SEALED)) == {
        "channel": "phone"
    }
    assert [v.name for v in views()] == ["case_timeline"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    found = build_world(tmp_path_factory.mktemp("timeline"))
    yield found
    found.exchange.http.close()


def test_the_projected_timeline_holds_every_accepted_event_and_no_personal_data(world: PortalWorld):
    with world.exchange.services.readmodels.connect() as conn:
        rows = conn.execute(
            select(case_timeline).order_by(case_timeline.c.case_id, case_timeline.c.version)
        ).all()
    by_case: dict[str, list[int]] = {}
    for r in rows:
        by_case.setdefault(r.case_id, []).append(r.version)
    assert set(by_case) == {world.case_a, world.case_b, world.case_hp}
    for versions in by_case.values():
        assert versions == list(range(1, len(versions) + 1))  # refused submissions leave no row
    text = " ".join(r.payload_json for r in rows)
    for name in world.names.values():
        assert name not in text
    assert "personal_data" not in text and "ciphertext" not in text


def test_the_rules_file_is_checked_against_the_catalogue():
    rules = default_visibility()
    assert rules.rule("provincial_health").personal_data
    assert not any(rules.rule(t).personal_data for t in rules.rules if t != "provincial_health")
    commune = rules.rule("commune_pc")
    assert commune.fields_for("InitialVerificationCompleted") is None
    assert "ProtectionMeasureApplied" in commune.flag_only
    assert rules.rule("steering_committee").fields_for("PersonReported") is None
    with pytest.raises(ValueError, match="unknown event type"):
        load('[agency.commune_pc.events]\nPersonReport = ["sex"]\n')
    with pytest.raises(ValueError, match="not a field"):
        load('[agency.commune_pc.events]\nPersonReported = ["full_name"]\n')
    with pytest.raises(ValueError, match="personal fields"):
        load('[agency.commune_pc.events]\nPersonReported = ["personal_data"]\n')
    with pytest.raises(ValueError, match="unknown agency type"):
        load('[agency.commune_people.events]\nPersonReported = ["sex"]\n')


def test_the_rules_filter_rows_and_flag_protection_without_detail():
    rules = default_visibility()
    rows = [
        timeline_row(record("PersonReported", sex="male", birth_year=1990, nationality="VN")),
        timeline_row(record("InitialVerificationCompleted", result="grounds_found")),
        timeline_row(record("ProtectionMeasureApplied", measure_code="ND62-A7-2", risk_level="high")),
    ]
    shown, hidden = rules.timeline("commune_pc", rows)
    assert hidden == 1 and [e["event_type"] for e in shown] == ["PersonReported", "ProtectionMeasureApplied"]
    assert shown[1] == {**shown[1], "flag": True, "fields": {}}
    shown, hidden = rules.timeline("provincial_health", rows)
    assert hidden == 0 and shown[2]["fields"] == {"measure_code": "ND62-A7-2", "risk_level": "high"}
    shown, hidden = rules.timeline("provincial_police", rows)
    assert hidden == 0


def test_jurisdiction_and_personal_data_rules():
    registry, rules = default_registry(), default_visibility()
    case = {"province_code": "48", "commune_code": "20242"}
    assert may_see_case(registry.get("UBND-XA-20242"), case)
    assert not may_see_case(registry.get("UBND-XA-20257"), case)
    assert may_see_case(registry.get("SYT-48"), case) and not may_see_case(registry.get("SYT-31"), case)
    assert may_see_case(registry.get("DD-111"), case)  # national
    assert may_open_personal_data(registry.get("SYT-48"), case, rules)
    assert not may_open_personal_data(registry.get("SYT-31"), case, rules)
    assert not may_open_personal_data(registry.get("CA-TINH-48"), case, rules)
    assert not may_open_personal_data(registry.get("UBND-XA-20242"), case, rules)
