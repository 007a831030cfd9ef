"""The closed vocabulary the rule files are written in. A name outside these sets is a data error.

Names only: *when* an agency type exists, which levels it has, who holds a role and every value with a
legal basis live in the data files (ARCHITECTURE rule 9). Event names follow DOMAIN.md §c.
"""

from __future__ import annotations

# DOMAIN.md §c, the full catalogue the exchange will hold.
EVENT_TYPES: frozenset[str] = frozenset(
    {
        # tips and first contact
        "TipReceived",
        "TipForwarded",
        "TipAcknowledged",
        "TipOutcomeReported",
        "PersonReported",
        "RescueCompleted",
        "VictimHandoverReceived",
        "ReceptionRegistered",
        # identification
        "IdentificationStarted",
        "VerificationRequested",
        "NationalityVerificationRequested",
        "NationalityVerificationCompleted",
        "InitialVerificationCompleted",
        "VictimStatusDetermined",
        "VictimCertificateIssued",
        # protection
        "ProtectionRequested",
        "ProtectionMeasureApplied",
        "ProtectionMeasureLifted",
        "ProtectionRefused",
        # shelter
        "AdmittedToFacility",
        "ShelterStayExtended",
        "DischargedFromFacility",
        # support
        "NeedsAssessed",
        "EssentialNeedsProvided",
        "TravelCostPaid",
        "RepatriationCostPaid",
        "MedicalServiceProvided",
        "HealthInsuranceIssued",
        "CounsellingProvided",
        "LegalAidRequested",
        "LegalAidProvided",
        "SupportApplicationSubmitted",
        "SupportApplicationCertified",
        "SupportApproved",
        "SupportRejected",
        "SupportPaid",
        "SchoolEnrolmentSupported",
        "TuitionExempted",
        "VocationalTrainingEnrolled",
        "EmploymentCounsellingProvided",
        "LoanApplicationReferred",
        "LoanDisbursed",
        # referral and transfer
        "ReferralSent",
        "ReferralAccepted",
        "ReferralRejected",
        "ReferralCompleted",
        "ReferralRevoked",
        "CaseTransferRequested",
        "CaseTransferAccepted",
        "CaseTransferRejected",
        # family, return, reintegration
        "FamilyContacted",
        "GuardianAssigned",
        "ReturnedToResidence",
        "ReturnedToResidenceConfirmed",
        "ReintegrationFollowUpRecorded",
        "SupportRefused",
        # justice
        "CriminalCaseLinked",
        "AnnualVictimListSubmitted",
        # consent and data stewardship
        "ConsentRecorded",
        "ConsentWithdrawn",
        "RecordCorrected",
        "PersonsMerged",
        "PersonsUnmerged",
        "AccompanyingMinorLinked",
        # case
        "CaseClosed",
        "CaseReopened",
        # reporting, registry, planning, oversight
        "PeriodicReportSubmitted",
        "AdministrativeUnitSucceeded",
        "AgencySucceeded",
        "AnnualPlanIssued",
        "BudgetAllocated",
        "InspectionFindingRecorded",
        "TravelDocumentIssued",
    }
)

# DOMAIN.md §a. Levels and lifetimes per type are data (mandates.toml, [[agency_types]]).
AGENCY_TYPES: frozenset[str] = frozenset(
    {
        "commune_pc",
        "commune_police",
        "district_police",
        "district_labour",
        "provincial_labour",
        "provincial_health",
        "provincial_police",
        "border_guard",
        "coast_guard",
        "social_facility",
        "health_facility",
        "legal_aid",
        "education",
        "finance",
        "foreign_affairs",
        "mission",
        "court",
        "procuracy",
        "womens_union",
        "hotline_111",
        "employment_centre",
        "vbsp",
        "steering_committee",
        "inspection",
    }
)

# Roles an agency type can hold for a period (mandates.toml, [[roles]]); mandates can name a role.
ROLES: frozenset[str] = frozenset(
    {
        "data_steward",  # RecordCorrected, PersonsMerged, PersonsUnmerged
        "registry_admin",  # AdministrativeUnitSucceeded, AgencySucceeded
    }
)

