"""Case statuses and which events open, move or require them (DOMAIN.md §b.1)."""

from __future__ import annotations

from datetime import UTC, datetime

# Statuses of the person in the case (b.1). TIP: only a tip, no person reported yet.
TIP = "tip"
REPORTED = "reported"
RECEIVED = "received"
IN_IDENTIFICATION = "in_identification"
IDENTIFIED = "identified"
NOT_A_VICTIM = "not_a_victim"

OPENING_EVENTS = frozenset({"TipReceived", "PersonReported", "ReceptionRegistered"})
PERSON_STATUSES = frozenset({REPORTED, RECEIVED, IN_IDENTIFICATION, IDENTIFIED, NOT_A_VICTIM})
# Law 53/2024 Ch. V: a person in identification is already entitled to support; so is a victim.
ENTITLED_STATUSES = frozenset({IN_IDENTIFICATION, IDENTIFIED})

# The L2024 regime (Law 53/2024 as amended by Law 86/2025, Decree 162/2025) starts on this date.
# Midnight of 2025-07-01 in Vietnam (UTC+7).
L2024_EFFECTIVE = datetime(2025, 6, 30, 17, tzinfo=UTC)


def regime_for(occurred_at: datetime) -> str:
    """Default legal regime by the date the fact occurred (the person-level rule is a domain-issue item)."""
    return "L2024" if occurred_at >= L2024_EFFECTIVE else "L2011"


# Default legal basis per (event type, regime) when the submitter gives none.
DEFAULT_LEGAL_BASIS: dict[tuple[str, str], str] = {
    ("TipReceived", "L2024"): "ND162/2025 Art4-5",
    ("TipReceived", "L2011"): "L66/2011 Art24",
    ("PersonReported", "L2024"): "L53/2024 Art27(1) am. L86/2025",
    ("PersonReported", "L2011"): "L66/2011 Art24; TTLT01/2014",
    ("ReceptionRegistered", "L2024"): "L53/2024 Art27(2) am. L86/2025",
    ("ReceptionRegistered", "L2011"): "L66/2011 Art24; TTLT01/2014",
    ("VerificationRequested", "L2024"): "L53/2024 Art27(2) am. L86/2025",
    ("VerificationRequested", "L2011"): "TTLT01/2014",
    ("InitialVerificationCompleted", "L2024"): "L53/2024 Art27(2) am. L86/2025",
    ("InitialVerificationCompleted", "L2011"): "TTLT01/2014",
    ("VictimStatusDetermined", "L2024"): "L53/2024",
    ("VictimStatusDetermined", "L2011"): "L66/2011 Art28",
    ("VictimCertificateIssued", "L2024"): "L53/2024",
    ("VictimCertificateIssued", "L2011"): "L66/2011 Art24(4)",
    ("ProtectionMeasureApplied", "L2024"): "L53/2024 Art34; ND162/2025 Art13",
    ("ProtectionMeasureApplied", "L2011"): "ND62/2012 Art7",
    ("EssentialNeedsProvided", "L2024"): "ND162/2025 Art17",
    ("EssentialNeedsProvided", "L2011"): "ND09/2013; TT84/2019",
    ("SupportPaid", "L2024"): "ND162/2025",
    ("SupportPaid", "L2011"): "ND09/2013; TT84/2019",
    ("ReferralSent", "L2024"): "L53/2024",
    ("ReferralSent", "L2011"): "L66/2011",
    ("ReferralAccepted", "L2024"): "L53/2024",
    ("ReferralAccepted", "L2011"): "L66/2011",
    ("CaseClosed", "L2024"): "L53/2024",
    ("CaseClosed", "L2011"): "L66/2011",
}

# Events that carry details about a person; they get the 'restricted' sensitivity.
RESTRICTED_EVENTS = frozenset({"VictimStatusDetermined", "ProtectionMeasureApplied", "TipReceived"})

_STATUS_AFTER = {
    "PersonReported": REPORTED,
    "ReceptionRegistered": RECEIVED,
    "VerificationRequested": IN_IDENTIFICATION,
}
# Statuses only move forward: a late PersonReported must not undo a reception or an identification.
_RANK = {TIP: 0, REPORTED: 1, RECEIVED: 2, IN_IDENTIFICATION: 3, IDENTIFIED: 4, NOT_A_VICTIM: 4}


def next_status(current: str | None, event_type: str, record: dict) -> str:
    """The person's status after `event_type`; shared by the decider and every view."""
    if event_type == "VictimStatusDetermined":
        return IDENTIFIED if record["status"] == "victim" else NOT_A_VICTIM
    current = current or TIP
    new = _STATUS_AFTER.get(event_type)
    return new if new and _RANK[new] > _RANK[current] else current
