"""Duplicate persons reported by different agencies are found by the documented rules, merged by a data
steward, counted once, and the merge can be undone."""

from __future__ import annotations

import uuid

from lienthong.matching import count_persons, find_candidates, normalise_name
from tests.integration.test_gateway_embedded import PERSON, body


def _report(exchange, agency: str, commune: str, case_id: str, person: dict) -> str:
    ref = str(uuid.uuid4())
    payload = {**PERSON, "report_place_code": commune, "birth_year": 1998}
    status, out = exchange.submit(
        agency,
        body(case_id, payload=payload, admin_unit_code=commune, subject_person_ref=ref, personal_data=person),
    )
    assert status == 201, out
    return ref


def _merge(exchange, case_id: str, surviving: str, merged: list[str], merge_id: str, rule: str) -> None:
    status, out = exchange.submit(
        "SYT-48",
        body(
            case_id,
            "PersonsMerged",
            {
                "merge_id": merge_id,
                "surviving_person_ref": surviving,
                "merged_person_refs": merged,
                "match_rule_code": rule,
            },
            admin_unit_code="48",
            subject_person_ref=surviving,
        ),
    )
    assert status == 201, out


def test_names_match_without_diacritics_case_or_spacing():
    assert normalise_name("Nguyễn Thị  Hoà") == normalise_name("nguyen thi hoa") == "nguyen thi hoa"
    assert normalise_name("Đặng Văn Đức") == "dang van duc"


def test_a_person_reported_by_two_communes_is_found_merged_counted_once_and_can_be_unmerged(embedded):
    same = {"full_name": "Trần Thị Mai", "id_number": "048198001234", "phone": "0905 123 456"}
    a = _report(embedded, "UBND-XA-20242", "20242", "HS-DUP-A", same)
    b = _report(
        embedded,
        "UBND-XA-20257",
        "20257",
        "HS-DUP-B",
        {"full_name": "tran thi mai", "id_number": "048-198-001-234"},
    )
    other = _report(embedded, "UBND-XA-20242", "20242", "HS-OTHER", {"full_name": "Lê Văn Nam"})
    readmodels, keystore = embedded.services.readmodels, embedded.services.keystore
    assert count_persons(readmodels) == 3

    found = find_candidates(readmodels, keystore)
    assert {c.rule for c in found} == {"R1_ID_NUMBER", "R2_NAME_BIRTHYEAR_PROVINCE"}
    assert all(set(c.person_refs) == {a, b} and other not in c.person_refs for c in found)

    _merge(embedded, "HS-DUP-A", a, [b], "M-1", "R1_ID_NUMBER")
    assert count_persons(readmodels) == 2
    assert find_candidates(readmodels, keystore) == []  # already counted as one

    status, out = embedded.submit(
        "SYT-48",
        body(
            "HS-DUP-A",
            "PersonsUnmerged",
            {"merge_id": "M-1", "restored_person_refs": [b], "reason_code": "different_persons"},
            admin_unit_code="48",
            subject_person_ref=a,
        ),
    )
    assert status == 201, out
    assert count_persons(readmodels) == 3


def test_an_erased_person_no_longer_matches_anyone(embedded):
    same = {"full_name": "Phạm Văn Hùng", "id_number": "031090004567"}
    a = _report(embedded, "UBND-XA-20242", "20242", "HS-E-A", same)
    _report(embedded, "UBND-XA-20257", "20257", "HS-E-B", same)
    assert find_candidates(embedded.services.readmodels, embedded.services.keystore)
    embedded.services.keystore.erase(a)
    assert find_candidates(embedded.services.readmodels, embedded.services.keystore) == []


def _needs_for(exchange, case_id: str, ref: str) -> dict:
    payload = {
        "items": [{"item_code": "food", "quantity": 2, "unit": "day"}],
        "amount_vnd": 2 * 70_000,  # 48-SYN-2026-01, food per day
        "rate_ref": "48-SYN-2026-01",
    }
    status, out = exchange.submit(
        "TTCTXH-48",
        body(case_id, "EssentialNeedsProvided", payload, admin_unit_code="48", subject_person_ref=ref),
    )
    return out


def test_a_merge_recorded_on_both_cases_freezes_the_duplicate_and_is_undone_on_both(embedded):
    same = {"full_name": "Võ Thị Lan", "id_number": "048199007777"}
    a = _report(embedded, "UBND-XA-20242", "20242", "HS-M2-A", same)
    b = _report(embedded, "UBND-XA-20257", "20257", "HS-M2-B", same)
    readmodels = embedded.services.readmodels
    assert count_persons(readmodels) == 2
    for case_id in ("HS-M2-B", "HS-M2-A"):  # the duplicate's case first, then the survivor's
        _merge(embedded, case_id, a, [b], "M-2", "R1_ID_NUMBER")
    assert count_persons(readmodels) == 1
    refused = _needs_for(embedded, "HS-M2-B", b)
    assert refused["status"] == "rejected" and refused["rejection"]["code"] == "person_merged_away"
    assert _needs_for(embedded, "HS-M2-A", a)["status"] == "accepted"

    for case_id in ("HS-M2-A", "HS-M2-B"):
        status, out = embedded.submit(
            "SYT-48",
            body(
                case_id,
                "PersonsUnmerged",
                {"merge_id": "M-2", "restored_person_refs": [b], "reason_code": "different_persons"},
                admin_unit_code="48",
                subject_person_ref=a,
            ),
        )
        assert status == 201, out
    assert count_persons(readmodels) == 2
    assert _needs_for(embedded, "HS-M2-B", b)["status"] == "accepted"
