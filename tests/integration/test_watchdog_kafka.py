"""The progress watchdog on the real broker: what its probe sees, and what counts as progress.

The unit tests (tests/unit/test_watchdog.py) script the probe; these check the probe itself against a
broker, and that a decider rebuilding its state from a long log keeps telling its watchdog it is alive
(without that, a log long enough to take more than the stall period to replay would be taken for a
stall, and every restart would replay it again).
"""

from __future__ import annotations

import threading

import pytest

from lienthong.bench import data
from lienthong.infra.kafka import SUBMISSIONS
from lienthong.runtime.kafka.batch_loop import BatchLoop, Records
from lienthong.runtime.kafka.clients import producer
from lienthong.runtime.kafka.decider_loop import build
from lienthong.runtime.kafka.partition_state import PartitionStates
from lienthong.runtime.kafka.watchdog import ProgressWatchdog
from tests.integration.test_decision_lanes import Submitted

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
GROUP = "lienthong-test-watchdog"


def test_the_probe_sees_input_past_the_groups_commits_and_nothing_once_it_is_handled(kafka_exchange):
    settings = kafka_exchange.settings
    values = [f"w-{i}".encode() for i in range(12)]
    prod = producer(settings)
    for value in values:
        prod.send(SUBMISSIONS, key=value, value=value)
    prod.flush()
    prod.close()

    dog = ProgressWatchdog(settings, GROUP, [SUBMISSIONS])
    lagging = dog._lagging()  # provisioning waited for the group coordinator
    assert {tp.topic for tp in lagging} == {SUBMISSIONS}
    assert all(committed == 0 for committed, _ in lagging.values())  # the group never committed
    assert sum(end - committed for committed, end in lagging.values()) == len(values)

    seen: list[bytes] = []

    def handle(records: Records) -> None:
        seen.extend(rec.value for _, rec in records)
        if len(seen) >= len(values):
            loop.stop()

    loop = BatchLoop(settings, GROUP, [SUBMISSIONS], handle, batch=5, within_s=0.05)
    runner = threading.Thread(target=loop.run)
    runner.start()
    runner.join(timeout=90)
    assert not runner.is_alive() and sorted(seen) == sorted(values)
    clients = dog._clients
    assert dog._lagging() == {}  # all handled and committed: nothing waits
    assert dog._clients is clients  # an idle worker is looked at every interval: no new connections each time


def test_a_decider_replaying_its_log_tells_the_watchdog_it_is_progressing(kafka_exchange):
    settings = kafka_exchange.settings
    bodies = data.submissions(200, seed=11)
    loop, decider = build(settings)
    try:
        assert decider.maker.on_progress == loop.watchdog.progressed  # wired to the loop's own watchdog
        batch = [Submitted(0, key, value) for key, value in data.encoded_submissions(bodies)]
        decider.process(batch)
    finally:
        loop.consumer.close(autocommit=False)
        decider.producer.close()

    ticks: list[int] = []
    states = PartitionStates(settings)
    states.on_progress = lambda: ticks.append(1)
    cases = states.cases(0)  # a fresh decider's first use of partition 0: replayed from the log
    assert set(cases) == {body["case_id"] for _, body in bodies}
    assert ticks, "the replay never reported progress"
