"""The decider: one writer per partition of the submissions topic (its consumer loop: decider_loop.py).

Per batch: decide each submission against its case state (runtime.kafka.decisions, here or in decision
lanes: runtime.kafka.lanes), send the event (with case version and the previous event's hash) or the
rejection to the same partition of the events or rejections topic, and flush; only then does the loop
commit the batch's offsets. A send that cannot be delivered stops the process before the offsets move, so
the batch is decided again after restart.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Protocol

from lienthong import failpoints
from lienthong.agencies import Registry
from lienthong.config import Settings
from lienthong.infra.kafka.topics import agency_rejections_topic
from lienthong.runtime.kafka.clients import producer
from lienthong.runtime.kafka.decisions import Decisions, Outgoing
from lienthong.runtime.kafka.delivery import deliver_or_exit
from lienthong.runtime.kafka.lanes import Lanes
from lienthong.schemas import decode

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


class Submitted(Protocol):
    """A submission as consumed: a ConsumerRecord of the submissions topic, for one."""

    partition: int
    key: bytes
    value: bytes


class Decider:
    """Decides batches and routes rejections; the Kafka producer it sends with is its own.

    The domain work is done here, or with ``lanes`` > 1 by that many lane processes (runtime.kafka.lanes).
    """

    def __init__(self, settings: Settings, registry: Registry | None = None, lanes: int = LANES) -> None:
        self.maker: Decisions | Lanes = Lanes(settings, lanes) if lanes > 1 else Decisions(settings, registry)
        self.producer = producer(settings, **PRODUCER_SETTINGS)  # flushed once per batch, not per record

    def process(self, batch: Sequence[Submitted]) -> None:
        """Decide a batch and publish the decisions; they are on the log when this returns."""
        if batch:
            self._publish(self.maker.make([(sub.partition, sub.key, sub.value) for sub in batch]))

    def revoked(self, partitions: set[int]) -> None:
        """Forget the states of partitions that are no longer this decider's."""
        self.maker.drop(partitions)

    def _publish(self, decided: list[Outgoing | None]) -> None:
        send = self.producer.send
        sent = [
            send(topic, key=key, value=value, partition=partition)
            for outgoing in decided
            if outgoing is not None
            for topic, partition, key, value in (outgoing,)
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
