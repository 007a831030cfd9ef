"""One-offs across merged duplicates, the rules that decide and replay alike, and essential-needs and
travel amounts at the provincial rate. Tests are named after the legal basis they enforce. Pure core."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from lienthong.domain import CaseState, evolve
from lienthong.rules import Rules, default_rules
from lienthong.schemas import Catalogue, decode, encode, stamp_envelope
from tests.unit.domain_kit import History, at, l2024_victim, needs, paid

DAY = "2026-03-02"
COURSE = default_rules().rate("48", "vocational_training", at(DAY).date())


def _course(**extra) -> dict:
    return paid("vocational_training", COURSE.amount_vnd, COURSE.rate_table_id, units=1, **extra)


def _merge(merged_one_offs: list[dict], merge_id: str = "M-1", merged: str = "P-2") -> dict:
    return {
        "merge_id": merge_id,
        "surviving_person_ref": "P-1",
        "merged_person_refs": [merged],
        "match_rule_code": "R1_ID_NUMBER",
        "merged_one_offs": merged_one_offs,
    }


def _unmerge(merge_id: str = "M-1", restored: tuple[str, ...] = ("P-2",)) -> dict:
    return {"merge_id": merge_id, "restored_person_refs": list(restored), "reason_code": "different_persons"}


def _paid_course_to_p2() -> History:
    """The same woman, reported again in a second case as P-2, already paid the one-off course there."""
    b = l2024_victim("HS-B")
    b.state.persons["P-2"] = b.state.persons.pop("P-1")  # the duplicate ref of case B
    b.state.persons["P-2"].ref = b.state.person_ref = "P-2"
    b.ok("SYT-48", "SupportPaid", _course(), when=at(DAY, 17), unit="48", subject_person_ref="P-2")
    return b


COURSE_PAID_TO_P2 = {
    "paid_person_ref": "P-2",
    "support_type": "vocational_training",
    "paid_on": DAY,
    "case_id": "HS-B",
}

# -- a one-off is paid once per person, merges included (ND162/2025 Art24; ND09/2013 Art23) ----------


def test_ND162_2025_Art24_a_one_off_paid_under_a_merged_ref_is_not_paid_again_to_the_survivor():
    b = _paid_course_to_p2()
    b.ok("SYT-48", "PersonsMerged", _merge([COURSE_PAID_TO_P2]), when=at(DAY, 18), unit="48")
    a = l2024_victim("HS-A")
    a.ok("SYT-48", "PersonsMerged", _merge([COURSE_PAID_TO_P2]), when=at(DAY, 18), unit="48")
    refusal = a.refused(
        "already_paid_under_merge", "SYT-48", "SupportPaid", _course(), when=at(DAY, 19), unit="48"
    )
    assert refusal.field == "payload.support_type"
    for text in (refusal.message_vi, refusal.message_en):
        assert "P-2" in text and "HS-B" in text and "M-1" in text and "ND162/2025 Art24" in text
    # a merge that carried nothing (v1, or nothing paid) leaves the survivor's one-offs alone
    other = l2024_victim("HS-C")
    other.ok("SYT-48", "PersonsMerged", _merge([], "M-2"), when=at(DAY, 18), unit="48")
    other.ok("SYT-48", "SupportPaid", _course(), when=at(DAY, 19), unit="48")


def test_ND162_2025_Art24_undoing_the_merge_gives_the_survivor_back_its_own_one_offs():
    a = l2024_victim("HS-A")
    a.ok("SYT-48", "PersonsMerged", _merge([COURSE_PAID_TO_P2]), when=at(DAY, 18), unit="48")
    a.ok("SYT-48", "PersonsUnmerged", _unmerge(), when=at(DAY, 19), unit="48")
    assert a.state.merges == {}
    a.ok("SYT-48", "SupportPaid", _course(), when=at(DAY, 20), unit="48")
    a.refused("already_paid_once", "SYT-48", "SupportPaid", _course(), when=at(DAY, 21), unit="48")


def test_a_partial_unmerge_keeps_the_one_offs_of_the_refs_still_merged():
    a = l2024_victim("HS-A")
    payload = {
        **_merge([COURSE_PAID_TO_P2]),
        "merged_person_refs": ["P-2", "P-3"],
    }
    a.ok("SYT-48", "PersonsMerged", payload, when=at(DAY, 18), unit="48")
    a.ok("SYT-48", "PersonsUnmerged", _unmerge(restored=("P-3",)), when=at(DAY, 19), unit="48")
    assert a.state.merges["M-1"].merged_refs == {"P-2"}
    a.refused("already_paid_under_merge", "SYT-48", "SupportPaid", _course(), when=at(DAY, 20), unit="48")
    a.ok("SYT-48", "PersonsUnmerged", _unmerge(restored=()), when=at(DAY, 21), unit="48")  # none named: all
    a.ok("SYT-48", "SupportPaid", _course(), when=at(DAY, 22), unit="48")


def test_a_merged_away_ref_receives_no_support_in_its_case_until_unmerged():
    b = _paid_course_to_p2()
    b.ok("SYT-48", "PersonsMerged", _merge([COURSE_PAID_TO_P2]), when=at(DAY, 18), unit="48")
    refusal = b.refused(
        "person_merged_away", "TTCTXH-48", "EssentialNeedsProvided", needs(), when=at(DAY, 19), unit="48"
    )
    assert refusal.field == "subject_person_ref" and "P-1" in refusal.message_en
    b.refused(
        "person_merged_away",
        "SYT-48",
        "SupportPaid",
        paid("initial_hardship", 3_000_000, "48-SYN-2026-01"),
        when=at(DAY, 19),
        unit="48",
        subject_person_ref="P-2",
    )
    b.ok("SYT-48", "PersonsUnmerged", _unmerge(), when=at(DAY, 20), unit="48")
    b.ok("TTCTXH-48", "EssentialNeedsProvided", needs(), when=at(DAY, 21), unit="48")


def test_a_merge_recorded_where_a_one_off_was_paid_must_carry_it():
    b = _paid_course_to_p2()
    refusal = b.refused(
        "merge_one_offs_incomplete", "SYT-48", "PersonsMerged", _merge([]), when=at(DAY, 18), unit="48"
    )
    assert refusal.field == "payload.merged_one_offs"
    assert "vocational_training" in refusal.message_vi and "P-2" in refusal.message_en


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"paid_person_ref": "P-9"}, "payload.merged_one_offs[0].paid_person_ref"),
        ({"support_type": "free_lunch"}, "payload.merged_one_offs[0].support_type"),
        ({"paid_on": "2026-03-09"}, "payload.merged_one_offs[0].paid_on"),
    ],
)
def test_the_one_offs_a_merge_carries_name_a_merged_ref_a_support_type_and_a_past_day(change, field):
    a = l2024_victim("HS-A")
    refusal = a.refused(
        "invalid_field",
        "SYT-48",
        "PersonsMerged",
        _merge([{**COURSE_PAID_TO_P2, **change}]),
        when=at(DAY, 18),
        unit="48",
    )
    assert refusal.field == field and field in refusal.message_en


def test_a_v1_persons_merged_is_read_as_v2_carrying_no_one_offs():
    v1, v2 = Catalogue.default().versions("PersonsMerged")
    a = l2024_victim("HS-A")
    event = a.ok("SYT-48", "PersonsMerged", _merge([]), when=at(DAY, 18), unit="48")
    old = stamp_envelope(v1, {k: v for k, v in event.items() if k != "merged_one_offs"})
    decoded = decode(encode(v1, old))
    assert decoded.writer is v1 and decoded.schema is v2 and decoded.record["merged_one_offs"] == []
    replayed = evolve(CaseState("HS-A"), decoded.record, "h")
    assert replayed.merges["M-1"].one_offs == ()


# -- the rules that decide are the rules that replay ----------------------------------------------------

OVERLAY = """
[overlay]
province_code = "48"
legal_basis = "SYNTHETIC test overlay"

