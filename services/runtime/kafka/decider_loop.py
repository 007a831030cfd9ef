"""The decider worker's consumer loop: a kafka-python group member, one poll, decide, flush, commit.

The decider was a faust agent. Measured on the write path, faust's per-message machinery (its stream,
event and sensor objects over aiokafka's fetcher) cost the decider more CPU than deciding itself, and a
kafka-python consumer moving the same records costs a fraction of either (`lienthong bench`, the write
path's kafka-python ceiling). The decider needs nothing faust adds: it keeps no tables and commits by
hand. So it is a plain loop, single-threaded apart from the clients' own I/O threads:

1. poll submissions (and rejections, to route them to each agency's own topic);
2. decide them and send the decisions, then flush: they are on the log;
3. only then commit the offsets.

A crash between 2 and 3 redelivers the batch; the partition's state, rebuilt from the log on first use,
recognises what was already decided, so nothing is published twice and nothing is lost. A rebalance
happens inside ``poll``, i.e. between batches, after the last one was committed; revoked partitions'
states are dropped and rebuilt from the log if they come back.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterable

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import CommitFailedError

from lienthong.config import Settings
from lienthong.infra.kafka.topics import REJECTIONS, SUBMISSIONS
from lienthong.runtime.kafka.decider import APP_ID, BATCH, WITHIN_S, Decider
from lienthong.runtime.kafka.watchdog import ProgressWatchdog

log = logging.getLogger(__name__)


class _DropRevoked(ConsumerRebalanceListener):
    def __init__(self, decider: Decider) -> None:
        self._decider = decider

    def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self._decider.states.drop({tp.partition for tp in revoked if tp.topic == SUBMISSIONS})

    def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        log.info("decider assigned %s", sorted((tp.topic, tp.partition) for tp in assigned))


def consumer(settings: Settings) -> KafkaConsumer:
    return KafkaConsumer(
        **settings.kafka_client_config(),
        group_id=APP_ID,
        client_id=APP_ID,
        enable_auto_commit=False,  # committed after the batch's decisions are flushed, never before
        auto_offset_reset="earliest",
        max_poll_records=BATCH,
        # Under low load the broker answers a fetch as soon as a record arrives (fetch_min_bytes=1);
        # this only bounds how long an idle fetch is parked.
        fetch_max_wait_ms=max(1, int(WITHIN_S * 1000)),
    )


class DeciderLoop:
    def __init__(self, settings: Settings, decider: Decider | None = None) -> None:
        self.decider = decider or Decider(settings)
        self.consumer = consumer(settings)
        self.watchdog = ProgressWatchdog(settings, APP_ID, [SUBMISSIONS])
        self._stop = threading.Event()

    def stop(self, *_args: object) -> None:
        self._stop.set()

    def run(self) -> None:
        self.consumer.subscribe([SUBMISSIONS, REJECTIONS], listener=_DropRevoked(self.decider))
        self.watchdog.start()
        try:
            while not self._stop.is_set():
                self.once(timeout_ms=500)
        finally:
            self.consumer.close(autocommit=False)
            self.decider.producer.close()

    def once(self, timeout_ms: int) -> int:
        """One poll's worth: decide, route rejections, flush, commit. Returns the records handled."""
        fetched = self.consumer.poll(timeout_ms=timeout_ms, max_records=BATCH)
        if not fetched:
            return 0
        self.watchdog.progressed()  # a batch in hand is progress; a long one must not look like a stall
        submissions = [
            (tp.partition, rec.value)
            for tp, records in fetched.items()
            if tp.topic == SUBMISSIONS
            for rec in records
        ]
        rejections = [
            rec.value for tp, records in fetched.items() if tp.topic == REJECTIONS for rec in records
        ]
        if submissions:
            self.decider.process(submissions)  # flushed inside: the decisions are on the log
        if rejections:
            self.decider.route_rejections(rejections)
        try:
            self.consumer.commit()
        except CommitFailedError:
            # The group moved on while this batch was decided: whoever owns the partitions now gets it
            # again and finds its decisions on the log.
            log.warning("offsets not committed: the group rebalanced during the batch", exc_info=True)
        self.watchdog.progressed()
        return len(submissions) + len(rejections)


def run(settings: Settings) -> None:
    loop = DeciderLoop(settings)
    signal.signal(signal.SIGTERM, loop.stop)
    signal.signal(signal.SIGINT, loop.stop)
    loop.run()
