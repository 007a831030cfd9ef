"""The project's real Kafka broker: SASL/SCRAM authentication, ACLs, provisioning, restart.

Runs against the session broker of ``tests/fixtures/kafka.py`` (provisioned agencies
UBND-XA-00004, CA-TINH-01, SYT-01; 2 partitions).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import signal
import time
import uuid

import pytest
from aiokafka.conn import create_conn
from aiokafka.errors import SaslAuthenticationFailed
from click.testing import CliRunner
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import (
    GroupAuthorizationFailedError,
    KafkaTimeoutError,
    TopicAuthorizationFailedError,
)

from lienthong.infra.kafka import (
    AUTHORIZER,
    EVENTS,
    EXCHANGE_PRINCIPAL,
    KAFKA_VERSION,
    REJECTIONS,
    SUBMISSIONS,
    agency_group,
    agency_principal,
    agency_rejections_topic,
    credentials,
    inbox_topic,
    status,
    validate_agency_code,
)
from lienthong.infra.kafka.cli import kafka as kafka_cli

pytestmark = pytest.mark.kafka

AGENCY = "CA-TINH-01"
OTHER = "UBND-XA-00004"


def _run(coro):
    """asyncio.run in a thread of its own: immune to an event loop another test left in this thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _produce(config: dict, topic: str, value: bytes, key: bytes = b"case-1") -> object:
    producer = KafkaProducer(**config, request_timeout_ms=10_000, max_block_ms=10_000)
    try:
        return producer.send(topic, value, key=key).get(timeout=15)
    finally:
        producer.close()


def _read_all(config: dict, topic: str, partitions: int = 1, seconds: float = 3.0) -> list[bytes]:
    """Read a topic from the beginning without a consumer group."""
    consumer = KafkaConsumer(**config, auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        values: list[bytes] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=300).values():
                values.extend(r.value for r in records)
        return values
    finally:
        consumer.close()


def _earliest_offsets(config: dict, topic: str) -> dict:
    consumer = KafkaConsumer(**config)
    try:
        return consumer.beginning_offsets([TopicPartition(topic, 0)])
    finally:
        consumer.close()


# --------------------------------------------------------------------------------------------------
# Status and authentication


def test_status_reports_ready_over_sasl_scram_with_standard_authorizer(kafka_broker):
    st = status(kafka_broker.settings)

    assert st.running and st.ready, st.error
    assert st.bootstrap == kafka_broker.bootstrap
    assert st.security == "SASL_PLAINTEXT/SCRAM-SHA-512"
    assert st.authorizer == AUTHORIZER == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert st.cluster_id
    assert st.broker_version == KAFKA_VERSION and KAFKA_VERSION.startswith("4.")
    assert {SUBMISSIONS, EVENTS, REJECTIONS, inbox_topic(AGENCY)} <= set(st.topics)


def test_cli_status_exits_zero_and_reports_ready_broker(kafka_broker):
    args = ["--state-dir", str(kafka_broker.settings.state_dir), "--port", str(kafka_broker.settings.port)]
    runner = CliRunner()

    text = runner.invoke(kafka_cli, [*args, "status"])
    assert text.exit_code == 0, text.output
    assert "READY" in text.output and "NOT READY" not in text.output
    assert "SCRAM-SHA-512" in text.output and "StandardAuthorizer" in text.output

    as_json = runner.invoke(kafka_cli, [*args, "status", "--json"])
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.output)
    assert report["ready"] is True and report["cluster_id"] == status(kafka_broker.settings).cluster_id


def test_cli_status_exits_one_when_no_broker_answers(tmp_path, kafka_broker):
    free_port = kafka_broker.settings.port + 7  # nothing of ours listens there
    result = CliRunner().invoke(kafka_cli, ["--state-dir", str(tmp_path), "--port", str(free_port), "status"])
    assert result.exit_code == 1
    assert "NOT READY" in result.output


