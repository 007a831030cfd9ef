"""A worker whose records the broker refuses must stop before its offsets move, and lose nothing.

kafka-python's ``flush()`` returns normally when a batch failed for good (it only logs a warning), so a
worker that trusted it would commit the offsets of records that never reached the log. The broker here
refuses them for real: a topic's ``max.message.bytes`` is set below one record's size.
"""

from __future__ import annotations

import time

import pytest
from kafka import KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType

from lienthong.infra.kafka import EVENTS, SUBMISSIONS, admin_client, inbox_topic
from lienthong.scenarios import cases
from tests.fault.test_crash_recovery import _publish_submissions, _wait_all_decided
from tests.integration.test_kafka_runtime import _inbox_submission

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

UNDELIVERABLE_EXIT = 70  # a worker's "could not deliver" exit status
BROKER_DEFAULT_MAX_MESSAGE_BYTES = "1048588"


def _max_message_bytes(broker, topic: str, value: str) -> None:
    with admin_client(broker.settings) as admin:
        outcome = admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, {"max.message.bytes": value})], incremental=True
        )
    assert outcome.get("topic", {}).get(topic) == "OK", outcome


def test_decider_whose_events_the_broker_refuses_exits_uncommitted_and_decides_them_after_a_restart(
    kafka_exchange,
):
    history = list(cases(12, seed=35))
    ids = _publish_submissions(kafka_exchange, history)
    _max_message_bytes(kafka_exchange.broker, EVENTS, "64")  # smaller than any event: each batch is refused

    refused = kafka_exchange.worker("decider").start()
    code = refused.proc.wait(timeout=180)
    assert code == UNDELIVERABLE_EXIT, f"the decider went on (exit {code}) after its events were refused"
    log = refused.log.read_text()
    assert "could not deliver decisions" in log
    assert kafka_exchange.log_records(EVENTS) == [], "the broker was to refuse every event"

    _max_message_bytes(kafka_exchange.broker, EVENTS, BROKER_DEFAULT_MAX_MESSAGE_BYTES)
    kafka_exchange.worker("decider").start()
    accepted, rejected = _wait_all_decided(kafka_exchange, len(ids))
    time.sleep(2)  # anything decided twice would arrive now
    accepted, rejected = (sorted(x) for x in _wait_all_decided(kafka_exchange, len(ids)))
    assert sorted(accepted + rejected) == sorted(ids), "a submission was lost or decided twice"
    assert accepted, "the history was to produce events"


def test_relay_whose_forwarded_submissions_the_broker_refuses_exits_and_forwards_them_after_a_restart(
    kafka_exchange,
):
    agency = "UBND-XA-20242"
    person = {"report_place_code": "20242", "representative_flag": False, "sex": "female", "birth_year": 2001}
    config = kafka_exchange.broker.agency_config(agency)
    producer = KafkaProducer(**config, acks="all", enable_idempotence=True)
    producer.send(inbox_topic(agency), value=_inbox_submission("HS-RELAY-1", "PersonReported", person))
    producer.flush()
    producer.close()
    _max_message_bytes(kafka_exchange.broker, SUBMISSIONS, "64")

    refused = kafka_exchange.worker("relay").start()
    code = refused.proc.wait(timeout=180)
    assert code == UNDELIVERABLE_EXIT, f"the relay went on (exit {code}) after its submission was refused"
    assert "could not deliver forwarded submissions" in refused.log.read_text()
    assert kafka_exchange.log_records(SUBMISSIONS) == []

    _max_message_bytes(kafka_exchange.broker, SUBMISSIONS, BROKER_DEFAULT_MAX_MESSAGE_BYTES)
    kafka_exchange.worker("relay").start()
    deadline = time.monotonic() + 120
    while not kafka_exchange.log_records(SUBMISSIONS) and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2)  # a second copy would arrive now
    forwarded = kafka_exchange.log_records(SUBMISSIONS)
    assert len(forwarded) == 1, "the inbox submission was lost or forwarded twice"
