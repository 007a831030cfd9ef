"""The HTTP door over the embedded runtime: authentication, emitter stamping, outcomes, scopes."""

from __future__ import annotations

import uuid

from lienthong import places
from lienthong.scenarios import cases

PERSON = {"report_place_code": "20242", "representative_flag": False, "sex": "female", "birth_year": 2003}


def body(case_id: str, event_type: str = "PersonReported", payload: dict | None = None, **kw) -> dict:
    return {
        "submission_id": kw.pop("submission_id", str(uuid.uuid4())),
        "case_id": case_id,
        "event_type": event_type,
        "occurred_at": "2026-02-01T09:00:00+07:00",
        "admin_unit_code": kw.pop("admin_unit_code", "20242"),
        "actor": "cb-07",
        "payload": PERSON if payload is None else payload,
        **kw,
    }


def test_a_submission_without_a_valid_key_is_refused_with_401(embedded):
    assert embedded.http.post("/v1/submissions", json=body("HS-A")).status_code == 401
    bad = {"Authorization": "Bearer lt_0000_nope"}
    assert embedded.http.post("/v1/submissions", json=body("HS-A"), headers=bad).status_code == 401


def test_the_emitter_comes_from_the_key_and_a_body_naming_another_agency_is_refused(embedded):
    status, out = embedded.submit("UBND-XA-20242", body("HS-A", emitter_agency_code="SYT-48"))
    assert status == 403 and "SYT-48" in out["detail"]["message_en"]
    status, out = embedded.submit("UBND-XA-20242", body("HS-A"))
    assert status == 201 and out["status"] == "accepted" and out["case_version"] == 1
    row = embedded.http.get("/v1/cases/HS-A", headers=embedded.as_agency("SYT-48")).json()
    assert row["opened_by"] == "UBND-XA-20242"


def test_a_repeated_submission_id_returns_the_first_outcome(embedded):
    first = body("HS-B", submission_id="sub-0001-repeat")
    s1, o1 = embedded.submit("UBND-XA-20242", first)
    s2, o2 = embedded.submit("UBND-XA-20242", first)
    assert (s1, s2) == (201, 201) and o1 == o2
    reused = body("HS-OTHER", submission_id="sub-0001-repeat")
    assert embedded.submit("UBND-XA-20242", reused)[0] == 409


def test_a_stale_version_is_409_and_a_bad_field_is_422_naming_field_and_rule(embedded):
    embedded.submit("UBND-XA-20242", body("HS-C"))
    status, out = embedded.submit(
        "SYT-48", body("HS-C", "CaseClosed", {"reason": "moved"}, expected_version=0, admin_unit_code="48")
    )
    assert status == 409 and out["rejection"]["code"] == "stale_version"
    status, out = embedded.submit("UBND-XA-20242", body("HS-D", payload={**PERSON, "sex": "x"}))
    assert status == 422 and out["rejection"]["field"] == "payload.sex"
    assert "female" in out["rejection"]["message_en"] and "payload.sex" in out["rejection"]["message_vi"]
    status, out = (
        embedded.http.post(
            "/v1/submissions",
            json={**body("HS-E"), "occurred_at": "yesterday"},
            headers=embedded.as_agency("SYT-48"),
        ).status_code,
        None,
    )
    assert status == 422


def test_an_agency_reads_back_only_its_own_outcomes_and_rejections(embedded):
    sid = str(uuid.uuid4())
    embedded.submit(
        "SYT-48", body("HS-F", "CaseClosed", {"reason": "moved"}, submission_id=sid, admin_unit_code="48")
    )
    mine = embedded.http.get(f"/v1/submissions/{sid}", headers=embedded.as_agency("SYT-48"))
    assert mine.status_code == 200 and mine.json()["rejection"]["code"] == "case_not_found"
    assert (
        embedded.http.get(f"/v1/submissions/{sid}", headers=embedded.as_agency("SYT-31")).status_code == 404
    )
    rejections = embedded.http.get("/v1/rejections", headers=embedded.as_agency("SYT-48")).json()
    assert [r["submission_id"] for r in rejections] == [sid]
    assert embedded.http.get("/v1/rejections", headers=embedded.as_agency("SYT-31")).json() == []


