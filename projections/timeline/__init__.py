"""The case timeline: one row per accepted event of a case, with its NON-personal payload fields.

A pure view family (ARCHITECTURE rules 1 and 10): `apply` copies the envelope facts a timeline needs
and the payload's classifications and codes as JSON. Sealed personal data (names, ID numbers,
addresses, narratives, best-interest notes, sealed corrections) never enters this table, nor does
the actor's pseudonym; which of the remaining fields an officer sees is decided by the portal
(services/portal/timeline_fields.toml), per agency type.
"""

from __future__ import annotations

from lienthong.projections.timeline.tables import case_timeline
from lienthong.projections.timeline.view import CaseTimeline, non_personal_payload, timeline_row


def views() -> list:
    return [CaseTimeline()]


__all__ = ["CaseTimeline", "case_timeline", "non_personal_payload", "timeline_row", "views"]