[[entitlements]]
support_type = "vocational_training"
statuses = ["victim"]
regime = "L2024"
one_off = false
valid_from = 2025-07-01
legal_basis = "SYNTHETIC: a province that pays a second course"
"""


@pytest.fixture(scope="module")
def second_course_rules(tmp_path_factory: pytest.TempPathFactory) -> Rules:
    path: Path = tmp_path_factory.mktemp("overlay") / "48.toml"
    path.write_text(OVERLAY, encoding="utf-8")
    return Rules.load(overlays=[path])


def test_a_province_overlay_decides_and_replays_alike(second_course_rules: Rules):
    h = l2024_victim()
    h.rules = second_course_rules
    h.ok("SYT-48", "SupportPaid", _course(), when=at(DAY, 17), unit="48")
    h.ok("SYT-48", "SupportPaid", _course(), when=at(DAY, 18), unit="48")  # not a one-off in this province
    replayed = CaseState(h.case_id)
    for decision in h.decisions:
        evolve(replayed, decode(decision.data).record, decision.event_hash, rules=second_course_rules)
    assert replayed.persons["P-1"].one_offs == h.state.persons["P-1"].one_offs == {}
    assert replayed.version == h.state.version
    # the packaged rules read the same history as one course paid already
    packaged = CaseState(h.case_id)
    for decision in h.decisions[:5]:
        evolve(packaged, decode(decision.data).record, decision.event_hash)
    assert "vocational_training" in packaged.persons["P-1"].one_offs


# -- essential needs and travel at the provincial rate (ND162/2025 Art17; TT84/2019) ------------------

FOOD = default_rules().rate("48", "essential_needs", at(DAY).date(), item="food")
CLOTHING = default_rules().rate("48", "essential_needs", at(DAY).date(), item="clothing_personal_items")
MEALS = default_rules().rate("48", "travel_home", at(DAY).date(), item="meals")


def _needs(items: list[tuple[str, int]], amount: int, **extra) -> dict:
    return {
        "items": [{"item_code": code, "quantity": n, "unit": "day"} for code, n in items],
        "amount_vnd": amount,
        "rate_ref": FOOD.rate_table_id,
        **extra,
    }


@pytest.mark.parametrize(
    ("payload", "when", "outcome", "field"),
    [
        (_needs([("food", 5)], FOOD.amount_vnd * 5), DAY, None, None),
        (
            _needs(
                [("meal_day", 3), ("clothing_personal_items", 2)], FOOD.amount_vnd * 3 + CLOTHING.amount_vnd
            ),
            DAY,
            None,
            None,
        ),
        (_needs([("food", 5)], FOOD.amount_vnd * 5 + 1), DAY, "rate_mismatch", "payload.amount_vnd"),
        (_needs([("food", 121)], FOOD.amount_vnd * 121), DAY, "rate_mismatch", "payload.amount_vnd"),
        (_needs([("food", 5)], 1, exception_ref="12/QĐ-UBND"), DAY, None, None),
        (
            {**_needs([("food", 5)], FOOD.amount_vnd * 5), "rate_ref": None},
            DAY,
            "missing_rate_ref",
            "payload.rate_ref",
        ),
        (
            {**_needs([("food", 5)], FOOD.amount_vnd * 5), "rate_ref": "48-SYN-2025-07"},
            DAY,
            "wrong_rate_table",
            "payload.rate_ref",
        ),
        (_needs([("hygiene_kit", 1)], 90_000), DAY, "item_not_in_rate_table", "payload.items[0].item_code"),
        (_needs([("food", 5)], FOOD.amount_vnd * 5), "2027-01-04", "no_rate_in_force", None),
    ],
)
def test_ND162_2025_Art17_essential_needs_are_provided_at_the_provincial_rate_in_force(
    payload, when, outcome, field
):
    h = l2024_victim(day="2026-12-30" if when.startswith("2027") else DAY)
    decision = h.submit("TTCTXH-48", "EssentialNeedsProvided", payload, when=at(when, 17), unit="48")
    if outcome is None:
        assert decision.event is not None, decision.refusal
        assert decision.event["exception_ref"] == payload.get("exception_ref")
    else:
        assert decision.refusal is not None and decision.refusal.code == outcome, decision.refusal
        assert decision.refusal.field == field


def test_Circular84_2019_essential_needs_abroad_follow_the_fund_formula_not_a_provincial_table():
    h = l2024_victim()
    h.ok(
        "DSQ-KH", "EssentialNeedsProvided", {"items": [], "amount_vnd": 777_000}, when=at(DAY, 17), unit="VN"
    )


def _travel(meal_days: int, amount: int, table: str | None = None, **extra) -> dict:
    return {
        "route_from_code": "48",
        "route_to_code": "20242",
        "ticket_amount_vnd": 450_000,
        "meal_days": meal_days,
        "amount_vnd": amount,
        "fund": "state_budget",
        "rate_table_id": table or MEALS.rate_table_id,
        "voucher_no": "PC-7",
        **extra,
    }


@pytest.mark.parametrize(
    ("payload", "outcome", "field"),
    [
        (_travel(2, 450_000 + 2 * MEALS.amount_vnd), None, None),
        (_travel(2, 450_000 + 2 * 80_000), "rate_mismatch", "payload.amount_vnd"),
        (
            _travel(2, 450_000 + 2 * MEALS.amount_vnd, "48-SYN-2025-07"),
            "wrong_rate_table",
            "payload.rate_table_id",
        ),
        ({**_travel(2, 450_000), "rate_table_id": None}, "missing_rate_ref", "payload.rate_table_id"),
        (_travel(2, 1_000_000, exception_ref="7/QĐ-UBND"), None, None),
    ],
)
def test_L53_2024_travel_home_meals_are_paid_at_the_provincial_rate_and_tickets_at_their_price(
    payload, outcome, field
):
    h = l2024_victim()
    decision = h.submit("SYT-48", "TravelCostPaid", payload, when=at(DAY, 17), unit="48")
    if outcome is None:
        assert decision.event is not None, decision.refusal
    else:
        assert decision.refusal is not None and decision.refusal.code == outcome, decision.refusal
        assert decision.refusal.field == field


def test_rate_refusals_name_the_field_in_both_languages():
    h = l2024_victim()
    refusal = h.refused(
        "missing_rate_ref",
        "TTCTXH-48",
        "EssentialNeedsProvided",
        {**needs(), "rate_ref": None},
        when=at(DAY) + timedelta(hours=8),
        unit="48",
    )
    assert "payload.rate_ref" in refusal.message_vi and "payload.rate_ref" in refusal.message_en
    assert FOOD.rate_table_id in refusal.message_en
