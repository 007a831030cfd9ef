"""A progress watchdog for the workers: crash-only recovery from a stalled consumer.

faust 0.15.3 / aiokafka 0.14.0 can sit idle forever after the broker restarts (seen here: the
consumer reports "No node available for metadata refresh" once and then never fetches again); the
decider's and projector's kafka-python batch loops (batch_loop.py) keep the same guard. The watchdog
runs in its own thread: when the worker's consumer group has input waiting beyond its committed
offsets and the worker has made no progress for `stall_after` seconds, it exits with status 75 so its
supervisor (compose `restart:`, systemd `Restart=`) starts a fresh process, which resumes from the
committed offsets like after any crash. A loop that ends stops its watchdog.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from lienthong.config import Settings

log = logging.getLogger(__name__)
EXIT_STALLED = 75


class ProgressWatchdog(threading.Thread):
    def __init__(
        self,
        settings: Settings,
        group_id: str,
        topics: list[str],
        *,
        stall_after: float | None = None,
        interval: float = 5.0,
    ) -> None:
        super().__init__(name=f"watchdog-{group_id}", daemon=True)
        self._settings = settings
        self._group_id = group_id
        self._tps = [TopicPartition(t, p) for t in topics for p in range(settings.partitions)]
        self._stall_after = stall_after or float(os.environ.get("LIENTHONG_STALL_AFTER", "120"))
        self._interval = interval
        self._last_progress = time.monotonic()
        self._stopped = threading.Event()

    def progressed(self) -> None:
        self._last_progress = time.monotonic()

    def stop(self) -> None:
        """The worker's loop has ended: its group no longer makes progress here, by design."""
        self._stopped.set()

    def run(self) -> None:
        while not self._stopped.wait(self._interval):
            if time.monotonic() - self._last_progress < self._stall_after:
                continue
            try:
                waiting = self._input_waiting()
            except Exception as err:  # broker unreachable: nothing to judge yet
                log.info("watchdog cannot read offsets yet: %s", err)
                continue
            stalled = time.monotonic() - self._last_progress >= self._stall_after
            if waiting and stalled and not self._stopped.is_set():
                log.critical(
                    "%s: input waiting and no progress for %.0fs; exiting for a clean restart",
                    self._group_id,
                    time.monotonic() - self._last_progress,
                )
                os._exit(EXIT_STALLED)

    def _input_waiting(self) -> bool:
        config = self._settings.kafka_client_config()
        admin = KafkaAdminClient(**config, request_timeout_ms=10_000)
        consumer = KafkaConsumer(**config, group_id=None, request_timeout_ms=10_000)
        try:
            committed = admin.list_group_offsets({self._group_id: None}).get(self._group_id, {})
            ends = consumer.end_offsets(self._tps)
        finally:
            admin.close()
            consumer.close()
        done = {tp: meta.offset for tp, meta in committed.items()}
        return any(end > done.get(tp, 0) for tp, end in ends.items())
