"""Crash tests on the real broker: SIGKILL the projector mid-batch, the decider between publishing and
committing, and the broker itself under load. Each must end with nothing lost and nothing doubled."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from kafka import KafkaProducer

from lienthong.audit import verify_log
from lienthong.domain import Submission
from lienthong.infra.kafka import EVENTS, REJECTIONS, SUBMISSIONS
from lienthong.projections.runner import Projector
from lienthong.runtime.eventlog import Stored
from lienthong.runtime.records import encode_submission
from lienthong.scenarios import cases
from lienthong.schemas import decode
from lienthong.store import make_engine
from tests.fixtures.exchange import embedded_settings, open_exchange
from tests.integration.read_models import snapshot

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _as_submission(agency: str, body: dict) -> Submission:
    from datetime import UTC, datetime

    return Submission(
        submission_id=body["submission_id"],
        case_id=body["case_id"],
        event_type=body["event_type"],
        emitter_agency_code=agency,
        occurred_at=datetime.fromisoformat(body["occurred_at"]),
        submitted_at=datetime.now(UTC),
        admin_unit_code=body["admin_unit_code"],
        actor_pseudonym=body["actor"],
        payload=body["payload"],
        expected_version=body.get("expected_version"),
    )


def _publish_submissions(exchange, history) -> list[str]:
    """Put a history straight onto the submissions topic, as the gateway would, and return its ids."""
    producer = KafkaProducer(**exchange.broker.exchange_config(), acks="all", enable_idempotence=True)
    for agency, body in history:
        producer.send(
            SUBMISSIONS, key=body["case_id"].encode(), value=encode_submission(_as_submission(agency, body))
        )
    producer.flush()
    producer.close()
    return [body["submission_id"] for _, body in history]


def _decided_ids(exchange) -> tuple[list[str], list[str]]:
    accepted = [decode(r.value).record["envelope"]["submission_id"] for r in exchange.log_records(EVENTS)]
    refused = [decode(r.value).record["submission_id"] for r in exchange.log_records(REJECTIONS)]
    return accepted, refused


def _wait_all_decided(exchange, expected: int, timeout: float = 180) -> tuple[list[str], list[str]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        accepted, refused = _decided_ids(exchange)
        if len(set(accepted) | set(refused)) >= expected:
            return accepted, refused
        time.sleep(0.5)
    raise AssertionError(
        f"only {len(set(accepted) | set(refused))} of {expected} submissions were decided"
        f"{exchange.worker_logs()}"
    )


def _wait_for(marker: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert time.monotonic() < deadline, f"failpoint {marker.name} was never reached"
        time.sleep(0.05)


def _embedded_accepted(tmp_path, history) -> set[str]:
    embedded = open_exchange(embedded_settings(tmp_path / "reference"))
    return {
        body["submission_id"]
        for agency, body in history
        if embedded.submit(agency, body)[1]["status"] == "accepted"
    }


def test_projector_sigkilled_mid_batch_resumes_to_a_read_model_identical_to_a_clean_rebuild(
    kafka_exchange, tmp_path
):
    history = list(cases(25, seed=31))
    _publish_submissions(kafka_exchange, history)
    kafka_exchange.worker("decider").start()
    _wait_all_decided(kafka_exchange, len(history))

    marker = tmp_path / "projector-mid-batch"
    projector = kafka_exchange.worker("projector").start(
        LIENTHONG_PROJECTOR_BATCH="40", LIENTHONG_FAILPOINTS=f"projector.before_commit={marker}:120:2"
    )
    _wait_for(marker)  # two batches committed; the third is applied inside its open transaction
    live = Projector(make_engine(kafka_exchange.settings.database_url))
    committed_before_kill = sum(o + 1 for o in live.checkpoints().values())
    projector.kill()
    assert 0 < committed_before_kill < len(kafka_exchange.facts()), "the kill did not land mid-history"
    assert (
        sum(o + 1 for o in live.checkpoints().values()) == committed_before_kill
    )  # the open batch left nothing

    kafka_exchange.worker("projector").start(LIENTHONG_PROJECTOR_BATCH="40")
    kafka_exchange.wait_projected()
    rebuilt = Projector(make_engine(f"sqlite:///{tmp_path}/rebuild.db"))
    rebuilt.apply(kafka_exchange.facts())
    everything = frozenset()
    assert snapshot(live.engine, volatile=everything) == snapshot(rebuilt.engine, volatile=everything)


@pytest.mark.parametrize("lanes", ["1", "2"])  # the domain work in the decider, or in two lane processes
def test_decider_sigkilled_after_publishing_but_before_committing_loses_nothing_and_publishes_nothing_twice(
    kafka_exchange, tmp_path, lanes
):
    history = list(cases(25, seed=32))
    ids = _publish_submissions(kafka_exchange, history)
    marker = tmp_path / "decider-after-flush"
    decider = kafka_exchange.worker("decider").start(
        LIENTHONG_DECIDER_BATCH="30",
        LIENTHONG_DECIDER_LANES=lanes,
        LIENTHONG_FAILPOINTS=f"decider.after_flush={marker}:120:2",
    )
    _wait_for(marker)  # a batch is on the log, its offsets are not committed
    on_log_at_kill = sum(len(x) for x in _decided_ids(kafka_exchange))
    decider.kill()
    assert 0 < on_log_at_kill < len(ids), "the kill did not land mid-history"

    kafka_exchange.worker("decider").start(LIENTHONG_DECIDER_BATCH="30", LIENTHONG_DECIDER_LANES=lanes)
    accepted, refused = _wait_all_decided(kafka_exchange, len(ids))
    time.sleep(3)  # anything published twice would arrive now
    accepted, refused = _decided_ids(kafka_exchange)
    assert [k for k, n in Counter(accepted + refused).items() if n > 1] == [], (
        "a submission was decided twice"
    )
    assert set(accepted) | set(refused) == set(ids), "a submission was lost"
    assert set(accepted) == _embedded_accepted(tmp_path, history)
    chain = verify_log(Stored(r.offset, r.value) for r in kafka_exchange.log_records(EVENTS))
    assert chain.ok, chain.as_dict()


def test_broker_killed_and_restarted_under_load_loses_no_accepted_submission(kafka_exchange, tmp_path):
    history = list(cases(30, seed=33))
    # Supervised like in production: a worker whose consumer stalls after the broker restart exits (its
    # progress watchdog) and is started again.
    kafka_exchange.worker("decider").start(supervise=True, LIENTHONG_STALL_AFTER="20")
    kafka_exchange.worker("projector").start(supervise=True, LIENTHONG_STALL_AFTER="20")
    _ = kafka_exchange.services  # gateway up before the load starts
    acknowledged: list[str] = []
    failed: list[str] = []

    def load() -> None:
        for agency, body in history:
            headers = {"Authorization": f"Bearer {kafka_exchange.keys[agency]}"}
            try:
                response = kafka_exchange.http.post("/v1/submissions", json=body, headers=headers)
            except Exception:
                failed.append(body["submission_id"])
                continue
            if response.status_code in (201, 202, 409, 422):
                acknowledged.append(body["submission_id"])
            else:
                failed.append(body["submission_id"])

    loader = threading.Thread(target=load)
    loader.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < len(history) // 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    kafka_exchange.broker.kill()
    time.sleep(2)
    kafka_exchange.broker.restart()
    loader.join(timeout=300)
    assert not loader.is_alive()
    assert len(acknowledged) > len(history) // 3

    accepted, refused = _wait_all_decided(kafka_exchange, len(acknowledged), timeout=240)
    decided = set(accepted) | set(refused)
    assert set(acknowledged) <= decided, "an acknowledged submission was lost"
    assert [k for k, n in Counter(accepted + refused).items() if n > 1] == []
    kafka_exchange.wait_projected(timeout=180)
    with make_engine(kafka_exchange.settings.database_url).connect() as conn:
        from sqlalchemy import text

        outcomes = {r[0] for r in conn.execute(text("select submission_id from submission_outcomes"))}
    assert set(acknowledged) <= outcomes
