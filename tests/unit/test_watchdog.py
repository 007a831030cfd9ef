"""The progress watchdog ends a stalled worker only when input is waiting and nothing moves."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from lienthong.config import Settings
from lienthong.runtime.kafka import watchdog as wd


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


def _dog(waiting: bool | Exception) -> wd.ProgressWatchdog:
    dog = wd.ProgressWatchdog(
        Settings(kafka_bootstrap="127.0.0.1:1", partitions=1),
        "lienthong-x",
        ["t"],
        stall_after=0.05,
        interval=0.01,
    )

    def input_waiting() -> bool:
        if isinstance(waiting, Exception):
            raise waiting
        return waiting

    dog._input_waiting = input_waiting  # the broker probe is replaced: it is what the scenario varies
    return dog


def test_a_stalled_worker_with_input_waiting_exits_for_a_restart(exits):
    dog = _dog(True)
    with pytest.raises(Exited):
        dog.run()
    assert exits == [wd.EXIT_STALLED]


def test_an_idle_worker_with_nothing_waiting_keeps_running(exits):
    dog = _dog(False)
    runner = threading.Thread(target=lambda: _swallow(dog.run), daemon=True)
    runner.start()
    time.sleep(0.3)
    assert exits == [] and runner.is_alive()


def test_an_unreachable_broker_is_not_judged_a_stall(exits):
    dog = _dog(ConnectionError("broker down"))
    runner = threading.Thread(target=lambda: _swallow(dog.run), daemon=True)
    runner.start()
    time.sleep(0.3)
    assert exits == [] and runner.is_alive()


def _swallow(fn) -> None:
    with contextlib.suppress(Exited):
        fn()


def test_a_stopped_watchdog_ends_and_never_exits_the_process(exits):
    """A loop that ended makes no progress by design; the process may go on (a test run, a CLI)."""
    dog = _dog(True)  # input waiting and stalled: a running watchdog would exit at once
    dog.stop()
    dog.start()
    dog.join(timeout=2)
    assert not dog.is_alive()
    assert exits == []
