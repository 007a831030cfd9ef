"""Caseload per commune: open and closed cases, persons, people in identification, identified victims."""

from __future__ import annotations

from lienthong import places
from lienthong.domain import lifecycle as lc
from lienthong.projections.facts import EVENT, Fact
from lienthong.projections.rows import RowSet

TABLE = "commune_caseload"
CASES = "caseload_cases"


class CommuneCaseload:
    name = "commune_caseload"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        if fact.kind != EVENT:
            return []
        return [(CASES, fact.envelope["case_id"]), (TABLE, fact.envelope["admin_unit_code"])]

    def apply(self, rows: RowSet, fact: Fact) -> None:
        if fact.kind != EVENT:
            return
        env = fact.envelope
        case_id = env["case_id"]
        case = rows.get(CASES, case_id)
        if case is None:
            case = {
                "case_id": case_id,
                "unit_code": env["admin_unit_code"],
                "closed": False,
                "has_person": False,
                "status": lc.TIP,
            }
            rows.put(CASES, case_id, case)
        else:
            rows.touch(CASES, case_id)
            self._count(rows, case, -1)
        case["status"] = lc.next_status(case["status"], env["event_type"], fact.record)
        case["has_person"] = case["status"] in lc.PERSON_STATUSES
        case["closed"] = case["closed"] or env["event_type"] == "CaseClosed"
        self._count(rows, case, +1)

    @staticmethod
    def _count(rows: RowSet, case: dict, sign: int) -> None:
        unit = case["unit_code"]
        counts = rows.get_or_create(
            TABLE,
            unit,
            lambda: {
                "unit_code": unit,
                "province_code": places.province_of(unit) or unit,
                "open_cases": 0,
                "closed_cases": 0,
                "persons": 0,
                "in_identification": 0,
                "identified_victims": 0,
            },
        )
        rows.touch(TABLE, unit)
        counts["closed_cases" if case["closed"] else "open_cases"] += sign
        counts["persons"] += sign * case["has_person"]
        counts["in_identification"] += sign * (case["status"] == lc.IN_IDENTIFICATION)
        counts["identified_victims"] += sign * (case["status"] == lc.IDENTIFIED)
