"""Idempotent provisioning of topics, SCRAM users and ACLs on the local broker.

``provision`` may be called any number of times, and again when agencies are added later:

* topics (see :mod:`lienthong.infra.kafka.topics`) are created if missing; topic configs that drifted
  from the spec are set back; a partition count that differs from the request is an error (adding
  partitions would move case ids to other partitions and break per-case ordering);
* SCRAM-SHA-512 users get random passwords stored in ``<state_dir>/secrets.json``; existing
  passwords are kept;
* ACLs are reconciled per managed principal: missing bindings are created and bindings that are not
  in the spec are deleted, so each agency has exactly the access listed in ``agency_acls``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from .broker import (
    ADMIN_USER,
    SASL_MECHANISM,
    SECURITY_PROTOCOL,
    KafkaSettings,
    admin_client,
    ensure_user_password,
    user_password,
)
from .topics import (
    EXCHANGE_PRINCIPAL,
    FAUST_APP_PREFIX,
    TOPIC_PREFIX,
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

_TOPIC_ALREADY_EXISTS = 36
GROUPS_PROBE = "lienthong-provision-probe"  # a group that never joins: only its lookup is wanted


class ProvisionError(RuntimeError):
    """Provisioning could not bring the broker to the declared state."""


@dataclass
class Provisioned:
    bootstrap: str
    partitions: int
    agencies: list[str]
    topics: list[str]
    created_topics: list[str] = field(default_factory=list)
    reconfigured_topics: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    created_users: list[str] = field(default_factory=list)
    acls: int = 0
    created_acls: int = 0
    deleted_acls: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------------------------------
# Credentials for clients


def credentials(settings: KafkaSettings, principal: str) -> tuple[str, str]:
    """(username, password) of a provisioned SCRAM user, e.g. ``EXCHANGE_PRINCIPAL``."""
    return principal, user_password(settings, principal)


def client_config(settings: KafkaSettings, principal: str) -> dict[str, Any]:
    """kafka-python (and aiokafka) connection kwargs for ``principal``."""
    username, password = credentials(settings, principal)
    return {
        "bootstrap_servers": settings.bootstrap,
        "security_protocol": SECURITY_PROTOCOL,
        "sasl_mechanism": SASL_MECHANISM,
        "sasl_plain_username": username,
        "sasl_plain_password": password,
    }


# --------------------------------------------------------------------------------------------------
# ACL specs


def _acl(principal: str, operation: str, resource_type: str, name: str, pattern: str = "LITERAL") -> Any:
    from kafka.admin import ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType, ResourcePattern
    from kafka.admin import ResourceType as RT

    return ACL(
        principal=f"User:{principal}",
        host="*",
        operation=ACLOperation[operation],
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=ResourcePattern(RT[resource_type], name, ACLResourcePatternType[pattern]),
    )


def exchange_acls() -> list[Any]:
    """ACLs of the exchange's services (gateway, inbox relay, decider, projector, faust apps)."""
    p = EXCHANGE_PRINCIPAL
    return [
        _acl(p, "ALL", "TOPIC", TOPIC_PREFIX, "PREFIXED"),
        _acl(p, "ALL", "TOPIC", FAUST_APP_PREFIX, "PREFIXED"),
        _acl(p, "ALL", "GROUP", FAUST_APP_PREFIX, "PREFIXED"),
        _acl(p, "IDEMPOTENT_WRITE", "CLUSTER", "kafka-cluster"),
        _acl(p, "CREATE", "CLUSTER", "kafka-cluster"),
        _acl(p, "ALL", "TRANSACTIONAL_ID", FAUST_APP_PREFIX, "PREFIXED"),
    ]


def agency_acls(agency_code: str) -> list[Any]:
    """ACLs of one agency: produce to its inbox, read its rejections, its own groups. Nothing else."""
    p = agency_principal(agency_code)
    inbox = inbox_topic(agency_code)
    rejections = agency_rejections_topic(agency_code)
    return [
        _acl(p, "WRITE", "TOPIC", inbox),
        _acl(p, "DESCRIBE", "TOPIC", inbox),
        _acl(p, "READ", "TOPIC", rejections),
        _acl(p, "DESCRIBE", "TOPIC", rejections),
        _acl(p, "READ", "GROUP", agency_group(agency_code)),
        _acl(p, "READ", "GROUP", agency_group_prefix(agency_code), "PREFIXED"),
        _acl(p, "IDEMPOTENT_WRITE", "CLUSTER", "kafka-cluster"),
    ]


def _acl_key(acl: Any) -> tuple[Any, ...]:
    rp = acl.resource_pattern
    return (
        acl.principal,
        acl.host,
        int(acl.operation),
        int(acl.permission_type),
        int(rp.resource_type),
        rp.resource_name,
        int(rp.pattern_type),
    )


def _principal_filter(principal: str) -> Any:
    from kafka.admin import (
        ACLFilter,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        ResourcePatternFilter,
        ResourceType,
    )

    return ACLFilter(
        principal=f"User:{principal}",
        host=None,
        operation=ACLOperation.ANY,
        permission_type=ACLPermissionType.ANY,
        resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
    )


