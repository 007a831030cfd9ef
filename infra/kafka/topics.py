"""The topic, principal and group naming contract of the exchange.

Everything that names a Kafka resource goes through this module, so the ACLs written by
:mod:`lienthong.infra.kafka.provision` and the names used by services can never drift apart.

* ``SUBMISSIONS`` - intake of case submissions (key = case id), N partitions.
* ``EVENTS`` - the canonical event log (key = case id), co-partitioned with submissions, kept forever.
* ``REJECTIONS`` - every rejection (key = case id), co-partitioned, kept forever.
* ``inbox_topic(code)`` - an agency's direct-produce door, 1 partition, 7 days.
* ``agency_rejections_topic(code)`` - rejections addressed to one agency, 1 partition, kept forever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SUBMISSIONS = "lienthong.submissions"
EVENTS = "lienthong.events"
REJECTIONS = "lienthong.rejections"

TOPIC_PREFIX = "lienthong."
INBOX_PREFIX = "lienthong.inbox."
AGENCY_REJECTIONS_PREFIX = "lienthong.rejections."

EXCHANGE_PRINCIPAL = "lienthong-exchange"
"""SCRAM user of the exchange's own services: gateway, inbox relay, decider, projector."""

FAUST_APP_PREFIX = "lienthong-"
"""faust app ids start with this; faust names internal topics ``<app_id>-...`` and its group ``<app_id>``."""

AGENCY_PRINCIPAL_PREFIX = "agency-"

AGENCY_CODE_RULE = r"^[A-Z0-9][A-Z0-9_-]{1,62}$"
_AGENCY_CODE_RE = re.compile(AGENCY_CODE_RULE)

RETENTION_FOREVER = "-1"
INBOX_RETENTION_MS = str(7 * 24 * 60 * 60 * 1000)

# Topic-level configs. Values are strings, as Kafka reports them back.
_KEEP_FOREVER = {
    "cleanup.policy": "delete",
    "retention.ms": RETENTION_FOREVER,
    "retention.bytes": RETENTION_FOREVER,
    "min.insync.replicas": "1",
}
_INBOX = {
    "cleanup.policy": "delete",
    "retention.ms": INBOX_RETENTION_MS,
    "retention.bytes": RETENTION_FOREVER,
}


def validate_agency_code(agency_code: str) -> str:
    """Return ``agency_code`` if it matches :data:`AGENCY_CODE_RULE`, else raise ``ValueError``."""
    if not isinstance(agency_code, str) or not _AGENCY_CODE_RE.fullmatch(agency_code):
        raise ValueError(
            f"invalid agency code {agency_code!r}: agency codes must match {AGENCY_CODE_RULE} "
            "(2-63 characters: upper-case letters, digits, '_' or '-', starting with a letter or digit; "
            "e.g. 'UBND-XA-26734', 'CA-TINH-01')"
        )
    return agency_code


def inbox_topic(agency_code: str) -> str:
    """The agency's direct-produce door (1 partition, 7 days retention)."""
    return f"{INBOX_PREFIX}{validate_agency_code(agency_code)}"


def agency_rejections_topic(agency_code: str) -> str:
    """Rejections addressed to one agency (1 partition, kept forever)."""
    return f"{AGENCY_REJECTIONS_PREFIX}{validate_agency_code(agency_code)}"


def agency_principal(agency_code: str) -> str:
    """SCRAM user name of an agency, e.g. ``agency-ubnd-xa-26734``."""
    return f"{AGENCY_PRINCIPAL_PREFIX}{validate_agency_code(agency_code).lower()}"


def agency_group(agency_code: str, suffix: str | None = None) -> str:
    """A consumer group id the agency is allowed to use.

    ``agency-<code lower>`` itself, or ``agency-<code lower>.<suffix>``. The ACL is LITERAL on the bare
    name plus PREFIXED on ``agency-<code lower>.``: the dot cannot occur in an agency code, so agency
    ``SYT-01`` can never use the groups of agency ``SYT-010`` (a plain prefix would allow that).
    """
    base = agency_principal(agency_code)
    if suffix is None:
        return base
    if not suffix:
        raise ValueError("group suffix must not be empty")
    return f"{base}.{suffix}"


def agency_group_prefix(agency_code: str) -> str:
    """The PREFIXED group ACL of an agency: ``agency-<code lower>.``."""
    return f"{agency_principal(agency_code)}."


@dataclass(frozen=True)
class TopicSpec:
    """A topic the provisioner guarantees: name, partition count and topic-level configs."""

    name: str
    partitions: int
    configs: dict[str, str] = field(default_factory=dict)


def exchange_topics(partitions: int) -> list[TopicSpec]:
    """The co-partitioned exchange topics (submissions, events, rejections)."""
    if partitions < 1:
        raise ValueError(f"partitions must be >= 1, got {partitions}")
    return [
        TopicSpec(SUBMISSIONS, partitions, {"cleanup.policy": "delete", "min.insync.replicas": "1"}),
        TopicSpec(EVENTS, partitions, dict(_KEEP_FOREVER)),
        TopicSpec(REJECTIONS, partitions, dict(_KEEP_FOREVER)),
    ]


def agency_topics(agency_code: str) -> list[TopicSpec]:
    """The two per-agency topics (inbox, rejections), one partition each."""
    return [
        TopicSpec(inbox_topic(agency_code), 1, dict(_INBOX)),
        TopicSpec(agency_rejections_topic(agency_code), 1, dict(_KEEP_FOREVER)),
    ]
