"""A progress watchdog for the workers: crash-only recovery from a stalled consumer.

faust 0.15.3 / aiokafka 0.14.0 can sit idle forever after the broker restarts (seen here: the
consumer reports "No node available for metadata refresh" once and then never fetches again); the
decider's and projector's kafka-python batch loops (batch_loop.py) keep the same guard. The watchdog
runs in its own thread. Whenever its worker has been idle for a check interval, it looks at the
group's committed offsets against the log's end. Input seen waiting on a partition is a suspicion, not
a stall: it is a stall only when, ``stall_after`` seconds later, that partition's committed offset has
not moved and this worker has made no progress since. So input that arrives after a long quiet spell,
or that another member of the group is working through, is never taken for a stall.

On a stall it logs the partitions and every thread's stack (where the worker is stuck), then exits with
status 75 so its supervisor (compose ``restart:``, systemd ``Restart=``, the bench harness) starts a
fresh process, which resumes from the committed offsets like after any crash. A loop that ends stops
its watchdog.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from lienthong.config import Settings

log = logging.getLogger(__name__)
EXIT_STALLED = 75
STALL_VERDICT = "input waiting and no progress"  # how the log says it (supervisors may look for it)
# partition -> (committed offset, end offset), end > committed
Lagging = dict[TopicPartition, tuple[int, int]]


class ProgressWatchdog(threading.Thread):
    def __init__(
        self,
        settings: Settings,
        group_id: str,
        topics: list[str],
        *,
        stall_after: float | None = None,
        interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name=f"watchdog-{group_id}", daemon=True)
        self._settings = settings
        self._group_id = group_id
        self._tps = [TopicPartition(t, p) for t in topics for p in range(settings.partitions)]
        self._stall_after = stall_after or float(os.environ.get("LIENTHONG_STALL_AFTER", "120"))
        self._interval = interval
        self._clock = clock
        self._last_progress = clock()
        self._stopped = threading.Event()
        self._suspect: Lagging = {}  # input seen waiting while the worker was idle ...
        self._suspect_at = 0.0  # ... and when it was first seen
        self._clients: tuple[KafkaAdminClient, KafkaConsumer] | None = None

    def progressed(self) -> None:
        self._last_progress = self._clock()

    def stop(self) -> None:
        """The worker's loop has ended: its group no longer makes progress here, by design."""
        self._stopped.set()

    def run(self) -> None:
        try:
            while not self._stopped.wait(self._interval):
                self.check()
        finally:
            self._close_clients()

    def check(self) -> None:
        """One look; exits the process when the worker is judged stalled."""
        if self._clock() - self._last_progress < self._interval:
            self._suspect = {}  # working
            return
        try:
            lagging = self._lagging()
        except Exception as err:  # broker unreachable: nothing to judge yet
            log.info("watchdog cannot read offsets yet: %s", err)
            return
        stuck = self._judge(lagging, self._clock())
        if stuck and not self._stopped.is_set():
            self._exit(stuck)

    def _judge(self, lagging: Lagging, now: float) -> Lagging:
        """Partitions whose waiting input nobody touched for ``stall_after``, with no progress here."""
        if self._suspect and self._last_progress < self._suspect_at:
            # Still unhandled: the same committed offset as when first seen waiting.
            stuck = {
                tp: lag
                for tp, lag in lagging.items()
                if tp in self._suspect and self._suspect[tp][0] == lag[0]
            }
            if stuck:
                self._suspect = {tp: self._suspect[tp] for tp in stuck}
                return stuck if now - self._suspect_at >= self._stall_after else {}
        self._suspect, self._suspect_at = lagging, now
        return {}

    def _exit(self, stuck: Lagging) -> None:
        waiting = ", ".join(
            f"{tp.topic}[{tp.partition}] committed {c}, end {e}" for tp, (c, e) in stuck.items()
        )
        stacks = "".join(
            f"\n--- thread {ident}\n" + "".join(traceback.format_stack(frame))
            for ident, frame in sys._current_frames().items()
        )
        log.critical(
            "%s: %s for %.0fs (%s); exiting for a clean restart. Stacks:%s",
            self._group_id,
            STALL_VERDICT,
            self._clock() - self._last_progress,
            waiting,
            stacks,
        )
        os._exit(EXIT_STALLED)

    def _lagging(self) -> Lagging:
        # An idle worker is looked at every interval: the two clients are kept between looks, and dropped
        # after any failure so the next look starts from fresh connections (the broker may have moved on).
        try:
            if self._clients is None:
                config = self._settings.kafka_client_config()
                self._clients = (
                    KafkaAdminClient(**config, request_timeout_ms=10_000),
                    KafkaConsumer(**config, group_id=None, request_timeout_ms=10_000),
                )
            admin, consumer = self._clients
            committed = admin.list_group_offsets({self._group_id: None}).get(self._group_id, {})
            ends = consumer.end_offsets(self._tps)
        except Exception:
            self._close_clients()
            raise
        done = {tp: meta.offset for tp, meta in committed.items()}
        return {tp: (done.get(tp, 0), end) for tp, end in ends.items() if end > done.get(tp, 0)}

    def _close_clients(self) -> None:
        clients, self._clients = self._clients, None
        for client in clients or ():
            with contextlib.suppress(Exception):
                client.close()
