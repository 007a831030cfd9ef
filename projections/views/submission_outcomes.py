"""The first outcome of each submission, which the gateway answers from in the Kafka runtime."""

from __future__ import annotations

from lienthong.projections.facts import EVENT, Fact
from lienthong.projections.rows import RowSet

TABLE = "submission_outcomes"


class SubmissionOutcomes:
    name = "submission_outcomes"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        return [(TABLE, _submission_id(fact))]

    def apply(self, rows: RowSet, fact: Fact) -> None:
        submission_id = _submission_id(fact)
        if rows.get(TABLE, submission_id) is not None:
            return  # the first outcome stands
        r = fact.record
        if fact.kind == EVENT:
            env = r["envelope"]
            row = {
                "submission_id": submission_id,
                "case_id": env["case_id"],
                "emitter_agency_code": env["emitter_agency_code"],
                "event_type": env["event_type"],
                "status": "accepted",
                "event_id": env["event_id"],
                "case_version": env["case_version"],
                "code": None,
                "field": None,
                "message_vi": None,
                "message_en": None,
                "decided_at": env["recorded_at"],
            }
        else:
            row = {
                "submission_id": submission_id,
                "case_id": r["case_id"],
                "emitter_agency_code": r["emitter_agency_code"],
                "event_type": r["event_type"],
                "status": "rejected",
                "event_id": None,
                "case_version": None,
                "code": r["code"],
                "field": r["field"],
                "message_vi": r["message_vi"],
                "message_en": r["message_en"],
                "decided_at": r["rejected_at"],
            }
        rows.put(TABLE, submission_id, row)


def _submission_id(fact: Fact) -> str:
    return fact.envelope["submission_id"] if fact.kind == EVENT else fact.record["submission_id"]
