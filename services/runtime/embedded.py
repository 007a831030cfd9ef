"""The embedded runtime: the same decider and projections in one process over a SQLite event log.

One lock serialises decisions (the single writer); the database's unique constraints back it up.
Projections are brought up to date after every append, so a submission's outcome is readable at once.

Group commit: concurrent callers queue their submissions; whoever holds the lock decides everything
queued so far in arrival order, appends it in one transaction (one durable sync) and projects it in one
batch, then wakes the others with their outcomes. One caller alone is a batch of one, as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio

from lienthong.agencies import Registry
from lienthong.domain import CaseState, Submission, decide, evolve, evolve_rejection
from lienthong.domain.model import Outcome
from lienthong.projections.facts import EVENT, REJECTION, Fact
from lienthong.projections.runner import Projector
from lienthong.runtime.eventlog import EventLog
from lienthong.runtime.records import encode_rejection
from lienthong.schemas import decode

SOURCE_PREFIX = "embedded."


@dataclass(slots=True)
class _Pending:
    sub: Submission
    outcome: Outcome | None = None
    error: BaseException | None = None

    @property
    def done(self) -> bool:  # read under the exchange's lock, which the committing caller holds throughout
        return self.outcome is not None or self.error is not None


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
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._states: OrderedDict[str, CaseState] = OrderedDict()
        self._cache_size = cache_size
        self.catch_up()

    async def accept(self, sub: Submission) -> Outcome:
        """:meth:`submit` from an event loop: on a worker thread, so that concurrent requests queue
        together and share one commit (the group commit needs them to arrive from several threads)."""
        return await anyio.to_thread.run_sync(self.submit, sub)

    def submit(self, sub: Submission) -> Outcome:
        """Decide and record one submission; returns its (first) outcome."""
        pending = _Pending(sub)
        with self._queue_lock:
            self._queue.append(pending)
        with self._lock:
            if not pending.done:  # nobody committed it while we waited: commit all that is queued
                self._commit_queued()
        if pending.error is not None:
            raise pending.error
        assert pending.outcome is not None
        return pending.outcome

    def _commit_queued(self) -> None:
        with self._queue_lock:
            batch, self._queue = self._queue, []
        try:
            self._commit(batch)
        except Exception:
            # Nothing of the batch was recorded: forget the states it changed, then retry one by one so
            # one bad submission fails alone (one already recorded comes back as its duplicate).
            for pending in batch:
                self._states.pop(pending.sub.case_id, None)
            for pending in batch:
                try:
                    self._commit([pending])
                except Exception as exc:
                    self._states.pop(pending.sub.case_id, None)
                    pending.error = exc
        finally:
            for pending in batch:
                if not pending.done:
                    pending.error = RuntimeError("the submission was not committed; send it again")

    def _commit(self, batch: list[_Pending]) -> None:
        entries: list[tuple[str, dict]] = []
        decided: list[tuple[_Pending, CaseState]] = []
        for pending in batch:
            sub = pending.sub
            state = self._state(sub.case_id)
            now = self._clock()
            decision = decide(state, sub, registry=self.registry, recorded_at=now)
            if decision.duplicate_of is not None:
                pending.outcome = decision.duplicate_of
                continue
            if decision.refusal is not None:
                row = {
                    "submission_id": sub.submission_id,
                    "case_id": sub.case_id,
                    "emitter_agency_code": sub.emitter_agency_code,
                    "data": encode_rejection(sub, decision.refusal, now),
                }
                entries.append(("rejections", row))
                evolve_rejection(state, sub.submission_id, decision.refusal)
            else:
                env = decision.event["envelope"]
                row = {
                    "case_id": sub.case_id,
                    "case_version": env["case_version"],
                    "event_id": env["event_id"],
                    "submission_id": sub.submission_id,
                    "event_type": sub.event_type,
                    "recorded_at": now,
                    "data": decision.data,
                    "event_hash": decision.event_hash,
                }
                entries.append(("events", row))
                evolve(state, decision.event, decision.event_hash)
            decided.append((pending, state))
        self.log.append_many(entries)
        for pending, state in decided:
            pending.outcome = state.outcomes[pending.sub.submission_id]
        self.catch_up()

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
