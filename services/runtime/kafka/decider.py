"""The decider: one writer per partition of the submissions topic (its consumer loop: decider_loop.py).

Per batch: decide each submission against its case state, send the event (with case version and the
previous event's hash) or the rejection to the same partition of the events or rejections topic, and
flush; only then does the loop commit the batch's offsets. A send that cannot be delivered stops the
process before the offsets move, so the batch is decided again after restart.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime

from lienthong import failpoints
from lienthong.agencies import Registry, default_registry
from lienthong.config import Settings
from lienthong.domain import CaseState, decide, evolve, evolve_rejection
from lienthong.infra.kafka.topics import EVENTS, REJECTIONS, agency_rejections_topic
from lienthong.rules import default_rules
from lienthong.runtime.kafka.clients import producer
from lienthong.runtime.kafka.delivery import deliver_or_exit
from lienthong.runtime.kafka.partition_state import PartitionStates
from lienthong.runtime.records import decode_submission, encode_rejection
from lienthong.schemas import SchemaError, decode

log = logging.getLogger(__name__)
APP_ID = "lienthong-decider"
BATCH = int(os.environ.get("LIENTHONG_DECIDER_BATCH", "500"))  # submissions per batch
# How long a batch gathers after its first submission. A batch costs the decider a flush and a commit
# beyond its records, so under low load it is the few submissions that come within this window; under
# high load batches fill to BATCH by themselves while the previous one is being decided.
WITHIN_S = float(os.environ.get("LIENTHONG_DECIDER_WITHIN", "0.02"))
# Each batch is flushed once decided, so no decision waits this out. It only keeps the producer from
# shipping the batch in many small requests while it is being decided (a drain of 60,000 submissions:
# +15% against the 5 ms default, 4 interleaved pairs).
LINGER_MS = 100
# Bigger request batches than the 16 KiB default, and a linger the flush always cuts short. The write
# benchmark's kafka-python pipe sends with the same settings, so its ceiling is tuned as the decider is.
PRODUCER_SETTINGS = {"batch_size": 256 * 1024, "linger_ms": LINGER_MS}
# Processes the domain work is spread over (runtime.kafka.lanes); 1 keeps it in the decider's own.
LANES = int(os.environ.get("LIENTHONG_DECIDER_LANES", "1"))


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


class Decider:
    """Decides batches and routes rejections; the Kafka producer it sends with is its own.

    The domain work is done here, or with ``lanes`` > 1 by that many lane processes (runtime.kafka.lanes).
    """

    def __init__(self, settings: Settings, registry: Registry | None = None, lanes: int = LANES) -> None:
        if lanes > 1:
            from lienthong.runtime.kafka.lanes import Lanes

            self.maker: Decisions | Lanes = Lanes(settings, lanes)
        else:
            self.maker = Decisions(settings, registry)
        self.producer = producer(settings, **PRODUCER_SETTINGS)  # flushed once per batch, not per record

    def process(self, batch: list[tuple[int, bytes, bytes]]) -> None:
        """Decide (partition, key, value) submissions and publish the decisions before returning."""
        send = self.producer.send
        sent = [
            send(topic, key=key, value=value, partition=partition)
            for decided in self.maker.make(batch)
            if decided is not None
            for topic, partition, key, value in (decided,)
        ]
        deliver_or_exit(self.producer, sent, "decisions")
        failpoints.hit("decider.after_flush")  # decisions on the log, offsets not yet committed

    def route_rejections(self, values: list[bytes]) -> None:
        """Copy each rejection to the submitting agency's own topic (its ACL lets it read only that)."""
        sent = []
        for value in values:
            record = decode(value).record
            topic = agency_rejections_topic(record["emitter_agency_code"])
            sent.append(self.producer.send(topic, key=record["submission_id"].encode(), value=value))
        deliver_or_exit(self.producer, sent, "rejections to their agencies")

    def close(self) -> None:
        self.producer.close()
        self.maker.close()
