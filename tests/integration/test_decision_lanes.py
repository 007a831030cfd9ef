"""Decision lanes (LIENTHONG_DECIDER_LANES): a decider whose domain work runs in lane processes makes the
same decisions, in the same order, as one process; each lane rebuilds only its own cases from the log;
a lane that stops stops the batch; a decider stopped with its process group leaves no lane behind."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from pathlib import Path
from typing import NamedTuple

import pytest
from kafka import KafkaProducer

from lienthong.bench import data
from lienthong.infra.kafka import EVENTS, REJECTIONS, SUBMISSIONS
from lienthong.runtime.kafka.decider import Decider
from lienthong.runtime.kafka.decisions import Decisions, Outgoing
from lienthong.runtime.kafka.lanes import Lanes, LaneStopped, lane_of
from lienthong.schemas import decode

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


class Submitted(NamedTuple):
    partition: int
    key: bytes
    value: bytes


def _batch(n: int, seed: int) -> list[tuple[int, bytes, bytes]]:
    """(partition, key, value) submissions of whole generated cases; a case stays in one partition."""
    return [
        (hashlib.md5(key).digest()[0] % 2, key, value)
        for key, value in data.encoded_submissions(data.submissions(n, seed=seed))
    ]


def _what(decided: Outgoing | None) -> tuple | None:
    """A decision without its time of recording (and so its hash chain): what, for whom, in which place."""
    if decided is None:
        return None
    topic, partition, key, value = decided
    record = decode(value).record
    if topic == EVENTS:
        env = record["envelope"]
        return topic, partition, key, env["submission_id"], env["event_type"], env["case_version"]
    return topic, partition, key, record["submission_id"], record["code"]


def test_lanes_decide_what_one_process_decides_in_the_same_order(kafka_exchange):
    settings = kafka_exchange.settings
    batch = _batch(400, seed=5)
    batch += batch[:7]  # sent twice: duplicates, published once
    assert {lane_of(key, 2) for _, key, _ in batch} == {0, 1}
    assert {partition for partition, _, _ in batch} == {0, 1}
    alone = [_what(d) for d in Decisions(settings).make(batch)]
    lanes = Lanes(settings, 2)
    try:
        spread = [_what(d) for d in lanes.make(batch)]
    finally:
        lanes.close()
    assert spread == alone
    kinds = {d[0] if d else None for d in alone}
    assert kinds == {EVENTS, REJECTIONS, None}  # accepted, refused and duplicates all compared


def test_restarted_lanes_rebuild_their_own_cases_from_the_log(kafka_exchange):
    settings = kafka_exchange.settings
    batch = _batch(600, seed=6)
    cases = list(dict.fromkeys(key for _, key, _ in batch))
    first = [item for item in batch if item[1] in set(cases[: len(cases) // 2])]
    rest = [item for item in batch if item[1] not in set(cases[: len(cases) // 2])]
    decider = Decider(settings, lanes=2)
    try:
        decider.process([Submitted(*item) for item in first])  # on the log
    finally:
        decider.close()

    lanes = Lanes(settings, 2)  # new lanes: each replays the log, keeping only its cases
    try:
        assert lanes.make(first) == [None] * len(first)  # all recognised as already decided
        spread = [_what(d) for d in lanes.make(rest)]
    finally:
        lanes.close()
    alone = [_what(d) for d in Decisions(settings).make(rest)]
    assert spread == alone and any(alone)


def test_a_lane_that_stops_stops_the_batch(kafka_exchange):
    lanes = Lanes(kafka_exchange.settings, 2)
    try:
        os.kill(lanes._procs[1].pid, signal.SIGKILL)
        with pytest.raises(LaneStopped, match="decision lane 1 stopped"):
            lanes.make(_batch(50, seed=7))
    finally:
        lanes.close()


def _lanes_of(pid: int) -> set[int]:
    """The decider's lane processes (not multiprocessing's resource tracker, also its child)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.add(int(child))
    return found


def test_a_decider_stopped_by_sigterm_to_its_group_leaves_no_lane(kafka_exchange):
    worker = kafka_exchange.worker("decider").start(LIENTHONG_DECIDER_LANES="2")
    pairs = data.encoded_submissions(data.submissions(60, seed=8))
    producer = KafkaProducer(**kafka_exchange.broker.exchange_config(), acks="all")
    for key, value in pairs:
        producer.send(SUBMISSIONS, key=key, value=value)
    producer.flush()
    producer.close()
    deadline = time.monotonic() + 90
    while sum(len(kafka_exchange.log_records(t)) for t in (EVENTS, REJECTIONS)) < len(pairs):
        assert time.monotonic() < deadline, f"not all decided{kafka_exchange.worker_logs()}"
        time.sleep(0.5)
    lanes = _lanes_of(worker.proc.pid)
    assert len(lanes) == 2
    worker.stop()  # SIGTERM to the whole process group, like a container's stop
    assert worker.proc.returncode == 0, kafka_exchange.worker_logs()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in lanes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in lanes)
