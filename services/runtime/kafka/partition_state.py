"""Decider state per partition, rebuilt from the log itself (events + rejections) on first use.

The log, not a changelog, is the decider's memory: whatever reached the events or rejections topic
before a crash is found again here, so a redelivered submission is recognised as already decided and
nothing is published twice; whatever did not reach it is decided again, so nothing is lost.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable

from kafka import TopicPartition

from lienthong.config import Settings
from lienthong.domain import CaseState, evolve
from lienthong.domain.model import Outcome
from lienthong.infra.kafka.topics import EVENTS, REJECTIONS
from lienthong.runtime.kafka.clients import reader
from lienthong.schemas import decode

log = logging.getLogger(__name__)


class PartitionStates:
    def __init__(self, settings: Settings, keep: Callable[[str], bool] | None = None) -> None:
        self._settings = settings
        self._keep = keep  # which cases of a partition this process decides (decision lanes); None: all
        # Told after each fetch of a replay that brought records: a long replay is progress, not a stall.
        self.on_progress: Callable[[], None] = lambda: None
        self._lock = threading.Lock()
        self._states: dict[int, dict[str, CaseState]] = {}

    def cases(self, partition: int) -> dict[str, CaseState]:
        with self._lock:
            cases = self._states.get(partition)
        if cases is None:
            cases = replay_partition(self._settings, partition, self.on_progress, self._keep)
            with self._lock:
                self._states[partition] = cases
        return cases

    def drop(self, partitions: set[int]) -> None:
        """Forget partitions this worker no longer owns; they are rebuilt if they come back."""
        with self._lock:
            for p in partitions:
                self._states.pop(p, None)


def replay_partition(
    settings: Settings,
    partition: int,
    on_progress: Callable[[], None] = lambda: None,
    keep: Callable[[str], bool] | None = None,
) -> dict[str, CaseState]:
    consumer = reader(settings)
    try:
        tps = [TopicPartition(EVENTS, partition), TopicPartition(REJECTIONS, partition)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        cases: dict[str, CaseState] = {}
        count = 0
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            fetched = consumer.poll(timeout_ms=500, max_records=5000)
            for tp, records in fetched.items():
                for rec in records:
                    if rec.offset >= ends[tp]:
                        continue
                    count += 1
                    record = decode(rec.value).record
                    case_id = record["envelope"]["case_id"] if tp.topic == EVENTS else record["case_id"]
                    if keep is not None and not keep(case_id):
                        continue
                    state = cases.setdefault(case_id, CaseState(case_id))
                    if tp.topic == EVENTS:
                        evolve(state, record, hashlib.sha256(rec.value).hexdigest())
                    else:
                        state.outcomes.setdefault(
                            record["submission_id"], Outcome(False, refusal_code=record["code"])
                        )
            if fetched:  # an empty fetch is no progress: a replay that cannot read is a stall
                on_progress()
        log.info(
            "decider state for partition %d rebuilt from %d records (%d cases)", partition, count, len(cases)
        )
        return cases
    finally:
        consumer.close()
