"""The embedded runtime: the same decider and projections in one process over a SQLite event log.

One lock serialises decisions (the single writer); the database's unique constraints back it up.
Projections are brought up to date after every append, so a submission's outcome is readable at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from lienthong.agencies import Registry
from lienthong.domain import CaseState, Submission, decide, evolve, evolve_rejection
from lienthong.domain.model import Outcome
from lienthong.projections.facts import EVENT, REJECTION, Fact
from lienthong.projections.runner import Projector
from lienthong.runtime.eventlog import EventLog
from lienthong.runtime.records import encode_rejection
from lienthong.schemas import decode

SOURCE_PREFIX = "embedded."


class EmbeddedExchange:
    kind = "embedded"

    def __init__(
        self,
        log: EventLog,
        projector: Projector,
        registry: Registry,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cache_size: int = 20_000,
    ) -> None:
        self.log = log
        self.projector = projector
        self.registry = registry
        self._clock = clock
        self._lock = threading.RLock()
        self._states: OrderedDict[str, CaseState] = OrderedDict()
        self._cache_size = cache_size
        self.catch_up()

    def submit(self, sub: Submission) -> Outcome:
        """Decide and record one submission; returns its (first) outcome."""
        with self._lock:
            state = self._state(sub.case_id)
            now = self._clock()
            decision = decide(state, sub, registry=self.registry, recorded_at=now)
            if decision.duplicate_of is not None:
                return decision.duplicate_of
            if decision.refusal is not None:
                self.log.append_rejection(
                    submission_id=sub.submission_id,
                    case_id=sub.case_id,
                    emitter_agency_code=sub.emitter_agency_code,
                    data=encode_rejection(sub, decision.refusal, now),
                )
                evolve_rejection(state, sub.submission_id, decision.refusal)
            else:
                env = decision.event["envelope"]
                self.log.append_event(
                    case_id=sub.case_id,
                    case_version=env["case_version"],
                    event_id=env["event_id"],
                    submission_id=sub.submission_id,
                    event_type=sub.event_type,
                    recorded_at=now,
                    data=decision.data,
                    event_hash=decision.event_hash,
                )
                evolve(state, decision.event, decision.event_hash)
            self.catch_up()
            return state.outcomes[sub.submission_id]

    def catch_up(self, batch: int = 2000) -> int:
        """Apply to the read models whatever the log holds beyond their checkpoints."""
        applied = 0
        with self._lock:
            done = self.projector.checkpoints()
            for source, kind in (("events", EVENT), ("rejections", REJECTION)):
                after = done.get((SOURCE_PREFIX + source, 0), 0)
                while chunk := self.log.read(source, after, batch):
                    applied += self.projector.apply(
                        [
                            Fact(SOURCE_PREFIX + source, 0, s.position, kind, decode(s.data).record)
                            for s in chunk
                        ]
                    )
                    after = chunk[-1].position
        return applied

    def case_state(self, case_id: str) -> CaseState:
        with self._lock:
            return self._state(case_id)

    def _state(self, case_id: str) -> CaseState:
        state = self._states.get(case_id)
        if state is not None:
            self._states.move_to_end(case_id)
            return state
        state = CaseState(case_id)
        for kind, data, event_hash in self.log.case_history(case_id):
            record = decode(data).record
            if kind == "event":
                evolve(state, record, event_hash)
            else:
                state.outcomes[record["submission_id"]] = Outcome(False, refusal_code=record["code"])
        self._states[case_id] = state
        if len(self._states) > self._cache_size:
            self._states.popitem(last=False)
        return state
