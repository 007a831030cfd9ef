"""Statuses of a person and how events group in the lifecycle (DOMAIN.md §b)."""

from __future__ import annotations

# Statuses of the person (b.1). TIP: only a tip, no person reported yet.
TIP = "tip"
REPORTED = "reported"
RECEIVED = "received"
IN_IDENTIFICATION = "in_identification"
IDENTIFIED = "identified"
NOT_A_VICTIM = "not_a_victim"
ACCOMPANYING_MINOR = "accompanying_minor"

STATUS_LABELS: dict[str, tuple[str, str]] = {
    TIP: ("mới có tin báo", "tip only"),
    REPORTED: ("đã trình báo", "reported"),
    RECEIVED: ("đã tiếp nhận", "received"),
    IN_IDENTIFICATION: ("đang trong quá trình xác định là nạn nhân", "in identification"),
    IDENTIFIED: ("nạn nhân", "victim"),
    NOT_A_VICTIM: ("không phải nạn nhân", "not a victim"),
    ACCOMPANYING_MINOR: ("người dưới 18 tuổi đi cùng", "accompanying under-18"),
}

# Events that may open a person's case, and the tip loop that may follow a bare tip.
OPENING_EVENTS = frozenset(
    {"TipReceived", "PersonReported", "ReceptionRegistered", "RescueCompleted", "VictimHandoverReceived"}
)
PERSON_OPENING_EVENTS = OPENING_EVENTS - {"TipReceived"}
TIP_LOOP = frozenset({"TipForwarded", "TipAcknowledged", "TipOutcomeReported"})
# Registry and programme facts concern no person: they live on streams of their own (case id = stream id).
STREAM_EVENTS = frozenset(
    {
        "PeriodicReportSubmitted",
        "AdministrativeUnitSucceeded",
        "AgencySucceeded",
        "AnnualPlanIssued",
        "BudgetAllocated",
        "InspectionFindingRecorded",
        "AnnualVictimListSubmitted",
    }
)
# What a closed case still accepts: its reopening, and the person's and the steward's data rights.
ALLOWED_WHEN_CLOSED = frozenset(
    {"CaseReopened", "ConsentWithdrawn", "RecordCorrected", "PersonsMerged", "PersonsUnmerged"}
)
PERSON_STATUSES = frozenset(
    {REPORTED, RECEIVED, IN_IDENTIFICATION, IDENTIFIED, NOT_A_VICTIM, ACCOMPANYING_MINOR}
)

_STATUS_AFTER = {
    "PersonReported": REPORTED,
    "RescueCompleted": REPORTED,
    "VictimHandoverReceived": RECEIVED,
    "ReceptionRegistered": RECEIVED,
    "IdentificationStarted": IN_IDENTIFICATION,
    "VerificationRequested": IN_IDENTIFICATION,
}
# Statuses only move forward: a late PersonReported must not undo a reception or an identification.
_RANK = {
    TIP: 0,
    REPORTED: 1,
    RECEIVED: 2,
    IN_IDENTIFICATION: 3,
    IDENTIFIED: 4,
    NOT_A_VICTIM: 4,
    ACCOMPANYING_MINOR: 4,
}

# Which statuses an event requires of its subject.
REQUIRED_STATUS: dict[str, frozenset[str]] = {
    "IdentificationStarted": frozenset({REPORTED, RECEIVED}),
    "VerificationRequested": frozenset({REPORTED, RECEIVED, IN_IDENTIFICATION}),
    "InitialVerificationCompleted": frozenset({REPORTED, RECEIVED, IN_IDENTIFICATION}),
    "NationalityVerificationRequested": frozenset({REPORTED, RECEIVED, IN_IDENTIFICATION}),
    "VictimStatusDetermined": frozenset({REPORTED, RECEIVED, IN_IDENTIFICATION}),
    "VictimCertificateIssued": frozenset({IDENTIFIED}),
}

# Events that give a person support, and the support type (DOMAIN §d) each one draws on.
SUPPORT_OF_EVENT: dict[str, str] = {
    "EssentialNeedsProvided": "essential_needs",
    "TravelCostPaid": "travel_home",
    "RepatriationCostPaid": "repatriation",
    "MedicalServiceProvided": "medical",
    "HealthInsuranceIssued": "health_insurance_first_year",
    "CounsellingProvided": "counselling",
    "LegalAidProvided": "legal_aid",
    "SchoolEnrolmentSupported": "cultural_study",
    "TuitionExempted": "cultural_study",
    "VocationalTrainingEnrolled": "vocational_training",
    "EmploymentCounsellingProvided": "employment_counselling",
    "LoanApplicationReferred": "loan",
    "LoanDisbursed": "loan",
}

RESTRICTED_EVENTS = frozenset(
    {
        "VictimStatusDetermined",
        "ProtectionRequested",
        "ProtectionMeasureApplied",
        "ProtectionRefused",
        "TipReceived",
        "CriminalCaseLinked",
        "MedicalServiceProvided",
        "CounsellingProvided",
        "FamilyContacted",
    }
)


def next_status(current: str | None, event_type: str, record: dict) -> str:
    """The person's status after `event_type`; shared by the decider and every view."""
    if event_type == "VictimStatusDetermined":
        return IDENTIFIED if record["status"] == "victim" else NOT_A_VICTIM
    current = current or TIP
    new = _STATUS_AFTER.get(event_type)
    return new if new and _RANK[new] > _RANK.get(current, 0) else current


def entitlement_status(status: str, regime: str) -> str | None:
    """The beneficiary status of the support rules for a person's lifecycle status, if any."""
    if status == IDENTIFIED:
        return "victim"
    if status == ACCOMPANYING_MINOR:
        # Under L2011 there was no such status; Law 53/2024 Art. 63 keeps the under-18s accompanying a
        # pre-July-2025 victim on that victim's L2011 support, so they draw on the victim rows.
        return "accompanying_minor" if regime == "L2024" else "victim"
    if status in (REPORTED, RECEIVED, IN_IDENTIFICATION):
        return "in_identification" if regime == "L2024" else "awaiting_verification"
    return None
