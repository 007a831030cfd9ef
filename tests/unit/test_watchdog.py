"""The progress watchdog ends a stalled worker only when the same waiting input sits untouched.

The broker probe (`_lagging`) is replaced by a scripted one and the clock by a counter: the scenarios
vary what the group's offsets show over time, and the checks run one by one, so no test depends on
how fast the machine is. `os._exit` is replaced so a verdict of "stalled" is seen, not suffered.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

import pytest
from kafka import TopicPartition

from lienthong.config import Settings
from lienthong.runtime.kafka import watchdog as wd

STALL_AFTER = 120.0
INTERVAL = 5.0
TP0 = TopicPartition("lienthong.submissions", 0)
TP1 = TopicPartition("lienthong.submissions", 1)


class Exited(Exception):
    pass


@pytest.fixture
def exits(monkeypatch):
    codes: list[int] = []

    def fake_exit(code: int) -> None:
        codes.append(code)
        raise Exited

    monkeypatch.setattr(wd.os, "_exit", fake_exit)
    return codes


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _dog(probe: Iterator[wd.Lagging | Exception] | None = None, clock: Clock | None = None):
    dog = wd.ProgressWatchdog(
        Settings(kafka_bootstrap="127.0.0.1:1", partitions=2),
        "lienthong-x",
        ["lienthong.submissions"],
        stall_after=STALL_AFTER,
        interval=INTERVAL,
        clock=clock or time.monotonic,
    )
    if probe is not None:

        def lagging() -> wd.Lagging:
            seen = next(probe)
            if isinstance(seen, Exception):
                raise seen
            return seen

        dog._lagging = lagging
    return dog


def _checks(dog, clock: Clock, seconds: float, progress_at: set[float] = frozenset()) -> None:
    """Advance the clock by one interval at a time, checking each time (as the thread would)."""
    start = clock.now
    while clock.now - start < seconds:
        clock.now += INTERVAL
        if clock.now - start in progress_at:
            dog.progressed()
        dog.check()


def _always(lagging: wd.Lagging) -> Iterator[wd.Lagging]:
    while True:
        yield lagging


def test_input_left_waiting_with_no_progress_exits_for_a_restart(exits):
    clock = Clock()
    dog = _dog(_always({TP0: (5, 10)}), clock)
    with pytest.raises(Exited):
        _checks(dog, clock, 10 * STALL_AFTER)
    assert exits == [wd.EXIT_STALLED]
    # Seen waiting at the first idle check, judged one stall period later (not sooner).
    assert clock.now - 1000.0 == pytest.approx(INTERVAL + STALL_AFTER)


def test_the_stall_verdict_names_the_partition_and_shows_where_the_threads_are(exits, caplog):
    clock = Clock()
    dog = _dog(_always({TP0: (5, 10)}), clock)
    with caplog.at_level(logging.CRITICAL, logger=wd.__name__), pytest.raises(Exited):
        _checks(dog, clock, 10 * STALL_AFTER)
    (record,) = caplog.records
    assert "lienthong.submissions[0] committed 5, end 10" in record.getMessage()
    assert "test_the_stall_verdict_names_the_partition" in record.getMessage()  # this thread's stack


def test_an_idle_worker_with_nothing_waiting_keeps_running(exits):
    clock = Clock()
    dog = _dog(_always({}), clock)
    _checks(dog, clock, 10 * STALL_AFTER)
    assert exits == []


def test_input_arriving_after_a_long_quiet_spell_is_not_a_stall(exits):
    """Sparse traffic: the first check after records land may come before the worker's first batch."""
    clock = Clock()
    quiet = [{}] * 100  # 500 s with nothing to do
    arrived = [{TP0: (5, 6)}]  # a record lands; the watchdog looks before the batch is done
    handled = [{}] * 100
    dog = _dog(iter(quiet + arrived + handled), clock)
    _checks(dog, clock, 100 * INTERVAL)
    _checks(dog, clock, INTERVAL)
    # The batch is handled: progress, then nothing waiting.
    dog.progressed()
    _checks(dog, clock, 90 * INTERVAL)
    assert exits == []


def test_input_another_member_is_working_through_is_not_a_stall(exits):
    """Two deciders, one partition each: this one is idle while the other's partition always lags."""
    clock = Clock()
    others = ({TP1: (100 * i, 100 * i + 50)} for i in range(10_000))  # its commits keep moving
    dog = _dog(others, clock)
    _checks(dog, clock, 10 * STALL_AFTER)
    assert exits == []


def test_a_partition_left_stuck_while_others_move_is_a_stall(exits):
    clock = Clock()
    probe = ({TP0: (5, 10), TP1: (100 * i, 100 * i + 50)} for i in range(10_000))
    dog = _dog(probe, clock)
    with pytest.raises(Exited):
        _checks(dog, clock, 10 * STALL_AFTER)
    assert exits == [wd.EXIT_STALLED]


def test_progress_during_the_suspicion_clears_it(exits):
    clock = Clock()
    dog = _dog(_always({TP0: (5, 10)}), clock)
    # The worker finishes a batch every 60 s (slow batches): never a stall.
    _checks(dog, clock, 10 * STALL_AFTER, progress_at={60.0 * k for k in range(1, 21)})
    assert exits == []


def test_an_unreachable_broker_is_not_judged_a_stall(exits):
    clock = Clock()
    dog = _dog(_always(ConnectionError("broker down")), clock)
    _checks(dog, clock, 10 * STALL_AFTER)
    assert exits == []


def _fast_stalled_dog() -> wd.ProgressWatchdog:
    """On the real clock, in its own thread: input that stays waiting, judged after 50 ms."""
    dog = wd.ProgressWatchdog(
        Settings(kafka_bootstrap="127.0.0.1:1", partitions=1),
        "lienthong-x",
        ["t"],
        stall_after=0.05,
        interval=0.01,
    )
    dog._lagging = lambda: {TP0: (5, 10)}
    return dog


def test_a_stopped_watchdog_ends_and_never_exits_the_process(exits):
    """A loop that ended makes no progress by design; the process may go on (a test run, a CLI)."""
    dog = _fast_stalled_dog()  # input waiting and stalled: a running watchdog would exit
    dog.stop()
    dog.start()
    dog.join(timeout=2)
    assert not dog.is_alive()
    assert exits == []


@pytest.mark.timeout(30)
def test_a_running_watchdog_thread_exits_a_stalled_worker(exits):
    dog = _fast_stalled_dog()
    with contextlib.suppress(Exited):
        dog.run()
    assert exits == [wd.EXIT_STALLED]


class _Client:
    def __init__(self, fails: bool) -> None:
        self.fails, self.closed = fails, False

    def list_group_offsets(self, _groups):
        if self.fails:
            raise ConnectionError("broker went away")
        return {}

    def end_offsets(self, tps):
        return {tp: 0 for tp in tps}

    def close(self) -> None:
        self.closed = True


def test_the_probe_keeps_its_clients_and_drops_them_after_a_failure():
    dog = _dog()
    admin, consumer = _Client(fails=False), _Client(fails=False)
    dog._clients = (admin, consumer)
    assert dog._lagging() == {}
    assert dog._clients == (admin, consumer) and not admin.closed  # kept for the next look

    admin.fails = True
    with pytest.raises(ConnectionError):
        dog._lagging()
    assert dog._clients is None and admin.closed and consumer.closed  # the next look reconnects