def test_wrong_password_is_refused_with_an_authentication_error(kafka_broker):
    user, password = credentials(kafka_broker.settings, agency_principal(AGENCY))

    async def login(pw: str):
        conn = await create_conn(
            kafka_broker.settings.host,
            kafka_broker.settings.port,
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_plain_username=user,
            sasl_plain_password=pw,
            request_timeout_ms=10_000,
        )
        conn.close()

    _run(login(password))  # control: the right password logs in
    with pytest.raises(SaslAuthenticationFailed, match="invalid credentials"):
        _run(login(password + "-wrong"))

    # kafka-python hides the SASL failure behind its bootstrap retry loop: it never connects.
    wrong = dict(kafka_broker.agency_config(AGENCY), sasl_plain_password="not-the-password")
    with pytest.raises(KafkaTimeoutError):
        KafkaAdminClient(**wrong, bootstrap_timeout_ms=2_000)


def test_unknown_user_is_refused(kafka_broker):
    async def login():
        conn = await create_conn(
            kafka_broker.settings.host,
            kafka_broker.settings.port,
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_plain_username="agency-nobody",
            sasl_plain_password="whatever",
            request_timeout_ms=10_000,
        )
        conn.close()

    with pytest.raises(SaslAuthenticationFailed):
        _run(login())


# --------------------------------------------------------------------------------------------------
# Agency ACLs


def test_agency_can_produce_to_its_own_inbox_and_the_exchange_reads_it(kafka_broker):
    marker = f"inbox-{uuid.uuid4().hex}".encode()

    meta = _produce(kafka_broker.agency_config(AGENCY), inbox_topic(AGENCY), marker)

    assert meta.topic == inbox_topic(AGENCY)
    assert marker in _read_all(kafka_broker.exchange_config(), inbox_topic(AGENCY))


def test_agency_cannot_produce_to_another_agencys_inbox(kafka_broker):
    with pytest.raises(TopicAuthorizationFailedError):
        _produce(kafka_broker.agency_config(AGENCY), inbox_topic(OTHER), b"forged")
    assert b"forged" not in _read_all(kafka_broker.exchange_config(), inbox_topic(OTHER))


def test_agency_cannot_produce_to_exchange_topics(kafka_broker):
    for topic in (EVENTS, SUBMISSIONS, REJECTIONS, agency_rejections_topic(AGENCY)):
        with pytest.raises(TopicAuthorizationFailedError):
            _produce(kafka_broker.agency_config(AGENCY), topic, b"forged")


def test_agency_reads_its_own_rejections_but_not_events_or_other_agencies_rejections(kafka_broker):
    exchange = kafka_broker.exchange_config()
    own, foreign, event = (f"{n}-{uuid.uuid4().hex}".encode() for n in ("own", "foreign", "event"))
    _produce(exchange, agency_rejections_topic(AGENCY), own)
    _produce(exchange, agency_rejections_topic(OTHER), foreign)
    _produce(exchange, EVENTS, event)
    agency = kafka_broker.agency_config(AGENCY)

    assert own in _read_all(agency, agency_rejections_topic(AGENCY))

    for topic, secret, partitions in ((EVENTS, event, 2), (agency_rejections_topic(OTHER), foreign, 1)):
        with pytest.raises(TopicAuthorizationFailedError):
            _earliest_offsets(agency, topic)
        # kafka-python's fetcher drops the authorization error silently: nothing is delivered.
        assert secret not in _read_all(agency, topic, partitions=partitions, seconds=2.0)
        assert secret in _read_all(exchange, topic, partitions=partitions)


def test_agency_metadata_lists_only_its_own_topics(kafka_broker):
    admin = KafkaAdminClient(**kafka_broker.agency_config(AGENCY))
    try:
        assert sorted(admin.list_topics()) == sorted([inbox_topic(AGENCY), agency_rejections_topic(AGENCY)])
        with pytest.raises(TopicAuthorizationFailedError):
            admin.create_topics(
                {f"lienthong.inbox.{AGENCY}-X": {"num_partitions": 1, "replication_factor": 1}}
            )
    finally:
        admin.close()


