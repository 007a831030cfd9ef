"""The project's local Apache Kafka 4.x broker (KRaft, SASL/SCRAM-SHA-512, StandardAuthorizer).

Usage::

    from lienthong.infra.kafka import EXCHANGE_PRINCIPAL, KafkaSettings, client_config, provision, up

    settings = KafkaSettings()  # <repo>/var/kafka, 127.0.0.1:19092 (env-overridable)
    up(settings)  # idempotent; ready = SCRAM-authenticated DescribeCluster succeeded
    provision(settings, ["UBND-XA-26734"], partitions=2)  # topics, users, ACLs (idempotent)
    producer = KafkaProducer(**client_config(settings, EXCHANGE_PRINCIPAL))
"""

from .broker import (
    ADMIN_USER,
    AUTHORIZER,
    KAFKA_VERSION,
    SASL_MECHANISM,
    SECURITY,
    SECURITY_PROTOCOL,
    BrokerStatus,
    KafkaBrokerError,
    KafkaSettings,
    admin_client,
    broker_rss_bytes,
    down,
    ensure_jars,
    is_formatted,
    kill,
    status,
    up,
    wait_ready,
)
from .provision import (
    Provisioned,
    ProvisionError,
    agency_acls,
    client_config,
    credentials,
    exchange_acls,
    provision,
)
from .topics import (
    AGENCY_CODE_RULE,
    EVENTS,
    EXCHANGE_PRINCIPAL,
    FAUST_APP_PREFIX,
    REJECTIONS,
    SUBMISSIONS,
    TopicSpec,
    agency_group,
    agency_group_prefix,
    agency_principal,
    agency_rejections_topic,
    agency_topics,
    exchange_topics,
    inbox_topic,
    validate_agency_code,
)

__all__ = [
    "ADMIN_USER",
    "AGENCY_CODE_RULE",
    "AUTHORIZER",
    "EVENTS",
    "EXCHANGE_PRINCIPAL",
    "FAUST_APP_PREFIX",
    "KAFKA_VERSION",
    "REJECTIONS",
    "SASL_MECHANISM",
    "SECURITY",
    "SECURITY_PROTOCOL",
    "SUBMISSIONS",
    "BrokerStatus",
    "KafkaBrokerError",
    "KafkaSettings",
    "ProvisionError",
    "Provisioned",
    "TopicSpec",
    "admin_client",
    "agency_acls",
    "agency_group",
    "agency_group_prefix",
    "agency_principal",
    "agency_rejections_topic",
    "agency_topics",
    "broker_rss_bytes",
    "client_config",
    "credentials",
    "down",
    "ensure_jars",
    "exchange_acls",
    "exchange_topics",
    "inbox_topic",
    "is_formatted",
    "kill",
    "provision",
    "status",
    "up",
    "validate_agency_code",
    "wait_ready",
]
