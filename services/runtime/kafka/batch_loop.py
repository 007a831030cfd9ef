"""A worker's consumer loop on kafka-python: gather a batch, hand it over, commit its offsets, repeat.

The decider and the projector were faust agents. Measured on the write path, faust's per-message
machinery (stream, event and sensor objects over aiokafka's fetcher) cost a worker more CPU than its own
work, while a kafka-python consumer moves the same records for a fraction of either (`lienthong bench`:
the write path's kafka-python ceiling). Neither worker needs what faust adds: they keep no faust tables
and only ever commit after their batch is safely done. So each is this loop, single-threaded apart from
the clients' own I/O threads:

1. gather records until ``batch`` of them are in hand or ``within_s`` has passed since the first;
2. hand them to the worker, which makes them durable (decisions flushed to the log, read-model rows
   committed with their checkpoint) or stops the process;
3. only then commit the offsets, asynchronously (the loop does not wait for the round trip; on a clean
   stop it waits for the last commit).

A crash between 2 and 3, or a commit that is lost, redelivers the batch, and each worker recognises what
it already did (the decider from the log, the projector from its checkpoints). A rebalance happens inside
``poll``, between batches; a revoked partition's handled offsets are forgotten, and so are its records
gathered for the next batch before the rebalance (its next owner reads them again from the last commit).

The worker hears of a revocation once ``poll`` has returned, on the loop's own thread: kafka-python 3 calls
rebalance listeners on its I/O thread, which a listener that blocks would stall.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from lienthong.config import Settings
from lienthong.runtime.kafka.watchdog import ProgressWatchdog

log = logging.getLogger(__name__)
Records = list[tuple[TopicPartition, ConsumerRecord]]
IDLE_POLL_MS = 500  # how long an empty poll waits; a stop request is seen within this


class _OnRevoked(ConsumerRebalanceListener):
    def __init__(self, revoked: Callable[[set[TopicPartition]], None]) -> None:
        self._revoked = revoked

    def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self._revoked(set(revoked))

    def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        log.info("assigned %s", sorted((tp.topic, tp.partition) for tp in assigned))


class BatchLoop:
    def __init__(
        self,
        settings: Settings,
        group_id: str,
        topics: list[str],
        handle: Callable[[Records], None],
        *,
        batch: int,
        within_s: float,
        on_revoked: Callable[[set[TopicPartition]], None] = lambda _: None,
    ) -> None:
        self.group_id = group_id
        self.topics = topics
        self.batch = batch
        self.within_s = within_s
        self._handle = handle
        self._on_revoked = on_revoked
        self._revoked_now: set[TopicPartition] = set()  # revoked inside the last poll
        self._stop = threading.Event()
        self._handled: dict[TopicPartition, OffsetAndMetadata] = {}  # next offset to read, per partition
        self.watchdog = ProgressWatchdog(settings, group_id, topics)
        self.consumer = KafkaConsumer(
            **settings.kafka_client_config(),
            group_id=group_id,
            client_id=group_id,
            enable_auto_commit=False,  # committed once the batch is durable, never before
            auto_offset_reset="earliest",
            max_poll_records=batch,
            # A fetch parked at the broker is not answered the moment a record arrives (measured here at
            # the default 500 ms: decisions up to ~500 ms late, p95 423 ms at 200/s; at 20 ms, p95 37 ms).
            # So a parked fetch waits no longer than the batch window; idle, that is a few empty fetches
            # a second.
            fetch_max_wait_ms=max(10, int(within_s * 1000)),
        )

    def stop(self, *_args: object) -> None:
        self._stop.set()

    def run(self, on_close: Callable[[], None] = lambda: None) -> None:
        """Until :meth:`stop` (SIGTERM/SIGINT when started by :func:`run_until_signalled`)."""
        self._learn_partitions()
        self.consumer.subscribe(self.topics, listener=_OnRevoked(self._revoked))
        self.watchdog.start()
        try:
            while not self._stop.is_set():
                self.once()
        finally:
            # A loop that has ended makes no progress by design; its watchdog must not take that for a
            # stall (in a process that goes on, such as a test run, it would exit the process).
            self.watchdog.stop()
            self._commit_handled()
            self.consumer.close(autocommit=False)
            on_close()

    def _learn_partitions(self) -> None:
        """Have the client's metadata hold every topic's partitions before the loop joins its group.

        Otherwise kafka-python 3 asks for them only when subscribing, and a group leader whose join is
        answered first (a fresh group answers at once) or whose answer was cleared by an older, topic-less
        metadata response (kafka-python's `ClusterMetadata.set_topics` leaves that open) assigns nothing,
        then rejoins as soon as the partitions arrive. A projector was seen to hang in that second
        rebalance: it stopped heartbeating, left its group and read nothing until it was stopped.
        """
        while not self._stop.is_set():
            waiting = [t for t in self.topics if not self.consumer.partitions_for_topic(t)]
            if not waiting:
                return
            log.warning("%s: waiting for the partitions of %s", self.group_id, ", ".join(waiting))
            self._stop.wait(1.0)

    def once(self) -> int:
        """Gather one batch, hand it over, commit. Returns how many records it held."""
        records = self._gather()
        if not records:
            return 0
        self.watchdog.progressed()  # a batch in hand is progress; a long one must not look like a stall
        self._handle(records)
        last: dict[TopicPartition, int] = {}
        for tp, rec in records:  # a partition's records come in offset order
            last[tp] = rec.offset
        for tp, offset in last.items():
            self._handled[tp] = OffsetAndMetadata(offset + 1, "", -1)
        # Asynchronous: the batch is already durable, so waiting for the commit's round trip would only
        # idle the worker. A commit that is lost redelivers batches the worker recognises as done.
        self.consumer.commit_async(offsets=dict(self._handled), callback=_log_failed_commit)
        self.watchdog.progressed()
        return len(records)

    def _commit_handled(self) -> None:
        """On the way out: wait for the handled offsets' commit (a crash skips this; redelivery covers it)."""
        if not self._handled:
            return
        try:
            self.consumer.commit(offsets=dict(self._handled))
        except KafkaError:
            log.warning("final offsets not committed; the next owner redelivers them", exc_info=True)

    def _revoked(self, tps: set[TopicPartition]) -> None:
        # Runs on kafka-python's I/O thread, while this loop waits in poll(): only note it here, and tell
        # the worker once poll() has returned (a listener that blocks stalls the client's I/O).
        for tp in tps:
            self._handled.pop(tp, None)
        self._revoked_now |= tps

    def _gather(self) -> Records:
        records: Records = []
        deadline: float | None = None
        while len(records) < self.batch and not self._stop.is_set():
            wait_ms = IDLE_POLL_MS if deadline is None else int(max(0.0, deadline - time.monotonic()) * 1000)
            fetched = self.consumer.poll(timeout_ms=wait_ms, max_records=self.batch - len(records))
            fetched_records = [(tp, rec) for tp, recs in fetched.items() for rec in recs]
            if self._revoked_now:
                revoked, self._revoked_now = self._revoked_now, set()
                records, fetched_records = self._drop_revoked(revoked, records, fetched_records)
                self._on_revoked(revoked)
            records.extend(fetched_records)
            if records and deadline is None:
                deadline = time.monotonic() + self.within_s
            if deadline is None:
                return records  # idle: let the caller look at its stop flag
            if time.monotonic() >= deadline:
                break
        return records

    def _drop_revoked(
        self, revoked: set[TopicPartition], gathered: Records, fetched: Records
    ) -> tuple[Records, Records]:
        """Leave out what was gathered of revoked partitions: they may be another's now, and handing their
        records over too would handle them twice. A revoked partition assigned again keeps its position in
        kafka-python 3, so it is sought back to its first record left out, and read again from there."""
        first: dict[TopicPartition, int] = {}
        for tp, rec in (*gathered, *fetched):
            if tp in revoked:
                first.setdefault(tp, rec.offset)
        for tp in first.keys() & self.consumer.assignment():
            self.consumer.seek(tp, first[tp])
        return (
            [(tp, rec) for tp, rec in gathered if tp not in first],
            [(tp, rec) for tp, rec in fetched if tp not in first],
        )


def _log_failed_commit(offsets: dict, response: object) -> None:
    if isinstance(response, Exception):
        # The group moved on, or the coordinator is away: whoever reads these partitions next gets the
        # batch again and recognises what was already done.
        log.warning("offsets not committed (%s); they will be redelivered", response)


def run_until_signalled(loop: BatchLoop, on_close: Callable[[], None] = lambda: None) -> None:
    signal.signal(signal.SIGTERM, loop.stop)
    signal.signal(signal.SIGINT, loop.stop)
    loop.run(on_close)
