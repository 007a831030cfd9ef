"""The decider's domain work on a batch: submissions in, the records to publish out, in order.

No Kafka client of its own but the replay's (runtime.kafka.partition_state); the decider (or each of its
decision lanes, runtime.kafka.lanes) publishes what it returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from lienthong.agencies import Registry, default_registry
from lienthong.config import Settings
from lienthong.domain import CaseState, decide, evolve, evolve_rejection
from lienthong.infra.kafka.topics import EVENTS, REJECTIONS
from lienthong.rules import default_rules
from lienthong.runtime.kafka.partition_state import PartitionStates
from lienthong.runtime.records import decode_submission, encode_rejection
from lienthong.schemas import SchemaError

log = logging.getLogger(__name__)

Outgoing = tuple[str, int, bytes, bytes]  # topic, partition, key, value: one decision to publish


class Decisions:
    """The decider's domain work: a batch of submissions in, the records to publish out, in order.

    Keeps the case states of the partitions it has seen (only the cases `keep` accepts, when given),
    rebuilt from the log on a partition's first use.
    """

    def __init__(
        self, settings: Settings, registry: Registry | None = None, keep: Callable[[str], bool] | None = None
    ) -> None:
        self.registry = registry or default_registry()
        default_rules()  # validated at start, not at the first submission
        self.states = PartitionStates(settings, keep)

    @property
    def on_progress(self) -> Callable[[], None]:
        return self.states.on_progress

    @on_progress.setter
    def on_progress(self, tell: Callable[[], None]) -> None:
        self.states.on_progress = tell

    def drop(self, partitions: set[int]) -> None:
        self.states.drop(partitions)

    def make(self, batch: list[tuple[int, bytes, bytes]]) -> list[Outgoing | None]:
        """One entry per (partition, key, value) submission: what to publish, or None for a duplicate
        (already decided) or an undecodable record."""
        by_partition: dict[int, dict[str, CaseState]] = {}  # each partition's case states, looked up once
        out: list[Outgoing | None] = []
        for partition, _key, value in batch:
            try:
                sub = decode_submission(value)
            except SchemaError:
                # Only the exchange's own doors write here; an undecodable record is a defect, kept visible.
                log.error("undecodable submission on partition %d left undecided", partition, exc_info=True)
                out.append(None)
                continue
            cases = by_partition.get(partition)
            if cases is None:
                cases = by_partition[partition] = self.states.cases(partition)
            state = cases.get(sub.case_id) or cases.setdefault(sub.case_id, CaseState(sub.case_id))
            now = datetime.now(UTC)
            decision = decide(state, sub, registry=self.registry, recorded_at=now)
            if decision.duplicate_of is not None:
                out.append(None)
            elif decision.refusal is not None:
                rejection = encode_rejection(sub, decision.refusal, now)
                out.append((REJECTIONS, partition, sub.case_id.encode(), rejection))
                evolve_rejection(state, sub.submission_id, decision.refusal)
            else:
                out.append((EVENTS, partition, sub.case_id.encode(), decision.data))
                evolve(state, decision.event, decision.event_hash)
        return out

    def close(self) -> None:
        """Nothing to release: the states live in this process."""