def _exact_filter(acl: Any) -> Any:
    from kafka.admin import ACLFilter, ResourcePatternFilter

    rp = acl.resource_pattern
    return ACLFilter(
        principal=acl.principal,
        host=acl.host,
        operation=acl.operation,
        permission_type=acl.permission_type,
        resource_pattern=ResourcePatternFilter(rp.resource_type, rp.resource_name, rp.pattern_type),
    )


def _describe_acls(admin: Any, principal: str) -> dict[tuple[Any, ...], Any]:
    acls, _ = admin.describe_acls(_principal_filter(principal))
    return {_acl_key(a): a for a in acls}


# --------------------------------------------------------------------------------------------------
# Steps


def _ensure_topics(admin: Any, specs: list[TopicSpec], result: Provisioned, timeout_s: float) -> None:
    from kafka.admin import ConfigResource, ConfigResourceType

    existing = set(admin.list_topics())
    missing = [s for s in specs if s.name not in existing]
    if missing:
        request = {
            s.name: {"num_partitions": s.partitions, "replication_factor": 1, "configs": dict(s.configs)}
            for s in missing
        }
        response = admin.create_topics(request, raise_errors=False)
        for topic in response["topics"]:
            code = topic.get("error_code", 0)
            if code == 0:
                result.created_topics.append(topic["name"])
            elif code != _TOPIC_ALREADY_EXISTS:
                raise ProvisionError(
                    f"could not create topic {topic['name']}: error {code} {topic.get('error_message')}"
                )
        if result.created_topics:
            admin.wait_for_topics(result.created_topics, timeout_ms=int(timeout_s * 1000))

    described = {t["name"]: t for t in admin.describe_topics([s.name for s in specs])}
    for spec in specs:
        topic = described.get(spec.name)
        if topic is None or topic.get("error_code"):
            raise ProvisionError(f"topic {spec.name} is not visible after provisioning: {topic}")
        count = len(topic["partitions"])
        if count != spec.partitions:
            raise ProvisionError(
                f"topic {spec.name} has {count} partitions but {spec.partitions} were requested; "
                "partition counts are not changed by provisioning (it would move case ids to other "
                "partitions and break per-case ordering / co-partitioning). Use a fresh state dir or "
                "the existing count."
            )

    resources = [
        ConfigResource(ConfigResourceType.TOPIC, s.name, list(s.configs)) for s in specs if s.configs
    ]
    current = admin.describe_configs(resources, config_filter="all").get("topic", {}) if resources else {}
    drifted = []
    for spec in specs:
        have = current.get(spec.name, {})
        diff = {k: v for k, v in spec.configs.items() if (have.get(k) or {}).get("value") != v}
        if diff:
            drifted.append(ConfigResource(ConfigResourceType.TOPIC, spec.name, diff))
    if drifted:
        outcome = admin.alter_configs(drifted, incremental=True)
        for name, res in outcome.get("topic", {}).items():
            if res != "OK":
                raise ProvisionError(f"could not set configs of topic {name}: {res}")
        result.reconfigured_topics.extend(r.name for r in drifted if r.name not in result.created_topics)


def _ensure_users(admin: Any, settings: KafkaSettings, users: list[str], result: Provisioned) -> None:
    from kafka.admin import ScramMechanism, UserScramCredentialUpsertion

    described = admin.describe_user_scram_credentials()
    on_broker = {
        name
        for name, info in described.items()
        if not info.get("error")
        and any(ci["mechanism"] == ScramMechanism.SCRAM_SHA_512 for ci in info.get("credential_infos", []))
    }
    upserts = []
    for user in users:
        password, created = ensure_user_password(settings, user)
        if created or user not in on_broker:
            upserts.append(UserScramCredentialUpsertion(user, ScramMechanism.SCRAM_SHA_512, password))
    if upserts:
        errors = {u: e for u, e in admin.alter_user_scram_credentials(upserts).items() if e}
        if errors:
            raise ProvisionError(f"could not create SCRAM users: {errors}")
        result.created_users.extend(u.user for u in upserts)


def _ensure_acls(admin: Any, wanted_by_principal: dict[str, list[Any]], result: Provisioned) -> None:
    to_create: list[Any] = []
    to_delete: list[Any] = []
    for principal, wanted in wanted_by_principal.items():
        have = _describe_acls(admin, principal)
        want = {_acl_key(a): a for a in wanted}
        to_create.extend(a for k, a in want.items() if k not in have)
        to_delete.extend(_exact_filter(a) for k, a in have.items() if k not in want)
        result.acls += len(want)
    if to_create:
        outcome = admin.create_acls(to_create)
        if outcome["failed"]:
            raise ProvisionError(f"could not create ACLs: {outcome['failed']}")
        result.created_acls = len(outcome["succeeded"])
    if to_delete:
        for _flt, _matched, error in admin.delete_acls(to_delete):
            if error.errno != 0:
                raise ProvisionError(f"could not delete stale ACL {_flt}: {error}")
        result.deleted_acls = len(to_delete)


