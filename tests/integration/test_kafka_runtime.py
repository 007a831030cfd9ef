"""The Kafka runtime end to end on the project's real broker: same behaviour as the embedded one."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import TopicAuthorizationFailedError

from lienthong.audit import verify_log
from lienthong.infra.kafka import EVENTS, agency_rejections_topic, inbox_topic
from lienthong.infra.kafka.topics import agency_group
from lienthong.runtime.eventlog import Stored
from lienthong.scenarios import cases
from lienthong.schemas import decode, encode
from lienthong.store import make_engine
from tests.fixtures.exchange import embedded_settings, open_exchange
from tests.integration.read_models import snapshot

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.mark.postgres
def test_one_scenario_suite_gives_identical_read_models_in_both_runtimes(
    kafka_exchange, postgres_url, tmp_path
):
    """Embedded on SQLite, Kafka with its projector writing to PostgreSQL: the same views, row for row."""
    kafka_exchange.use_database(postgres_url)
    history = list(cases(6, seed=21))
    embedded = open_exchange(embedded_settings(tmp_path / "embedded"))
    for agency, body in history:
        embedded.submit(agency, body)

    kafka_exchange.worker("decider").start()
    kafka_exchange.worker("projector").start()
    outcomes = [kafka_exchange.submit(agency, body) for agency, body in history]
    assert all(o["status"] in ("accepted", "rejected") for o in outcomes), outcomes
    kafka_exchange.wait_projected()

    assert snapshot(make_engine(kafka_exchange.settings.database_url)) == snapshot(
        embedded.services.readmodels
    )
    chained = verify_log(Stored(r.offset, r.value) for r in kafka_exchange.log_records(EVENTS))
    assert chained.ok and chained.cases == 6, chained.as_dict()


def test_a_repeated_or_stale_submission_behaves_as_in_the_embedded_runtime(kafka_exchange):
    kafka_exchange.worker("decider").start()
    kafka_exchange.worker("projector").start()
    (agency, first), *_ = cases(1, seed=4)
    once, twice = kafka_exchange.submit(agency, first), kafka_exchange.submit(agency, first)
    assert once["status"] == "accepted" and once == twice
    stale = {
        **first,
        "submission_id": str(uuid.uuid4()),
        "event_type": "CaseClosed",
        "expected_version": 0,
        "payload": {"reason": "moved"},
    }
    out = kafka_exchange.submit(agency, stale)
    assert out["rejection"]["code"] == "stale_version"
    kafka_exchange.wait_projected()
    accepted = [
        decode(r.value).record["envelope"]["submission_id"] for r in kafka_exchange.log_records(EVENTS)
    ]
    assert accepted == [first["submission_id"]]


def _inbox_submission(case_id: str, event_type: str, payload: dict, **extra) -> bytes:
    return encode(
        "lienthong.InboxSubmission",
        {
            "submission_id": str(uuid.uuid4()),
            "case_id": case_id,
            "event_type": event_type,
            "expected_version": None,
            "occurred_at": datetime(2026, 4, 1, 2, tzinfo=UTC),
            "actor_pseudonym": "sys-07",
            "admin_unit_code": "20242",
            "legal_basis": None,
            "subject_person_ref": None,
            "consent_ref": None,
            "correlation_id": None,
            "causation_id": None,
            "payload_json": json.dumps(payload),
            "personal_data_json": extra.pop("personal_data_json", None),
            **extra,
        },
    )


def test_an_agency_producing_directly_is_stamped_from_its_inbox_and_reads_only_its_rejections(kafka_exchange):
    kafka_exchange.worker("decider").start()
    kafka_exchange.worker("projector").start()
    kafka_exchange.worker("relay").start()
    agency = "UBND-XA-20242"
    config = kafka_exchange.broker.agency_config(agency)
    producer = KafkaProducer(**config, acks="all", enable_idempotence=True)
    person = {"report_place_code": "20242", "representative_flag": False, "sex": "female", "birth_year": 2001}
    good = _inbox_submission(
        "HS-INBOX-1",
        "PersonReported",
        person,
        personal_data_json=json.dumps({"full_name": "Phạm Thị Hộp Thư"}),
    )
    early_certificate = _inbox_submission(
        "HS-INBOX-1",
        "VictimCertificateIssued",
        {
            "certificate_no": "X",
            "issuer_agency_code": agency,
            "issue_date": "2026-04-01",
            "document_type": "certificate",
        },
    )
    producer.send(
        inbox_topic(agency), value=b"\xc3\x01 not avro at all"
    )  # malformed: refused, relay lives on
    producer.send(inbox_topic(agency), value=good)
    producer.send(inbox_topic(agency), value=early_certificate)
    producer.flush()
    with pytest.raises(TopicAuthorizationFailedError):
        producer.send(inbox_topic("SYT-48"), value=good).get(timeout=30)
    producer.close()

    consumer = KafkaConsumer(
        agency_rejections_topic(agency),
        **config,
        group_id=agency_group(agency, "t"),
        auto_offset_reset="earliest",
        consumer_timeout_ms=1000,
    )
    seen: list[dict] = []
    deadline = time.monotonic() + 90
    while len(seen) < 2 and time.monotonic() < deadline:
        seen += [decode(m.value).record for m in consumer]
    consumer.close()
    assert sorted(r["code"] for r in seen) == ["invalid_field", "outside_mandate"], seen
    assert all(r["emitter_agency_code"] == agency for r in seen)

    kafka_exchange.wait_projected()
    events = [decode(r.value).record for r in kafka_exchange.log_records(EVENTS)]
    assert [e["envelope"]["emitter_agency_code"] for e in events] == [agency]
    raw = b"".join(r.value for r in kafka_exchange.log_records(EVENTS))
    assert "Hộp Thư".encode() not in raw  # personal data was sealed by the relay

    # What the agency's principal may even see: its inbox and its own rejections, nothing else.
    # (kafka-python's poll() silently returns nothing on a denied topic, so the metadata is the check.)
    probe = KafkaConsumer(**config, group_id=None)
    assert probe.topics() == {inbox_topic(agency), agency_rejections_topic(agency)}
    probe.close()
