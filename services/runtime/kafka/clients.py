"""Kafka clients configured once: idempotent producers that wait out a broker restart."""

from __future__ import annotations

import logging
from typing import Any

import faust
from kafka import KafkaConsumer, KafkaProducer

from lienthong.config import Settings

# A delivery may wait this long for a restarting broker before the process gives up on it.
DELIVERY_TIMEOUT_MS = 300_000


def producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    config: dict[str, Any] = dict(
        settings.kafka_client_config(),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        delivery_timeout_ms=DELIVERY_TIMEOUT_MS,
        request_timeout_ms=30_000,
        max_block_ms=DELIVERY_TIMEOUT_MS,
        client_id="lienthong",
    )
    config.update(overrides)
    return KafkaProducer(**config)


def reader(settings: Settings, **overrides: Any) -> KafkaConsumer:
    """A group-less consumer for replaying partitions from the beginning."""
    config: dict[str, Any] = dict(
        settings.kafka_client_config(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id="lienthong-replay",
    )
    config.update(overrides)
    return KafkaConsumer(**config)


def faust_app(app_id: str, settings: Settings, **overrides: Any) -> faust.App:
    """A faust app over raw bytes (our own Avro codec), without tables, web server or leader topic."""
    credentials = None
    if settings.kafka_username:
        credentials = faust.SASLCredentials(
            username=settings.kafka_username,
            password=settings.kafka_password,
            mechanism=settings.kafka_mechanism,
        )
    config: dict[str, Any] = dict(
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_credentials=credentials,
        key_serializer="raw",
        value_serializer="raw",
        store="memory://",
        web_enabled=False,
        topic_allow_declare=False,  # topics are provisioned with their ACLs and retention
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        table_standby_replicas=0,
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        producer_acks=-1,
    )
    config.update(overrides)
    app = faust.App(app_id, **config)

    @app.task
    async def restore_log_level() -> None:
        # faust's Worker sets the ROOT logger to DEBUG for its start-up spinner (faust/worker.py
        # _setup_spinner_handler) and never sets it back: every debug line of kafka-python, aiokafka,
        # mode and faust is then built as a LogRecord and dropped by the handlers, ~10% of a decider's CPU.
        root = logging.getLogger()
        if root.level == logging.DEBUG:
            levels = [h.level for h in root.handlers if type(h).__name__ != "SpinnerHandler" and h.level]
            root.setLevel(min(levels) if levels else logging.WARNING)

    return app