def test_views_are_scoped_to_the_callers_jurisdiction(embedded):
    embedded.submit("UBND-XA-20242", body("HS-G"))
    embedded.submit(
        "UBND-XA-20257",
        body("HS-H", admin_unit_code="20257", payload={**PERSON, "report_place_code": "20257"}),
    )
    own = embedded.http.get("/v1/cases", headers=embedded.as_agency("UBND-XA-20242")).json()
    assert [c["case_id"] for c in own] == ["HS-G"]
    assert embedded.http.get("/v1/cases/HS-H", headers=embedded.as_agency("UBND-XA-20242")).status_code == 403
    province = embedded.http.get("/v1/cases", headers=embedded.as_agency("SYT-48")).json()
    assert {c["case_id"] for c in province} == {"HS-G", "HS-H"}
    assert embedded.http.get("/v1/cases", headers=embedded.as_agency("SYT-31")).json() == []
    assert all("sealed_personal_data" not in c for c in province)


def test_a_case_reported_under_an_old_unit_code_is_on_the_register_of_the_units_that_took_it_over(embedded):
    # Hòa Hiệp Bắc, old Liên Chiểu district of Đà Nẵng, reported before the 2025-07-01 merger (DOMAIN §g.7).
    old = body(
        "HS-CU",
        payload={**PERSON, "report_place_code": "L:20194"},
        admin_unit_code="L:20194",
        occurred_at="2025-05-05T09:00:00+07:00",
    )
    status, out = embedded.submit("CA-TINH-48", old)
    assert status == 201 and out["status"] == "accepted", out
    today = places.primary_successor("L:20194")

    def register(agency: str) -> dict[str, dict]:
        return {
            c["case_id"]: c for c in embedded.http.get("/v1/cases", headers=embedded.as_agency(agency)).json()
        }

    row = register("SYT-48")["HS-CU"]
    assert (row["province_code"], row["commune_code"]) == ("48", today)
    assert "HS-CU" in register(f"UBND-XA-{today}")
    assert "HS-CU" not in register("SYT-31")


def test_personal_data_is_sealed_before_it_reaches_the_log(embedded):
    secret_name = "Nguyễn Thị Bí Mật"
    embedded.submit("UBND-XA-20242", body("HS-I", personal_data={"full_name": secret_name}))
    log = embedded.services.backend.log
    stored = b"".join(s.data for s in log.scan("events"))
    assert secret_name.encode() not in stored and "Bí Mật".encode() not in stored


def test_a_synthetic_history_is_accepted_except_the_refusals_it_contains(embedded):
    tally = {"accepted": 0, "rejected": 0}
    for agency, sub in cases(5, seed=3):
        status, out = embedded.submit(agency, sub)
        tally[out["status"]] += 1
        assert out["status"] == "accepted" or out["rejection"]["code"] == "wrong_status", out
    assert tally["accepted"] >= 5 * 8
    caseload = embedded.http.get("/v1/views/commune-caseload", headers=embedded.as_agency("DD-111")).json()
    assert sum(r["open_cases"] + r["closed_cases"] for r in caseload) == 5


def test_the_case_register_is_only_for_the_lead_agency_and_communes(embedded):
    embedded.submit("UBND-XA-20242", body("HS-R"))
    for outsider in ("CA-TINH-48", "TGPL-48", "DD-111"):
        assert embedded.http.get("/v1/cases", headers=embedded.as_agency(outsider)).status_code == 403
        assert embedded.http.get("/v1/cases/HS-R", headers=embedded.as_agency(outsider)).status_code == 403