def test_agency_consumer_groups_are_limited_to_its_own_names(kafka_broker):
    agency = kafka_broker.agency_config(AGENCY)
    topic = agency_rejections_topic(AGENCY)
    _produce(kafka_broker.exchange_config(), topic, b"for-group")

    def consume_with_group(group: str) -> list[bytes]:
        consumer = KafkaConsumer(topic, **agency, group_id=group, auto_offset_reset="earliest")
        try:
            values: list[bytes] = []
            deadline = time.monotonic() + 20
            while not values and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=500).values():
                    values.extend(r.value for r in records)
            consumer.commit()
            return values
        finally:
            consumer.close()

    assert b"for-group" in consume_with_group(agency_group(AGENCY))
    assert b"for-group" in consume_with_group(agency_group(AGENCY, "portal"))
    # A longer code sharing the prefix (CA-TINH-010) and the exchange's groups stay out of reach.
    for group in (f"{agency_principal(AGENCY)}0", f"{agency_principal(AGENCY)}-x", "lienthong-decider"):
        with pytest.raises(GroupAuthorizationFailedError):
            consume_with_group(group)


# --------------------------------------------------------------------------------------------------
# Exchange principal


def test_exchange_principal_produces_and_consumes_events_with_its_group(kafka_broker):
    exchange = kafka_broker.exchange_config()
    marker = f"event-{uuid.uuid4().hex}".encode()
    _produce(exchange, EVENTS, marker, key=b"case-42")

    consumer = KafkaConsumer(
        EVENTS, **exchange, group_id=f"lienthong-test-{uuid.uuid4().hex[:8]}", auto_offset_reset="earliest"
    )
    try:
        seen: list[bytes] = []
        deadline = time.monotonic() + 30
        while marker not in seen and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                seen.extend(r.value for r in records)
        consumer.commit()
    finally:
        consumer.close()
    assert marker in seen


def test_exchange_principal_can_use_transactions_and_create_faust_internal_topics(kafka_broker):
    exchange = kafka_broker.exchange_config()
    producer = KafkaProducer(**exchange, transactional_id=f"lienthong-test-{uuid.uuid4().hex[:8]}")
    try:
        producer.init_transactions()
        producer.begin_transaction()
        producer.send(EVENTS, b"in-a-transaction", key=b"case-7")
        producer.commit_transaction()
    finally:
        producer.close()

    name = f"lienthong-test-{uuid.uuid4().hex[:8]}-table-changelog"
    admin = KafkaAdminClient(**exchange)
    try:
        admin.create_topics(
            {name: {"num_partitions": 2, "replication_factor": 1, "configs": {"cleanup.policy": "compact"}}}
        )
        assert name in admin.list_topics()
    finally:
        admin.close()


# --------------------------------------------------------------------------------------------------
# Provisioning


def test_topics_exist_with_contract_partitions_and_retention(kafka_broker):
    admin = KafkaAdminClient(**kafka_broker.admin_config())
    try:
        partitions = {t["name"]: len(t["partitions"]) for t in admin.describe_topics()}
        resources = [
            ConfigResource(ConfigResourceType.TOPIC, name, None)
            for name in (EVENTS, REJECTIONS, inbox_topic(AGENCY), agency_rejections_topic(AGENCY))
        ]
        configs = admin.describe_configs(resources, config_filter="all")["topic"]
    finally:
        admin.close()

    assert partitions[SUBMISSIONS] == partitions[EVENTS] == partitions[REJECTIONS] == 2
    for code in ("UBND-XA-00004", "CA-TINH-01", "SYT-01"):
        assert partitions[inbox_topic(code)] == 1
        assert partitions[agency_rejections_topic(code)] == 1

    def value(topic: str, key: str) -> str:
        return configs[topic][key]["value"]

    for topic in (EVENTS, REJECTIONS, agency_rejections_topic(AGENCY)):
        assert value(topic, "retention.ms") == "-1"
        assert value(topic, "retention.bytes") == "-1"
        assert value(topic, "cleanup.policy") == "delete"
    assert value(EVENTS, "min.insync.replicas") == "1"
    assert value(inbox_topic(AGENCY), "retention.ms") == str(7 * 24 * 3600 * 1000)


