"""Replay generated submissions through the pure decider (no gateway, no log) and compare each outcome
with the one the generator planned. Used by the tests and by `python -m lienthong.generator.verify`."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from lienthong.agencies import default_registry
from lienthong.domain import CaseState, Submission, decide, evolve, evolve_rejection


def outcomes(submissions: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(agency, body, outcome) for each submission: "accepted" or "rejected:<code>", as the decider says."""
    for agency, body, outcome, _ in judged(submissions):
        yield agency, body, outcome


def judged(
    submissions: Iterable[tuple[str, dict[str, Any]]],
) -> Iterator[tuple[str, dict[str, Any], str, dict[str, Any] | None]]:
    """(agency, body, outcome, event): the decider's outcome and, when it accepted, the event it made."""
    registry = default_registry()
    states: dict[str, CaseState] = {}
    for agency, body in submissions:
        state = states.get(body["case_id"])
        if state is None:
            state = states[body["case_id"]] = CaseState(body["case_id"])
        occurred = datetime.fromisoformat(body["occurred_at"]).astimezone(UTC)
        sub = Submission(
            submission_id=body["submission_id"],
            case_id=body["case_id"],
            event_type=body["event_type"],
            emitter_agency_code=agency,
            occurred_at=occurred,
            submitted_at=occurred,
            admin_unit_code=body["admin_unit_code"],
            actor_pseudonym=body["actor"],
            payload=body["payload"],
            expected_version=body.get("expected_version"),
            legal_basis=body.get("legal_basis"),
            subject_person_ref=body.get("subject_person_ref"),
            consent_ref=body.get("consent_ref"),
        )
        decision = decide(state, sub, registry=registry, recorded_at=occurred + timedelta(minutes=1))
        if decision.duplicate_of is not None:
            first = decision.duplicate_of
            outcome = "accepted" if first.accepted else f"rejected:{first.refusal_code}"
        elif decision.event is not None:
            evolve(state, decision.event, decision.event_hash or "")
            outcome = "accepted"
        else:
            assert decision.refusal is not None
            evolve_rejection(state, sub.submission_id, decision.refusal)
            outcome = f"rejected:{decision.refusal.code}"
        yield agency, body, outcome, decision.event


def mismatches(submissions: Iterable[tuple[str, dict[str, Any]]]) -> tuple[int, Counter, list[tuple]]:
    """How many submissions, the (event type, planned, decided) counts that differ, and a few examples."""
    total = 0
    counts: Counter = Counter()
    examples: list[tuple] = []
    for agency, body, outcome in outcomes(submissions):
        total += 1
        if outcome != body.get("_expect"):
            key = (body["event_type"], body.get("_expect"), outcome)
            counts[key] += 1
            if counts[key] <= 2:
                examples.append((agency, body, outcome))
    return total, counts, examples


def main(argv: list[str]) -> int:
    from lienthong.generator import generate

    events = int(argv[1]) if len(argv) > 1 else 20_000
    seed = int(argv[2]) if len(argv) > 2 else 7
    total, counts, examples = mismatches(generate(events, seed))
    print(f"{total} submissions, {sum(counts.values())} outcomes differ from the plan")
    for (event_type, planned, decided), n in counts.most_common():
        print(f"  {n:6d}  {event_type}: planned {planned}, decider {decided}")
    for agency, body, outcome in examples[:10]:
        print(
            agency, outcome, {k: body[k] for k in ("case_id", "event_type", "occurred_at", "admin_unit_code")}
        )
    return 1 if counts else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
