"""The floor under the write path: the domain work a decider must do for each submission, in process.

The kafka-python pipe ceiling moves the same bytes with no domain logic. A decider moves them too and,
in the same process, decodes the submission, decides, records the outcome in the case state and encodes
the event or rejection. Measured alone on the write scenario's own submissions, that work bounds what
the decider can reach whatever its Kafka plumbing: per record, at least the pipe's cost plus this.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

REPS = 3  # best of: the floor is what the code needs, not what a noisy moment gives


def domain_floor(pairs: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """Decode + decide + evolve (+ encode of rejections; events come encoded) per submission, best of REPS."""
    from lienthong.agencies import default_registry
    from lienthong.domain import CaseState, decide, evolve, evolve_rejection
    from lienthong.rules import default_rules
    from lienthong.runtime.records import decode_submission, encode_rejection

    registry = default_registry()
    default_rules()  # loaded before timing, as in a running decider
    best = None
    for _ in range(REPS):
        states: dict[str, CaseState] = {}
        started = time.perf_counter()
        for _key, value in pairs:
            sub = decode_submission(value)
            state = states.get(sub.case_id)
            if state is None:
                state = states[sub.case_id] = CaseState(sub.case_id)
            now = datetime.now(UTC)
            decision = decide(state, sub, registry=registry, recorded_at=now)
            if decision.duplicate_of is not None:
                continue
            if decision.refusal is not None:
                encode_rejection(sub, decision.refusal, now)
                evolve_rejection(state, sub.submission_id, decision.refusal)
            else:
                evolve(state, decision.event, decision.event_hash)
        seconds = time.perf_counter() - started
        best = seconds if best is None else min(best, seconds)
    n = max(1, len(pairs))
    return {
        "submissions": len(pairs),
        "seconds": round(best or 0.0, 3),
        "us_per_submission": 1e6 * (best or 0.0) / n,
        "per_s": n / best if best else 0.0,
        "reps": REPS,
        "method": "decode_submission + decide + evolve in one process, no Kafka; best of reps",
    }


def bound(pipe_per_s: float | None, floor_us: float | None) -> dict[str, Any] | None:
    """The best one decider can do: per record, the pipe's own cost plus the domain floor."""
    if not pipe_per_s or floor_us is None:
        return None
    pipe_us = 1e6 / pipe_per_s
    best = 1e6 / (pipe_us + floor_us)
    return {"pipe_us_per_record": pipe_us, "max_per_s": best, "max_ratio_vs_kafka_python": best / pipe_per_s}