def _wait_acls_visible(admin: Any, wanted_by_principal: dict[str, list[Any]], timeout_s: float) -> None:
    """DescribeAcls is answered from the broker's authorizer cache: wait until it shows our changes."""
    deadline = time.monotonic() + timeout_s
    while True:
        pending = [
            p
            for p, wanted in wanted_by_principal.items()
            if set(_describe_acls(admin, p)) != {_acl_key(a) for a in wanted}
        ]
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise ProvisionError(f"ACLs of {pending} not visible on the broker after {timeout_s:.0f}s")
        time.sleep(0.2)


def _wait_logins(settings: KafkaSettings, users: list[str], timeout_s: float) -> None:
    """New SCRAM credentials reach the broker through the metadata log: wait until they log in."""
    from kafka import KafkaAdminClient

    for user in users:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                KafkaAdminClient(
                    **client_config(settings, user), bootstrap_timeout_ms=3000, request_timeout_ms=3000
                ).close()
                break
            except Exception as exc:
                if time.monotonic() >= deadline:
                    raise ProvisionError(
                        f"new user {user!r} cannot log in after {timeout_s:.0f}s: {exc}"
                    ) from exc
                time.sleep(0.2)


def _wait_groups_served(admin: Any, timeout_s: float) -> None:
    """Wait until the broker serves consumer groups: every worker of the exchange is one.

    A new broker creates its offsets topic on the first group lookup and answers "coordinator not
    available" until that topic is loaded; a worker started in that window depends on its client's
    retries to ever join. The lookup here is what creates the topic, and provisioning returns only once
    a group's offsets can be read.
    """
    from kafka.errors import (
        CoordinatorLoadInProgressError,
        CoordinatorNotAvailableError,
        GroupAuthorizationFailedError,
        NotCoordinatorError,
    )

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin.list_group_offsets({GROUPS_PROBE: None})
            return
        except GroupAuthorizationFailedError:
            return  # the coordinator answered; an operator's admin may not read groups (provision_remote)
        except (CoordinatorNotAvailableError, CoordinatorLoadInProgressError, NotCoordinatorError) as exc:
            if time.monotonic() >= deadline:
                raise ProvisionError(
                    f"the broker serves no consumer groups after {timeout_s:.0f}s: {exc}"
                ) from exc
            time.sleep(0.2)


# --------------------------------------------------------------------------------------------------


def _declared(agencies: Iterable[str], partitions: int) -> tuple[list[str], list, dict[str, list]]:
    """The agency codes, topics and per-principal ACLs the exchange declares for `agencies`."""
    codes = sorted({validate_agency_code(code) for code in agencies})
    specs = exchange_topics(partitions)
    for code in codes:
        specs.extend(agency_topics(code))
    wanted = {EXCHANGE_PRINCIPAL: exchange_acls()}
    for code in codes:
        wanted[agency_principal(code)] = agency_acls(code)
    return codes, specs, wanted


def provision(
    settings: KafkaSettings,
    agencies: Iterable[str] = (),
    partitions: int = 2,
    *,
    timeout: float = 30.0,
) -> Provisioned:
    """Bring topics, SCRAM users and ACLs for the exchange and ``agencies`` to the declared state."""
    codes, specs, wanted = _declared(agencies, partitions)
    users = list(wanted)

    result = Provisioned(
        bootstrap=settings.bootstrap,
        partitions=partitions,
        agencies=codes,
        topics=[s.name for s in specs],
        users=users,
    )
    with admin_client(settings) as admin:
        _ensure_topics(admin, specs, result, timeout)
        _wait_groups_served(admin, timeout)
        _ensure_users(admin, settings, users, result)
        _ensure_acls(admin, wanted, result)
        if result.created_acls or result.deleted_acls:
            _wait_acls_visible(admin, wanted, timeout)
    if result.created_users:
        _wait_logins(settings, result.created_users, timeout)
    return result


def provision_remote(
    admin_config: dict[str, Any],
    agencies: Iterable[str] = (),
    partitions: int = 2,
    *,
    timeout: float = 30.0,
) -> Provisioned:
    """Topics and ACLs on a broker this project did not start (e.g. the compose stack).

    SCRAM users there belong to the operator (created at format time or by their tooling), so only
    topics and ACLs are brought to the declared state; the exchange must run as EXCHANGE_PRINCIPAL.
    """
    from kafka import KafkaAdminClient

    codes, specs, wanted = _declared(agencies, partitions)
    result = Provisioned(
        bootstrap=str(admin_config.get("bootstrap_servers")),
        partitions=partitions,
        agencies=codes,
        topics=[s.name for s in specs],
        users=[],
    )
    admin = KafkaAdminClient(**admin_config)
    try:
        _ensure_topics(admin, specs, result, timeout)
        _wait_groups_served(admin, timeout)
        _ensure_acls(admin, wanted, result)
        if result.created_acls or result.deleted_acls:
            _wait_acls_visible(admin, wanted, timeout)
    finally:
        admin.close()
    return result


__all__ = [
    "provision_remote",
    "ADMIN_USER",
    "Provisioned",
    "ProvisionError",
    "agency_acls",
    "client_config",
    "credentials",
    "exchange_acls",
    "provision",
]