def test_provision_is_idempotent_and_keeps_passwords(kafka_broker):
    settings = kafka_broker.settings
    principals = [
        EXCHANGE_PRINCIPAL,
        *(agency_principal(c) for c in ("UBND-XA-00004", "CA-TINH-01", "SYT-01")),
    ]
    before = {p: credentials(settings, p) for p in principals}

    again = kafka_broker.provision(["UBND-XA-00004", "CA-TINH-01", "SYT-01"])

    assert again.created_topics == [] and again.created_users == []
    assert again.created_acls == 0 and again.deleted_acls == 0
    assert {p: credentials(settings, p) for p in principals} == before
    # The old passwords still log in after the second run.
    _produce(kafka_broker.agency_config(AGENCY), inbox_topic(AGENCY), b"still-works")


def test_provision_adds_a_new_agency_later_without_touching_existing_ones(kafka_broker):
    settings = kafka_broker.settings
    before = credentials(settings, agency_principal(AGENCY))

    added = kafka_broker.provision(["SYT-02"])

    assert sorted(added.created_topics) == sorted([inbox_topic("SYT-02"), agency_rejections_topic("SYT-02")])
    assert added.created_users == [agency_principal("SYT-02")]
    assert credentials(settings, agency_principal(AGENCY)) == before
    _produce(kafka_broker.agency_config("SYT-02"), inbox_topic("SYT-02"), b"new-agency")
    with pytest.raises(TopicAuthorizationFailedError):
        _produce(kafka_broker.agency_config("SYT-02"), inbox_topic(AGENCY), b"forged")


def test_secrets_file_is_private_and_holds_no_default_password(kafka_broker):
    path = kafka_broker.settings.secrets_file
    assert path.stat().st_mode & 0o777 == 0o600
    users = json.loads(path.read_text())["users"]
    assert len(set(users.values())) == len(users)  # random, distinct per user
    assert all(len(pw) >= 24 for pw in users.values())


@pytest.mark.parametrize("code", ["ca-tinh-01", "-CA", "A", "CA TINH", "CA.TINH", "X" * 64, ""])
def test_invalid_agency_codes_are_rejected_naming_the_rule(code):
    with pytest.raises(ValueError, match=r"\^\[A-Z0-9\]"):
        validate_agency_code(code)


# --------------------------------------------------------------------------------------------------
# Restart (keep last: it restarts the shared broker)


def test_up_after_sigkill_restarts_the_same_cluster_without_reformatting(kafka_broker):
    before = kafka_broker.status()
    marker = f"durable-{uuid.uuid4().hex}".encode()
    _produce(kafka_broker.exchange_config(), EVENTS, marker)

    kafka_broker.kill(signal.SIGKILL)
    assert not kafka_broker.status().ready

    after = kafka_broker.restart()

    assert after.ready and after.pid != before.pid
    assert after.cluster_id == before.cluster_id  # same metadata log: not re-formatted
    assert set(before.topics) <= set(after.topics)
    assert marker in _read_all(kafka_broker.exchange_config(), EVENTS, partitions=2)
    _produce(kafka_broker.agency_config(AGENCY), inbox_topic(AGENCY), b"after-restart")


@pytest.mark.slow
def test_a_freshly_provisioned_broker_serves_consumer_groups_at_once(tmp_path):
    """Workers start right after provisioning; the group coordinator must already be there for them."""
    from lienthong.infra.kafka import KafkaSettings, down, provision, up
    from lienthong.infra.kafka.broker import admin_config
    from tests.fixtures.kafka import _START_TIMEOUT, _free_ports

    port, controller_port = _free_ports(2)
    settings = KafkaSettings(state_dir=tmp_path / "fresh", port=port, controller_port=controller_port)
    try:
        up(settings, timeout=_START_TIMEOUT)
        provision(settings, partitions=1)
        admin = KafkaAdminClient(**admin_config(settings))
        try:
            # On a new broker this lookup answered "coordinator not available" until the offsets topic
            # was created and loaded; provisioning now waits for that.
            offsets = admin.list_group_offsets({"lienthong-first-worker": None})
        finally:
            admin.close()
        assert offsets.get("lienthong-first-worker", {}) == {}
    finally:
        down(settings, timeout=30)