# C commune/ward/special zone, D district, P province, N national, X abroad (DOMAIN §a).
LEVELS: frozenset[str] = frozenset({"C", "D", "P", "N", "X"})

# Where an agency may record facts: its own registered unit, the province containing it, anywhere in
# Vietnam, or abroad.
JURISDICTIONS: frozenset[str] = frozenset({"own_unit", "own_province", "national", "abroad"})

REGIMES: frozenset[str] = frozenset({"L2011", "L2024"})
DEADLINE_REGIMES: frozenset[str] = REGIMES | {"both"}

# Beneficiary statuses. `awaiting_verification` exists only under L2011 (JC 01/2014); `in_identification`
# and `accompanying_minor` only under L2024 (Law 53/2024 Ch. V, Art. 34, 37, 41).
STATUSES_BY_REGIME: dict[str, frozenset[str]] = {
    "L2011": frozenset({"victim", "awaiting_verification"}),
    "L2024": frozenset({"victim", "in_identification", "accompanying_minor"}),
}
STATUSES: frozenset[str] = frozenset().union(*STATUSES_BY_REGIME.values())

# DOMAIN.md §d support catalogue (victim entitlements; protection and staff costs are not entitlements).
SUPPORT_TYPES: frozenset[str] = frozenset(
    {
        "essential_needs",
        "essential_needs_abroad",
        "travel_home",
        "repatriation",
        "medical",
        "health_insurance_first_year",
        "counselling",
        "legal_aid",
        "cultural_study",
        "vocational_training",
        "initial_hardship",
        "employment_counselling",
        "loan",
    }
)

# Conditions an entitlement can require of the beneficiary (checked by the caller, named here).
REQUIREMENTS: frozenset[str] = frozenset(
    {
        "poor_household",  # Decree 09/2013 Art. 23
        "in_facility",  # L2011: medical care and counselling only while in a facility
        "financial_difficulty",  # Law on Legal Aid 2017 (victims with financial difficulty)
        "without_means",  # abroad, pending return (Circular 84/2019)
        "uninsured",  # first-year health insurance (Law 53/2024)
        "returned_to_residence",  # initial hardship is paid on return
    }
)

RATE_UNITS: frozenset[str] = frozenset(
    {"per_day", "per_person", "one_off", "per_course", "per_month", "per_school_year"}
)
# What a rate row prices within a support type (a support type can have several priced items).
RATE_ITEMS: frozenset[str] = frozenset(
    {
        "allowance",
        "food",
        "clothing_personal_items",
        "temporary_shelter",
        "medicine",
        "meals",
        "ticket",
        "course",
        "school_supplies",
    }
)
# Item codes offices write on EssentialNeedsProvided for the rate item that prices them.
RATE_ITEM_ALIASES: dict[str, str] = {
    "meal_day": "food",
    "food_day": "food",
    "clothing_set": "clothing_personal_items",
    "shelter_night": "temporary_shelter",
}

CALENDARS: frozenset[str] = frozenset({"calendar", "working"})
DEADLINE_KINDS: frozenset[str] = frozenset(
    {
        "deadline",  # something must happen before the due time
        "limit",  # an entitlement or stay ends at the due time unless extended
    }
)
# Who answers for a deadline when it is not one agency type: the agency the starting event was
# addressed to, the agency that emitted it, or the person applying.
RESPONSIBLE_PARTIES: frozenset[str] = frozenset({"addressee", "emitter", "applicant"})

HOLIDAY_KINDS: frozenset[str] = frozenset(
    {
        "holiday",  # a public holiday (Labour Code 2019 Art. 112)
        "compensatory",  # a weekday off because a holiday fell on a weekly rest day (Art. 111(3))
        "swap_off",  # a weekday off, swapped with a weekend day worked instead
        "swap_work",  # a weekend day worked in exchange
    }
)
