"""The workers' consumer loop on the real broker: offsets move only past handled batches.

Commits are asynchronous (the batch is already durable when they are sent); a clean stop waits for the
last one, and a batch whose handling failed is never committed, so the next loop gets it again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest
from kafka import KafkaConsumer, TopicPartition

from lienthong.infra.kafka import SUBMISSIONS
from lienthong.runtime.kafka.batch_loop import BatchLoop, Records
from lienthong.runtime.kafka.clients import producer

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
GROUP = "lienthong-test-batch-loop"


def _produce(settings, values: list[bytes]) -> None:
    prod = producer(settings)
    for value in values:
        prod.send(SUBMISSIONS, key=value, value=value)
    prod.flush()
    prod.close()


def _committed(settings) -> dict[int, int | None]:
    consumer = KafkaConsumer(**settings.kafka_client_config(), group_id=GROUP, enable_auto_commit=False)
    try:
        parts = consumer.partitions_for_topic(SUBMISSIONS) or set()
        return {p: consumer.committed(TopicPartition(SUBMISSIONS, p)) for p in sorted(parts)}
    finally:
        consumer.close(autocommit=False)


def _ends(settings) -> dict[int, int]:
    consumer = KafkaConsumer(**settings.kafka_client_config(), group_id=None)
    try:
        tps = [TopicPartition(SUBMISSIONS, p) for p in sorted(consumer.partitions_for_topic(SUBMISSIONS))]
        return {tp.partition: off for tp, off in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def _run_until(
    settings, expected: int, fail_first: bool = False, group: str = GROUP
) -> tuple[list[bytes], BaseException | None]:
    """Run a loop in the group until it has handled ``expected`` values (or failed); what it handled."""
    seen: list[bytes] = []
    failure: list[BaseException] = []
    loop: BatchLoop

    def handle(records: Records) -> None:
        if fail_first:
            raise RuntimeError("the worker could not make this batch durable")
        seen.extend(rec.value for _, rec in records)
        if len(seen) >= expected:
            loop.stop()

    loop = BatchLoop(settings, group, [SUBMISSIONS], handle, batch=7, within_s=0.05)

    def run() -> None:
        try:
            loop.run()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=90)
    if thread.is_alive():
        loop.stop()
        thread.join(timeout=30)
        raise AssertionError(f"the loop handled {len(seen)} of {expected} values in 90 s")
    # Its watchdog ends with it: left running, it would see this group's input pile up in later tests and
    # exit the whole test process as a stalled worker.
    loop.watchdog.join(timeout=10)
    assert not loop.watchdog.is_alive()
    return seen, (failure[0] if failure else None)


def test_handled_batches_are_committed_and_a_restart_resumes_after_them(kafka_exchange) -> None:
    settings = kafka_exchange.settings
    first = [f"first-{i}".encode() for i in range(40)]
    _produce(settings, first)
    seen, failure = _run_until(settings, len(first))
    assert failure is None
    assert sorted(seen) == sorted(first)  # every record once, in batches of at most 7
    assert _committed(settings) == _ends(settings)  # the clean stop waited for the last commit

    second = [f"second-{i}".encode() for i in range(9)]
    _produce(settings, second)
    seen, failure = _run_until(settings, len(second))
    assert failure is None
    assert sorted(seen) == sorted(second)  # nothing of the first run redelivered
    assert _committed(settings) == _ends(settings)


def test_a_batch_that_fails_is_not_committed_and_comes_back(kafka_exchange) -> None:
    settings = kafka_exchange.settings
    _produce(settings, [f"a-{i}".encode() for i in range(5)])
    seen, failure = _run_until(settings, 5)
    assert failure is None and len(seen) == 5
    before = _committed(settings)

    later = [f"b-{i}".encode() for i in range(6)]
    _produce(settings, later)
    seen, failure = _run_until(settings, len(later), fail_first=True)
    assert isinstance(failure, RuntimeError) and seen == []
    assert _committed(settings) == before  # the failed batch's offsets did not move

    seen, failure = _run_until(settings, len(later))
    assert failure is None
    assert sorted(seen) == sorted(later)  # redelivered, and only those
    assert _committed(settings) == _ends(settings)


def test_a_loop_joining_a_new_group_is_assigned_every_partition_at_once(kafka_exchange, caplog) -> None:
    # A leader that assigned before it knew the partitions would assign nothing, then rebalance again; a
    # worker was seen to hang in that second rebalance.
    settings = kafka_exchange.settings
    _produce(settings, [f"c-{i}".encode() for i in range(4)])
    caplog.set_level(logging.INFO, logger="lienthong.runtime.kafka.batch_loop")
    for attempt in range(3):  # each in a group the broker has never seen, which answers a join at once
        caplog.clear()
        seen, failure = _run_until(settings, 4, group=f"{GROUP}-fresh-{attempt}-{uuid.uuid4().hex[:8]}")
        assert failure is None and len(seen) == 4
        assignments = [r.getMessage() for r in caplog.records if r.getMessage().startswith("assigned")]
        assert assignments == [f"assigned [('{SUBMISSIONS}', 0), ('{SUBMISSIONS}', 1)]"], assignments


def test_records_gathered_before_a_rebalance_are_left_to_the_partitions_next_owner(kafka_exchange) -> None:
    # The first loop gathers a long batch; a second loop joining the group takes a partition away from it
    # mid-gather. What the first had gathered of that partition is its new owner's now: handing it over
    # too would decide it twice (the decider's one writer per partition).
    settings = kafka_exchange.settings
    values = [f"r-{i}".encode() for i in range(20)]
    _produce(settings, values)
    handled: list[bytes] = []
    group = f"{GROUP}-rebalance"

    def handle(records: Records) -> None:
        handled.extend(rec.value for _, rec in records)

    first = BatchLoop(settings, group, [SUBMISSIONS], handle, batch=1000, within_s=8.0)
    second = BatchLoop(settings, group, [SUBMISSIONS], handle, batch=1000, within_s=0.05)
    threads = [threading.Thread(target=first.run)]
    threads[0].start()
    time.sleep(3)  # the first loop has every record in hand and waits for more
    assert handled == []
    threads.append(threading.Thread(target=second.run))
    threads[1].start()
    deadline = time.monotonic() + 60
    while len(handled) < len(values) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(10)  # the first loop's batch window ends: anything handed over twice is here now
    for loop, thread in zip((first, second), threads, strict=True):
        loop.stop()
        thread.join(timeout=30)
        loop.watchdog.join(timeout=10)
    assert sorted(handled) == sorted(values)  # each once, by one owner or the other
