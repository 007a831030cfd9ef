"""What the generator remembers while it plans: persons and cases as the decider will see them.

The planner predicts each submission's outcome with a small mirror of the decider's checks (authority from
the rules and the registry, the case's workflow states, the person's status, regime and entitlements), so
a submission meant to be accepted is planned only when the mirror accepts it, and a planted refusal only
when the mirror refuses it with the intended code. The decider stays the judge: tests replay the output
through it and compare every outcome with the prediction.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from lienthong.domain import lifecycle as lc
from lienthong.generator.world import Home, World

ACCEPTED = "accepted"

# Step flags.
STALE = 1  # carries an expected_version that is no longer the case's version
PERSONAL = 2  # carries the person's personal data (sealed at the door)
CHECK_VERSION = 4  # carries the current expected_version (a client that reads before it writes)
REMEMBER = 8  # remember the event id (for a later RecordCorrected)

SUPPORT_OF_EVENT = lc.SUPPORT_OF_EVENT
_KNOWN_FROM_LOG = ("in_facility", "poor_household", "returned_to_residence")
_PERSON_MAKERS = lc.OPENING_EVENTS | {"AccompanyingMinorLinked", "PersonsMerged", "PersonsUnmerged"}
_APPLICATION_STEPS = {
    "SupportApplicationCertified": ("submitted",),
    "SupportApproved": ("certified",),
    "SupportRejected": ("submitted", "certified"),
}
_REFERRAL_STEPS = {
    "ReferralAccepted": ("sent",),
    "ReferralRejected": ("sent",),
    "ReferralCompleted": ("accepted",),
    "ReferralRevoked": ("sent", "accepted"),
}
_REFERRAL_STATUS = {
    "ReferralAccepted": "accepted",
    "ReferralRejected": "rejected",
    "ReferralCompleted": "completed",
    "ReferralRevoked": "revoked",
}


class Person:
    __slots__ = (
        "ref",
        "human",
        "sex",
        "birth_year",
        "home",
        "data",
        "role",
        "adult",
        "status",
        "regime",
        "identified_on",
        "first_reported_on",
        "received_on",
        "one_offs",
        "tried",
        "refused",
        "poor_household",
        "in_facility",
        "returned_to_residence",
        "extension_days",
        "introduced",
        "duplicate_of",
        "first_unit_province",
        "data_sent",
        "case",
    )

    def __init__(self, ref: str, human: str, sex: str, birth_year: int, home: Home, role: str = "subject"):
        self.ref = ref
        self.human = human
        self.sex = sex
        self.birth_year = birth_year
        self.home = home
        self.data: dict[str, str] | None = None
        self.role = role
        self.adult: Person | None = None
        self.status: str | None = None  # None: not yet in any case state
        self.regime: str | None = None
        self.identified_on: date | None = None
        self.first_reported_on: date | None = None
        self.received_on: date | None = None
        self.one_offs: dict[str, date] = {}  # one-off support type -> the day it was paid
        # plan time: support types of every step planned for this person, whatever its outcome; the plan is
        # made whole, so it covers the person's future too (a one-off carried in by a merge must not meet
        # a payment of the same type planned later in the surviving case)
        self.tried: set[str] = set()
        self.refused: set[str] = set()
        self.poor_household = False
        self.in_facility = False
        self.returned_to_residence = False
        self.extension_days = 0
        self.introduced = False  # emission time: the first accepted submission naming this person is out
        self.duplicate_of: Person | None = None
        self.first_unit_province: str | None = None  # province (in its own map) of the first accepted unit
        self.data_sent = False  # plan time: personal data planned in an accepted submission
        self.case: Case | None = None


class Case:
    __slots__ = (
        "case_id",
        "kind",
        "version",
        "exists",
        "closed",
        "person",
        "persons",
        "referrals",
        "transfers",
        "applications",
        "consents",
        "merges",
        "tip_forwarded_to",
        "event_ids",
        "seq",
        "province",
        "version_planned",
        "first_closed_t",
    )

    def __init__(self, case_id: str, seq: int, kind: str = "case", province: str = "") -> None:
        self.case_id = case_id
        self.seq = seq
        self.kind = kind
        self.province = province
        self.version = 0  # emission time: accepted events so far
        self.version_planned = 0  # plan time: accepted events planned so far
        self.exists = False  # plan time
        self.closed = False  # plan time: after the case's whole plan, not at a given moment
        self.first_closed_t: int | None = None  # plan time: when the case is first closed; open before it
        self.person: Person | None = None  # the case's subject (the first person named)
        self.persons: dict[str, Person] = {}
        self.referrals: dict[str, list[str]] = {}  # id -> [to, from, status]
        self.transfers: dict[str, list[str]] = {}  # id -> [from, to, status]
        self.applications: dict[str, str] = {}
        self.consents: dict[str, list[Any]] = {}  # id -> [scope, valid_until (date or None), withdrawn]
        # merge id -> (surviving ref, merged refs, one-off support types paid under the merged refs)
        self.merges: dict[str, tuple[str, frozenset[str], frozenset[str]]] = {}
        self.tip_forwarded_to: set[str] = set()
        self.event_ids: dict[str, str] = {}  # emission time: label -> event id

    @property
    def status(self) -> str | None:
        return self.person.status if self.person is not None else (lc.TIP if self.exists else None)


class Mirror:
    """The decider's checks, as far as the planner needs them, over Person and Case."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.rules = world.rules

    # -- regime and entitlements ---------------------------------------------------------------------

    def regime(self, person: Person | None, on: date) -> str:
        if person is not None:
            if person.regime:
                return person.regime
            if person.role == lc.ACCOMPANYING_MINOR and person.adult is not None and person.adult.regime:
                return person.adult.regime
        return self.rules.regime_on(on)

    def support_refusal(
        self,
        person: Person | None,
        support_type: str,
        on: date,
        unit: str,
        event_type: str,
        agency_type: str,
        case: Case | None = None,
    ) -> str | None:
        if event_type == "EssentialNeedsProvided" and agency_type == "mission":
            support_type = "essential_needs_abroad"
        if person is None:
            return "no_person"
        merges = case.merges.values() if case is not None else ()
        if any(person.ref in merged for _, merged, _ in merges):
            return "person_merged_away"
        if support_type in person.refused or "all" in person.refused:
            return "support_refused_by_person"
        regime = self.regime(person, on)
        status = lc.entitlement_status(person.status or lc.TIP, regime)
        row = (
            self.rules.entitlement(support_type, status, regime, on, province=_province(unit))
            if status
            else None
        )
        if row is None:
            return "not_entitled"
        for requirement in sorted(set(row.requires) & set(_KNOWN_FROM_LOG)):
            if not getattr(person, requirement):
                return "requirement_missing"
        if row.max_days is not None:
            since = person.received_on or person.first_reported_on or on
            if on > since + timedelta(days=row.max_days + person.extension_days):
                return "entitlement_expired"
        if row.one_off and support_type in person.one_offs:
            return "already_paid_once"
        if row.one_off and any(
            survivor == person.ref and support_type in paid for survivor, _, paid in merges
        ):
            return "already_paid_under_merge"
        return None

    def days_left(self, person: Person, support_type: str, on: date) -> int | None:
        """Days of a time-limited entitlement still left on `on` (None: not time-limited)."""
        regime = self.regime(person, on)
        status = lc.entitlement_status(person.status or lc.TIP, regime)
        row = self.rules.entitlement(support_type, status, regime, on) if status else None
        if row is None or row.max_days is None:
            return None
        since = person.received_on or person.first_reported_on or on
        return (since + timedelta(days=row.max_days + person.extension_days) - on).days

    # -- the whole check chain -----------------------------------------------------------------------

    def predict(
        self,
        case: Case,
        event_type: str,
        agency: str,
        unit: str,
        on: date,
        subject: Person | None,
        args: dict[str, Any],
        flags: int,
    ) -> str | None:
        code = self.world.authority(agency, event_type, on, unit)
        if code is not None:
            return code
        if flags & STALE:
            return "stale_version" if case.version_planned > 0 else None
        stream_event = event_type in lc.STREAM_EVENTS
        if not case.exists:
            if not (stream_event or event_type in lc.OPENING_EVENTS):
                return "case_not_found"
        else:
            if (case.kind == "stream") != stream_event:
                return "wrong_stream"
            if case.closed and event_type not in lc.ALLOWED_WHEN_CLOSED:
                return "case_closed"
            if event_type == "CaseReopened" and not case.closed:
                return "not_closed"
            if event_type == "TipReceived":
                return "case_exists"
            if (
                case.kind == "case"
                and case.status == lc.TIP
                and not (
                    event_type in lc.TIP_LOOP
                    or event_type in _PERSON_MAKERS
                    or event_type in ("CaseClosed", "ConsentRecorded")
                )
            ):
                return "no_person"
            if event_type == "TipAcknowledged" and agency not in case.tip_forwarded_to:
                return "workflow_state"
            if case.kind != "stream" and event_type not in _PERSON_MAKERS and case.status != lc.TIP:
                person = subject or case.person
                if person is not None and person.ref in case.persons:
                    required = lc.REQUIRED_STATUS.get(event_type)
                    if required is not None and person.status not in required:
                        return "wrong_status"
                elif subject is not None:
                    return "unknown_person"
        support_type = (
            args.get("support_type") if event_type == "SupportPaid" else SUPPORT_OF_EVENT.get(event_type)
        )
        if support_type is not None:
            person = subject or case.person
            code = self.support_refusal(
                person, support_type, on, unit, event_type, self.world.agency(agency).agency_type, case
            )
            if code is not None:
                return code
            if event_type == "SupportPaid" and args.get("_rate_refusal"):
                return args["_rate_refusal"]
        return self._workflows(case, event_type, agency, on, args)

    def _workflows(self, case: Case, event_type: str, agency: str, on: date, args: dict) -> str | None:
        if event_type == "ReferralSent":
            if args["referral_id"] in case.referrals:
                return "duplicate_id"
            consent = case.consents.get(args.get("consent_ref") or "")
            if args.get("lawful_basis_code"):
                return None
            if consent is not None:
                scope, valid_until, withdrawn = consent
                if (
                    not withdrawn
                    and (valid_until is None or on < valid_until)
                    and (not scope or args["to_agency_code"] in scope)
                ):
                    return None
            return "no_consent"
        if event_type in _REFERRAL_STEPS:
            found = case.referrals.get(args["referral_id"])
            if found is None:
                return "unknown_referral"
            if found[2] not in _REFERRAL_STEPS[event_type]:
                return "workflow_state"
            actor = found[1] if event_type == "ReferralRevoked" else found[0]
            return None if agency == actor else "referral_not_addressed_to_emitter"
        if event_type == "CaseTransferRequested":
            return "duplicate_id" if args["transfer_id"] in case.transfers else None
        if event_type in ("CaseTransferAccepted", "CaseTransferRejected"):
            found = case.transfers.get(args["transfer_id"])
            if found is None or found[2] != "requested":
                return "workflow_state"
            return None if agency == found[1] else "referral_not_addressed_to_emitter"
        if event_type == "SupportApplicationSubmitted":
            return "duplicate_id" if args["application_id"] in case.applications else None
        if event_type in _APPLICATION_STEPS:
            status = case.applications.get(args["application_id"])
            return None if status in _APPLICATION_STEPS[event_type] else "workflow_state"
        if event_type == "ConsentRecorded":
            return "duplicate_id" if args["consent_id"] in case.consents else None
        if event_type == "ConsentWithdrawn":
            found = case.consents.get(args["consent_id"])
            return None if found is not None and not found[2] else "workflow_state"
        if event_type == "PersonsMerged":
            return "duplicate_id" if args["merge_id"] in case.merges else None
        if event_type == "PersonsUnmerged":
            merge = case.merges.get(args["merge_id"])
            if merge is None:
                return "workflow_state"
            return None if set(args["restored_person_refs"]) <= merge[1] else "invalid_field"
        if event_type == "AccompanyingMinorLinked":
            if args["adult_person_ref"] not in case.persons:
                return "unknown_person"
            if args["minor"].ref in case.persons:
                return "duplicate_id"
            if on.year - args["minor"].birth_year > 18:
                return "not_a_minor"
        return None

    # -- evolve --------------------------------------------------------------------------------------

    def apply(
        self,
        case: Case,
        event_type: str,
        agency: str,
        on: date,
        subject: Person | None,
        args: dict[str, Any],
    ) -> None:
        """Mirror evolve() for an accepted submission."""
        case.version_planned += 1
        if not case.exists:
            case.exists = True
            case.kind = "stream" if event_type in lc.STREAM_EVENTS else "case"
        person = subject
        if person is not None and event_type not in ("PersonsMerged", "PersonsUnmerged"):
            if person.ref not in case.persons:
                case.persons[person.ref] = person
                person.status = lc.TIP
                person.first_reported_on = on
                person.case = case
                if case.person is None:
                    case.person = person
            self._evolve_person(person, event_type, on, args, agency)
        if event_type == "TipForwarded":
            case.tip_forwarded_to.add(args["target_agency_code"])
        elif event_type == "AccompanyingMinorLinked":
            minor: Person = args["minor"]
            adult = case.persons[args["adult_person_ref"]]
            minor.role = lc.ACCOMPANYING_MINOR
            minor.status = lc.ACCOMPANYING_MINOR
            minor.adult = adult
            minor.first_reported_on = adult.first_reported_on
            case.persons[minor.ref] = minor
        elif event_type == "ReferralSent":
            case.referrals[args["referral_id"]] = [args["to_agency_code"], agency, "sent"]
        elif event_type in _REFERRAL_STATUS:
            case.referrals[args["referral_id"]][2] = _REFERRAL_STATUS[event_type]
        elif event_type == "CaseTransferRequested":
            case.transfers[args["transfer_id"]] = [
                args["from_agency_code"],
                args["to_agency_code"],
                "requested",
            ]
        elif event_type in ("CaseTransferAccepted", "CaseTransferRejected"):
            case.transfers[args["transfer_id"]][2] = (
                "accepted" if event_type.endswith("Accepted") else "rejected"
            )
        elif event_type == "SupportApplicationSubmitted":
            case.applications[args["application_id"]] = "submitted"
        elif event_type == "SupportApplicationCertified":
            case.applications[args["application_id"]] = "certified"
        elif event_type == "SupportApproved":
            case.applications[args["application_id"]] = "approved"
        elif event_type == "SupportRejected":
            case.applications[args["application_id"]] = "rejected"
        elif event_type == "ConsentRecorded":
            case.consents[args["consent_id"]] = [
                frozenset(args.get("scope_agency_codes") or ()),
                args.get("valid_until"),
                False,
            ]
        elif event_type == "ConsentWithdrawn":
            case.consents[args["consent_id"]][2] = True
        elif event_type == "PersonsMerged":
            paid = frozenset(support_type for _, support_type, _, _ in args.get("merged_one_offs", ()))
            merged = frozenset(args["merged_person_refs"])
            case.merges[args["merge_id"]] = (args["surviving_person_ref"], merged, paid)
        elif event_type == "PersonsUnmerged":
            case.merges.pop(args["merge_id"], None)  # the planner restores every merged ref at once
        elif event_type == "CaseClosed":
            case.closed = True
        elif event_type == "CaseReopened":
            case.closed = False

    def _evolve_person(self, person: Person, event_type: str, on: date, args: dict, agency: str) -> None:
        regime = self.regime(person, on)  # the envelope's regime, before this event
        person.status = lc.next_status(person.status, event_type, args)
        if event_type in ("ReceptionRegistered", "VictimHandoverReceived") and person.received_on is None:
            person.received_on = on
        elif event_type == "VictimStatusDetermined" and args["status"] == "victim":
            person.identified_on = on
            person.regime = self.rules.regime_for_person(on, person.first_reported_on or on)
        elif event_type == "ShelterStayExtended":
            person.extension_days += args["extension_days"]
        elif event_type == "AdmittedToFacility":
            person.in_facility = True
        elif event_type == "DischargedFromFacility":
            person.in_facility = False
        elif event_type == "ReturnedToResidenceConfirmed":
            person.returned_to_residence = True
        elif event_type == "SupportApplicationSubmitted" and args.get("poor_household_flag"):
            person.poor_household = True
        elif event_type == "SupportRefused":
            person.refused.add(args["support_type"])
        support_type = (
            args.get("support_type") if event_type == "SupportPaid" else SUPPORT_OF_EVENT.get(event_type)
        )
        if support_type:
            status = lc.entitlement_status(person.status, regime)
            row = self.rules.entitlement(support_type, status, regime, on) if status else None
            if row is not None and row.one_off:
                person.one_offs[support_type] = on


def _province(unit: str) -> str | None:
    from lienthong import places

    return places.current_province_of(unit)
