"""The bench supervises its workers as deployment does: a stall is restarted and reported, a crash is not."""

from __future__ import annotations

import sys
import time

import pytest

from lienthong.bench.cli import _report_restarts
from lienthong.bench.harness import MAX_RESTARTS, Worker
from lienthong.runtime.kafka.watchdog import EXIT_STALLED, STALL_VERDICT


def _worker(tmp_path, code: int, said: str) -> Worker:
    script = f"import sys; print('starting'); print({said!r}); sys.exit({code})"
    return Worker("decider-1p-0-0", [sys.executable, "-c", script], {}, tmp_path / "decider.log").start()


def _exited(worker: Worker) -> None:
    assert worker.proc is not None
    worker.proc.wait(timeout=30)


def test_a_worker_its_watchdog_ended_is_restarted_with_the_verdict_kept(tmp_path):
    verdict = f"lienthong-decider: {STALL_VERDICT} for 31s (lienthong.submissions[0] committed 5, end 9)"
    worker = _worker(tmp_path, EXIT_STALLED, verdict)
    first = worker.pid
    _exited(worker)
    worker.check_alive()  # restarted, not raised
    assert worker.pid != first
    assert worker.restarts == [verdict.split(": ", 1)[1] + "\n"]

    for _ in range(MAX_RESTARTS - 1):
        _exited(worker)
        worker.check_alive()
    _exited(worker)
    with pytest.raises(RuntimeError, match="exited with 75"):  # a worker that keeps stalling is a failure
        worker.check_alive()
    assert len(worker.restarts) == MAX_RESTARTS


def test_a_worker_that_crashed_is_not_restarted(tmp_path):
    worker = _worker(tmp_path, 1, "Traceback: something broke")
    _exited(worker)
    with pytest.raises(RuntimeError, match="(?s)exited with 1;.*something broke"):
        worker.check_alive()
    assert worker.restarts == []


def test_a_running_worker_is_left_alone(tmp_path):
    worker = Worker(
        "w", [sys.executable, "-c", "import time; time.sleep(30)"], {}, tmp_path / "w.log"
    ).start()
    try:
        worker.check_alive()
        time.sleep(0.1)
        worker.check_alive()
        assert worker.alive() and worker.restarts == []
    finally:
        worker.stop()


def test_a_restart_is_an_error_of_the_scenario_it_happened_in(tmp_path):
    calm = Worker("projector-0", [], {}, tmp_path / "p.log")
    stalled = Worker("decider-1p-0-0", [], {}, tmp_path / "d.log", restarts=["verdict"])
    result: dict = {"errors": []}
    _report_restarts(result, [calm, stalled])
    assert result["worker_restarts"] == {"decider-1p-0-0": ["verdict"]}
    assert result["errors"] == ["decider-1p-0-0 stalled and was restarted 1 time(s); see worker_restarts"]
