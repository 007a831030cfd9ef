"""Case histories, planned whole when a case arrives: who does what, where and when, from the first report
to the last follow-up, across the 2025 restructuring and the regime switch (DOMAIN.md §a, §b, §g).

A planner walks forward in time. Every step names the agency that would act on that day (district bodies
before they were dissolved, the Department of Health after it took over, the old communes' People's
Committee and police, UBND-XA-L-/CA-XA-L-, until 2025-06-30 and today's communes' from 2025-07-01), the
unit of the day (old "L:" codes before 2025-07-01), and its expected outcome, predicted by the mirror of
the decider (model.Mirror). Steps the mirror would refuse are simply not planned, unless the refusal is
what the step is for: planted mistakes are followed by what an officer does next (wait, retry with the
right value, ask the right agency).

A duplicate's plan also touches the surviving person's case (the merge, and a one-off paid again there).
That case was planned whole before, so the mirror holds it as its whole plan leaves it; such steps are
planned only where its state on the day follows from the plan (see DuplicatePlanner).
"""

from __future__ import annotations

import contextlib
import random
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lienthong import places
from lienthong.domain import lifecycle as lc
from lienthong.generator.model import (
    ACCEPTED,
    CHECK_VERSION,
    PERSONAL,
    REMEMBER,
    STALE,
    SUPPORT_OF_EVENT,
    Case,
    Person,
)
from lienthong.generator.world import (
    BORDER,
    COAST_REGION,
    CUTOVER,
    FOREIGN_AUTHORITY,
    HEALTH_LEADS,
    HOTLINE_111,
    MISSION_OF,
    Home,
)

if TYPE_CHECKING:
    from lienthong.generator.engine import Engine

DAY = 86400
HOUR = 3600
# Duplicates (the same person reported again elsewhere): the share whose second office pays a one-off (the
# trip home) before the steward merges the refs, and of those the share whose survivor's office later tries
# to pay it again on the surviving case (refused: already_paid_under_merge).
ONE_OFF_BEFORE_MERGE = 0.35
PAID_AGAIN_AFTER_MERGE = 0.5
_NO_ARGS: dict[str, Any] = {}  # shared, never written
EPOCH = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=8192)
def _day(day: int) -> date:
    return date.fromordinal(EPOCH + day)


class StopPlanning(Exception):
    """The plan reached the end of the window."""


class Planner:
    """Plans steps for one owner (a case, or a stream of registry facts) forward in time."""

    def __init__(self, engine: Engine, case: Case, t: int) -> None:
        self.g = engine
        self.rng: random.Random = engine.rng
        self.mirror = engine.mirror
        self.world = engine.world
        self.case = case
        self.t = t
        self.steps: list[tuple] = []
        self.limit: int | None = None  # at most this many steps (registry and programme facts)

    # -- time ----------------------------------------------------------------------------------------

    @property
    def on(self) -> date:
        return _day(self.t // DAY)

    def later(
        self, days: float = 0.0, hours: float = 0.0, *, spread: float = 0.0, office: bool = True
    ) -> None:
        r = self.rng.random
        extra = r() * spread if spread else 0.0
        self.t += int((days + extra) * DAY + hours * HOUR) + 60 + int(r() * 1740)
        if office:
            self.t = self.g.office(self.t)

    def between(self, low: float, high: float, *, office: bool = True) -> None:
        self.later(days=low, spread=high - low, office=office)

    # -- steps ---------------------------------------------------------------------------------------

    def emit(
        self,
        event_type: str,
        agency: str | None,
        unit: str | None = None,
        *,
        args: dict[str, Any] | None = None,
        subject: Person | None = None,
        expect: str = ACCEPTED,
        flags: int = 0,
        case: Case | None = None,
        truth: dict | None = None,
    ) -> bool:
        """Plan one submission if the mirror agrees with `expect`; True if planned."""
        if agency is None:
            return False
        if self.t > self.g.end_t or (self.limit is not None and len(self.steps) >= self.limit):
            raise StopPlanning
        case = case or self.case
        args = args if args is not None else _NO_ARGS
        on = self.on
        unit = unit or self.g.default_unit(agency, on)
        predicted = self.mirror.predict(case, event_type, agency, unit, on, subject, args, flags)
        wanted = None if expect == ACCEPTED else expect.removeprefix("rejected:")
        if predicted != wanted:
            self.g.note_skip(event_type, predicted, wanted)
            return False
        outcome = ACCEPTED if predicted is None else f"rejected:{predicted}"
        person = subject or case.person
        if person is not None:
            support_type = (
                args.get("support_type") if event_type == "SupportPaid" else SUPPORT_OF_EVENT.get(event_type)
            )
            if support_type is not None:
                person.tried.add(support_type)
        if predicted is None:
            if event_type == "CaseClosed" and case.first_closed_t is None:
                case.first_closed_t = self.t
            self.mirror.apply(case, event_type, agency, on, subject, args)
            if subject is not None and subject.first_unit_province is None:
                subject.first_unit_province = places.province_of(unit)
            if flags & PERSONAL and subject is not None:
                subject.data_sent = True
            if self.rng.random() < 0.25 and case.exists and not flags & STALE:
                flags |= CHECK_VERSION
        self.steps.append((self.t, event_type, agency, unit, case, subject, args, outcome, flags, truth))
        return True

    def refuse(
        self, code: str, event_type: str, agency: str | None, unit: str | None = None, **kw: Any
    ) -> bool:
        return self.emit(event_type, agency, unit, expect=f"rejected:{code}", **kw)

    def first(self, event_type: str, codes: list[str | None], place: Home, **kw: Any) -> str | None:
        """Emit by the first candidate agency the rules allow on the day; the code that acted, or None."""
        for code in codes:
            if code is None or not self.world.exists(code):
                continue
            unit = self.unit(code, place)
            if self.world.authority(code, event_type, self.on, unit) is not None:
                continue
            return code if self.emit(event_type, code, unit, **kw) else None
        return None

    def unit(self, code: str, place: Home) -> str:
        agency = self.world.agency(code)
        on = self.on
        if agency.level == "X":
            return place.province_unit(on)
        if agency.level == "P" and self.g.rng.random() < 0.3:
            return place.province_unit(on)
        return place.unit(on)


class CasePlanner(Planner):
    """One person's case, from the first report or tip to the last follow-up."""

    def __init__(self, engine: Engine, case: Case, t: int, person: Person) -> None:
        super().__init__(engine, case, t)
        self.p = person
        self.home = person.home
        self.loc = person.home  # where the person is found and first supported
        self.province_led = self.rng.random() < 0.3  # before 2025-03-01: the province's DOLISA leads
        self.district_led = self.rng.random() < 0.3  # March-June 2025: the district office still leads
        self.verifier_hint: str | None = None  # the rescuing or receiving body that verifies
        self.minors: list[Person] = []

    # -- agencies of the day -------------------------------------------------------------------------

    def leads(self, place: Home | None = None) -> list[str | None]:
        place = place or self.loc
        on = self.on
        district = f"PLDTBXH-{place.old_district[2:]}"
        if on < HEALTH_LEADS:  # the district labour office, or the province's DOLISA for some cases
            codes = [district, f"SLDTBXH-{place.old_province[2:]}"]
            return codes[::-1] if self.province_led else codes
        if on < CUTOVER:  # the Department of Health leads; district offices still act until June
            codes = [f"SYT-{place.province}", district]
            return codes[::-1] if self.district_led else codes
        return [f"SYT-{place.province}"]

    def police(self, place: Home | None = None) -> str:
        place = place or self.loc
        if self.on < HEALTH_LEADS:
            return f"CA-HUYEN-{place.old_district[2:]}"
        return f"CA-TINH-{place.province}"

    def commune_pc(self, place: Home | None = None) -> str | None:
        """The commune People's Committee of the day: today's commune's from 2025-07-01, before it the old
        commune's (UBND-XA-L-<gso>, active to 2025-06-30 and succeeded by today's)."""
        place = place or self.home
        if self.on >= CUTOVER:
            return f"UBND-XA-{place.commune}"
        return f"UBND-XA-L-{place.old_commune[2:]}"

    def commune_police(self, place: Home | None = None) -> str | None:
        """The commune police of the day (CA-XA-L-<gso> of the old commune before 2025-07-01)."""
        place = place or self.home
        if self.on >= CUTOVER:
            return f"CA-XA-{place.commune}"
        return f"CA-XA-L-{place.old_commune[2:]}"

    def facility(self, place: Home | None = None) -> str:
        return f"TTCTXH-{(place or self.loc).province}"

    def steward(self, place: Home) -> str:
        if self.on < HEALTH_LEADS:
            return f"SLDTBXH-{place.old_province[2:]}"
        return f"SYT-{place.province}"

    def verifiers(self) -> list[str | None]:
        hint = self.verifier_hint
        return [hint, self.police(), f"CA-TINH-{self.loc.province}"] if hint else [self.police()]

    # -- the whole history ---------------------------------------------------------------------------

    def plan(self, pathway: str) -> None:
        try:
            opened = getattr(self, f"intake_{pathway}")()
            if not opened:
                return
            self.identify()
            if self.p.status != lc.IDENTIFIED:
                self.close_not_victim()
                return
            self.after_identification()
        except StopPlanning:
            pass

    # -- intake --------------------------------------------------------------------------------------

    def intake_domestic(self) -> bool:
        p, home = self.p, self.home
        # A person back home goes to the commune; before the two-tier map some went to the district police
        # or straight to the labour office instead.
        if self.on >= CUTOVER or self.rng.random() < 0.4:
            reporter = self.commune_pc() if self.rng.random() < 0.6 else self.commune_police()
            if not self.emit(
                "PersonReported",
                reporter,
                home.unit(self.on),
                args=self.reported(),
                subject=p,
                flags=PERSONAL,
            ):
                return False
            if reporter and reporter.startswith("UBND") and self.rng.random() < 0.4:
                self.later(hours=1)
                self.emit(
                    "ReceptionRegistered", reporter, args=self.received("self_return", reporter), subject=p
                )
                self.later(hours=2)
                self.support_needs([reporter], days=(1, 3))
            self.later(hours=self.rng.uniform(2, 30))
            self.reception_by_lead("self_return")
            return True
        if self.rng.random() < 0.5:
            if not self.emit(
                "PersonReported",
                self.police(),
                home.unit(self.on),
                args=self.reported(),
                subject=p,
                flags=PERSONAL,
            ):
                return False
            self.later(hours=self.rng.uniform(2, 48))
            self.reception_by_lead("self_return")
            return True
        lead = self.first(
            "ReceptionRegistered",
            self.leads(),
            home,
            args=self.received("self_return"),
            subject=p,
            flags=PERSONAL,
        )
        return lead is not None

    def intake_tip(self) -> bool:
        p, loc = self.p, self.loc
        on = self.on
        if on >= HOTLINE_111 and self.rng.random() < 0.75:
            receiver, channel = "DD-111", "hotline_111"
        elif on >= CUTOVER:
            receiver, channel = self.rng.choice(
                [(self.commune_police(loc), "walk_in"), (f"HLHPN-{loc.province}", "organisation")]
            )
        else:
            receiver, channel = self.rng.choice(
                [
                    (f"HLHPN-{loc.province}", "organisation"),
                    (f"CA-TINH-{loc.province}", "phone"),
                    (self.police(loc), "walk_in"),
                    (self.commune_police(loc), "walk_in"),
                ]
            )
        founded = self.rng.random() < 0.72
        subject = p if founded else None
        tip = {"channel": channel, "child_flag": self.child(), "location_code": loc.unit(on)}
        if not self.emit("TipReceived", receiver, loc.unit(on), args=tip, subject=subject):
            return False
        targets = self.tip_targets(receiver)
        handler = receiver
        for hop, target in enumerate(targets):
            if target == handler:
                continue
            self.later(hours=self.rng.uniform(0.1, 6), office=receiver != "DD-111")
            if not self.emit(
                "TipForwarded",
                handler,
                self.loc.unit(self.on),
                args={"target_agency_code": target},
                subject=subject,
            ):
                break
            if self.rng.random() < 0.03:  # the wrong office acknowledges: not forwarded to it
                other = (
                    self.commune_police(self.world.neighbour_home(self.rng, loc)) or f"CA-TINH-{loc.province}"
                )
                self.refuse(
                    "workflow_state",
                    "TipAcknowledged",
                    other,
                    self.loc.unit(self.on),
                    args={},
                    subject=subject,
                )
            self.later(hours=self.rng.uniform(0.5, 20))
            if self.emit("TipAcknowledged", target, self.loc.unit(self.on), subject=subject):
                handler = target
            if hop == 0 and len(targets) > 1:
                self.emit(
                    "TipOutcomeReported",
                    handler,
                    self.loc.unit(self.on),
                    args={"outcome": "referred_elsewhere"},
                    subject=subject,
                )
        self.between(0.5, 6)
        if not founded:
            outcome = "unfounded" if self.rng.random() < 0.8 else "other"
            self.emit("TipOutcomeReported", handler, self.loc.unit(self.on), args={"outcome": outcome})
            self.later(days=self.rng.uniform(1, 20))
            self.first("CaseClosed", self.leads(), loc, args={"reason": "other"})
            return False
        self.emit(
            "TipOutcomeReported",
            handler,
            self.loc.unit(self.on),
            args={"outcome": "case_opened", "linked_case_id": self.case.case_id},
            subject=p,
        )
        self.later(hours=self.rng.uniform(1, 30))
        reporter = handler if handler != "DD-111" else (self.commune_pc(loc) or self.police())
        if not self.emit(
            "PersonReported",
            reporter,
            self.loc.unit(self.on),
            args=self.reported(),
            subject=p,
            flags=PERSONAL,
        ):
            fallback = self.commune_pc(loc) or self.police()
            if not self.emit(
                "PersonReported", fallback, loc.unit(self.on), args=self.reported(), subject=p, flags=PERSONAL
            ):
                return False
        if receiver == "DD-111" and self.rng.random() < 0.6:
            self.later(hours=self.rng.uniform(1, 48), office=False)
            self.emit(
                "CounsellingProvided",
                "DD-111",
                loc.unit(self.on),
                args={"modality": "phone", "provider_agency_code": "DD-111"},
                subject=p,
            )
        self.later(hours=self.rng.uniform(2, 40))
        self.reception_by_lead("referred")
        return True

    def tip_targets(self, receiver: str) -> list[str]:
        loc, on = self.loc, self.on
        province = loc.province
        if receiver == "DD-111":
            options = [self.commune_police(loc), f"CA-TINH-{province}", self.commune_pc(loc)]
            if loc.province in self.world.border:
                options.append(f"BDBP-{province}")
            first = self.rng.choice([o for o in options if o])
            chain = [first]
            if self.rng.random() < 0.25:  # the loop goes on: the commune passes it to the province
                chain.append(f"CA-TINH-{province}" if first != f"CA-TINH-{province}" else f"BDBP-{province}")
            return [c for c in chain if self.world.exists(c)]
        if receiver.startswith("HLHPN"):
            return [
                self.commune_police(loc) or (self.police(loc) if on < HEALTH_LEADS else f"CA-TINH-{province}")
            ]
        if self.rng.random() < 0.3:
            return [f"CA-TINH-{province}"]
        return [receiver]

    def intake_handover(self) -> bool:
        p = self.p
        border = self.rng.choice(self.world.border)
        self.loc = self.world.pick_home(self.rng, border)
        country, gate = BORDER[border]
        guard = f"BDBP-{border}"
        self.verifier_hint = guard
        handover = {
            "foreign_authority_code": FOREIGN_AUTHORITY[country],
            "border_gate_code": gate,
            "handed_over_person_refs": [p.ref],
            "_country": country,
        }
        if not self.emit("VictimHandoverReceived", guard, self.loc.unit(self.on), args=handover, subject=p):
            return False
        self.later(hours=self.rng.uniform(0.5, 6), office=False)
        self.emit(
            "ReceptionRegistered",
            guard,
            self.loc.unit(self.on),
            args=self.received("handed_over", guard),
            subject=p,
            flags=PERSONAL,
        )
        self.later(hours=3, office=False)
        self.support_needs([guard], days=(1, 4))
        return True

    def intake_rescue(self) -> bool:
        p = self.p
        roll = self.rng.random()
        if roll < 0.3 and self.world.coast:
            where = self.rng.choice(self.world.coast)
            self.loc = self.world.pick_home(self.rng, where)
            rescuer, location = f"CSB-VUNG-{COAST_REGION[where]}", "sea"
            receivers = [f"BDBP-{where}", f"CA-TINH-{where}"]
        elif roll < 0.6 and self.world.border:
            where = self.rng.choice(self.world.border)
            self.loc = self.world.pick_home(self.rng, where)
            rescuer, location = f"BDBP-{where}", "border"
            receivers = [rescuer]
        else:
            if self.rng.random() < 0.5:
                self.loc = self.world.pick_home(self.rng)
            rescuer, location = f"CA-TINH-{self.loc.province}", "inland"
            receivers = [rescuer]
        if self.on < HEALTH_LEADS and location == "inland" and self.rng.random() < 0.5:
            rescuer = receivers[0] = self.police()
        rescue = {"location_type": location, "rescued_person_refs": [p.ref]}
        if not self.emit("RescueCompleted", rescuer, self.loc.unit(self.on), args=rescue, subject=p):
            return False
        self.verifier_hint = rescuer
        if self.rng.random() < 0.3:
            self.later(hours=1, office=False)
            self.emit(
                "ProtectionMeasureApplied",
                rescuer,
                self.loc.unit(self.on),
                args=self.measure(rescuer),
                subject=p,
            )
        self.later(hours=self.rng.uniform(2, 20), office=False)
        got = self.first(
            "ReceptionRegistered",
            receivers + [self.facility()],
            self.loc,
            args=self.received("rescued"),
            subject=p,
            flags=PERSONAL,
        )
        if got is None:
            return False
        self.support_needs([got, self.facility()], days=(1, 5))
        return True

    def intake_abroad(self) -> bool:
        p, home = self.p, self.home
        country = self.rng.choice(("CN", "CN", "KH", "KH", "LA"))
        mission = MISSION_OF[country]
        if not self.emit(
            "PersonReported",
            mission,
            home.province_unit(self.on),
            args={**self.reported(), "_abroad": True},
            subject=p,
            flags=PERSONAL,
        ):
            return False
        police = f"CA-TINH-{home.province}"
        self.between(0.2, 3)
        self.emit(
            "NationalityVerificationRequested",
            mission,
            home.province_unit(self.on),
            args={"to_agency_code": police, "requesting_mission_code": mission},
            subject=p,
        )
        if self.rng.random() < 0.3:
            self.later(hours=4)
            self.emit(
                "NationalityVerificationRequested",
                f"VPUB-{home.province}",
                home.province_unit(self.on),
                args={"to_agency_code": police, "requesting_mission_code": mission},
                subject=p,
            )
        self.between(0.5, 6)
        self.emit("NationalityVerificationCompleted", police, home.unit(self.on), subject=p)
        self.between(2, 15)
        self.emit(
            "TravelDocumentIssued",
            mission,
            home.province_unit(self.on),
            args={"issuing_mission_code": mission},
            subject=p,
        )
        self.later(hours=2)
        self.support_needs([mission], days=(5, 20))
        if self.rng.random() < 0.7:
            self.later(hours=3)
            self.emit(
                "RepatriationCostPaid",
                mission,
                home.province_unit(self.on),
                args=self.repatriation(country),
                subject=p,
            )
        self.between(1, 10, office=False)
        border = [b for b in self.world.border if BORDER[b][0] == country]
        if border and self.rng.random() < 0.7:
            where = self.rng.choice(border)
            self.loc = self.world.pick_home(self.rng, where)
            guard = f"BDBP-{where}"
            self.verifier_hint = guard
            handover = {
                "foreign_authority_code": FOREIGN_AUTHORITY[country],
                "border_gate_code": BORDER[where][1],
                "handed_over_person_refs": [p.ref],
                "_country": country,
            }
            self.emit("VictimHandoverReceived", guard, self.loc.unit(self.on), args=handover, subject=p)
            self.later(hours=2, office=False)
            self.emit(
                "ReceptionRegistered",
                guard,
                self.loc.unit(self.on),
                args=self.received("handed_over", guard),
                subject=p,
                flags=PERSONAL,
            )
        else:  # by air, received by the home province's police
            self.verifier_hint = police
            self.emit(
                "ReceptionRegistered",
                police,
                home.unit(self.on),
                args=self.received("handed_over", police),
                subject=p,
                flags=PERSONAL,
            )
        return p.status is not None and p.status != lc.TIP

    def reception_by_lead(self, kind: str) -> None:
        self.first(
            "ReceptionRegistered",
            self.leads(),
            self.loc,
            args=self.received(kind),
            subject=self.p,
            flags=PERSONAL if not self.p.data_sent else 0,
        )

    # -- identification ------------------------------------------------------------------------------

    def identify(self) -> None:
        p = self.p
        self.later(hours=self.rng.uniform(1, 30))
        self.first("IdentificationStarted", self.leads(), self.loc, subject=p)
        verifier = self.pick_verifier("VictimStatusDetermined")
        if verifier is not None:
            self.later(hours=self.rng.uniform(0.2, 4))
            self.first(
                "VerificationRequested", self.leads(), self.loc, args={"to_agency_code": verifier}, subject=p
            )
        if self.rng.random() < 0.18:  # a certificate sent before the decision: refused, sent again later
            self.later(hours=self.rng.uniform(1, 20))
            early = self.pick_verifier("VictimCertificateIssued", before_identification=True)
            if early:
                self.refuse(
                    "wrong_status",
                    "VictimCertificateIssued",
                    early,
                    self.unit(early, self.loc),
                    args={"_issuer": early},
                    subject=p,
                )
        if self.rng.random() < 0.55:
            self.later(hours=self.rng.uniform(1, 24))
            if (
                self.rng.random() < 0.12
            ):  # the facility of another province records it: outside its jurisdiction
                other = self.world.other_province(self.rng, self.loc.province)
                if other and self.refuse(
                    "outside_jurisdiction",
                    "EssentialNeedsProvided",
                    f"TTCTXH-{other}",
                    self.loc.unit(self.on),
                    args=self.needs(3),
                    subject=p,
                ):
                    self.later(hours=self.rng.uniform(1, 6))
            self.support_needs(self.leads() + [self.facility()], days=(2, 7))
        if self.rng.random() < 0.18:
            self.later(hours=self.rng.uniform(2, 48))
            self.admit()
        self.protection()
        self.later(days=self.rng.choice((1, 2, 2, 3, 3, 3, 5, 9)))
        self.switch_over()
        checker = self.pick_verifier("InitialVerificationCompleted")
        if self.on >= CUTOVER and self.rng.random() < 0.35:
            lead_now = self.leads()[0]
            if (
                lead_now
                and self.world.authority(
                    lead_now, "InitialVerificationCompleted", self.on, self.loc.unit(self.on)
                )
                is None
            ):
                checker = lead_now
        if checker is not None:
            result = self.rng.choices(
                ("grounds_found", "needs_investigation", "grounds_not_found"), (80, 14, 6)
            )[0]
            self.emit(
                "InitialVerificationCompleted",
                checker,
                self.unit(checker, self.loc),
                args={"result": result},
                subject=p,
            )
        self.between(1, 25)
        self.switch_over()
        self.stale_once()
        decider = self.pick_verifier("VictimStatusDetermined")
        victim = self.rng.random() < 0.88
        status = "victim" if victim else "not_victim"
        if decider is None:
            return
        self.emit(
            "VictimStatusDetermined",
            decider,
            self.unit(decider, self.loc),
            args={"status": status, "_org": decider},
            subject=p,
            flags=REMEMBER,
        )
        if not victim:
            return
        if self.rng.random() < 0.04:  # an office without the mandate tries to issue the certificate
            self.later(hours=self.rng.uniform(1, 8))
            wrong = self.commune_pc(self.loc) or f"PLDTBXH-{self.loc.old_district[2:]}"
            self.refuse(
                "outside_mandate",
                "VictimCertificateIssued",
                wrong,
                self.loc.unit(self.on),
                args={"_issuer": wrong},
                subject=p,
            )
        self.between(0, 8)
        issuer = self.pick_verifier("VictimCertificateIssued")
        if issuer:
            self.emit(
                "VictimCertificateIssued",
                issuer,
                self.unit(issuer, self.loc),
                args={"_issuer": issuer},
                subject=p,
            )

    def pick_verifier(self, event_type: str, before_identification: bool = False) -> str | None:
        for code in self.verifiers():
            if (
                code
                and self.world.exists(code)
                and self.world.authority(code, event_type, self.on, self.loc.unit(self.on)) is None
            ):
                return code
        return None

    def switch_over(self) -> None:
        """Restructuring mistakes: a dissolved body still sends, or an old unit code after the cut-over."""
        on = self.on
        if HEALTH_LEADS <= on < date(2025, 5, 1) and self.rng.random() < 0.35:
            old = f"CA-HUYEN-{self.loc.old_district[2:]}"
            if self.world.exists(old):
                self.refuse(
                    "agency_inactive", "NeedsAssessed", old, self.loc.old_commune, args={}, subject=self.p
                )
                self.later(hours=2)
        if CUTOVER <= on < date(2025, 9, 1) and self.rng.random() < 0.3:
            self.refuse(
                "invalid_field",
                "NeedsAssessed",
                f"SYT-{self.loc.province}",
                self.loc.old_commune,
                args={},
                subject=self.p,
            )
            self.later(hours=1)
            self.emit("NeedsAssessed", f"SYT-{self.loc.province}", self.loc.commune, subject=self.p)
            self.later(hours=2)
        if date(2025, 7, 1) <= on < date(2025, 8, 15) and self.rng.random() < 0.25:
            old = f"PLDTBXH-{self.loc.old_district[2:]}"
            if self.world.exists(old):
                self.refuse(
                    "agency_inactive", "NeedsAssessed", old, self.loc.commune, args={}, subject=self.p
                )
                self.later(hours=3)

    def stale_once(self) -> None:
        """Two offices work on the case at once: the second write is based on a version that has moved on."""
        if self.rng.random() >= 0.2:
            return
        first = self.first("NeedsAssessed", [self.facility()] + self.leads(), self.loc, subject=self.p)
        if first is None:
            return
        self.later(hours=0.1, office=False)
        second = self.leads()[0]
        if second and self.refuse(
            "stale_version", "NeedsAssessed", second, self.unit(second, self.loc), subject=self.p, flags=STALE
        ):
            self.later(hours=0.3, office=False)
            self.emit("NeedsAssessed", second, self.unit(second, self.loc), subject=self.p)

    def close_not_victim(self) -> None:
        p = self.p
        self.between(0, 5)
        if self.rng.random() < 0.15:  # support recorded for someone found not to be a victim
            self.refuse(
                "not_entitled",
                "EssentialNeedsProvided",
                self.facility(),
                self.loc.unit(self.on),
                args=self.needs(3),
                subject=p,
            )
        if p.in_facility:
            self.discharge()
        self.between(1, 10)
        self.first(
            "CaseClosed", self.leads() + [self.commune_pc(self.loc)], self.loc, args={"reason": "not_victim"}
        )

    # -- after identification ------------------------------------------------------------------------

    def after_identification(self) -> None:
        p = self.p
        if self.rng.random() < 0.03:
            self.correct_later = True
        if self.on >= CUTOVER and self.rng.random() < 0.14:
            self.link_minors()
        if self.rng.random() < 0.22:
            self.criminal_case()
        if not p.in_facility and self.rng.random() < 0.4:
            self.between(0, 3)
            self.admit()
        if p.in_facility:
            self.facility_stay()
        if self.rng.random() < 0.35:
            self.legal_aid()
        self.travel_home()
        self.home_phase()

    def link_minors(self) -> None:
        for _ in range(1 if self.rng.random() < 0.8 else 2):
            minor = self.g.new_minor(self.p, self.on)
            self.later(hours=self.rng.uniform(0.5, 5))
            codes = [self.facility(), *self.leads(), self.commune_pc(self.loc), self.verifier_hint]
            args = {
                "minor": minor,
                "adult_person_ref": self.p.ref,
                "relationship_code": self.rng.choice(("child", "child", "sibling", "niece_nephew")),
            }
            if self.first(
                "AccompanyingMinorLinked",
                codes,
                self.loc,
                args=args,
                subject=self.p,
                truth={"human": minor.human, "ref": minor.ref, "minor_of": self.p.ref},
            ):
                self.minors.append(minor)
                self.later(hours=1)
                self.support_needs([self.facility(), *self.leads()], days=(3, 10), subject=minor)
                if self.rng.random() < 0.5:
                    self.later(hours=2)
                    self.first(
                        "GuardianAssigned",
                        [*self.leads(), self.facility(), self.commune_pc(self.loc)],
                        self.loc,
                        args={"_minor": minor},
                        subject=minor,
                    )
                if self.rng.random() < 0.4:
                    self.later(hours=3)
                    self.first(
                        "MedicalServiceProvided",
                        [f"BV-{self.loc.province}", self.facility()],
                        self.loc,
                        args={"service_type": "check_up"},
                        subject=minor,
                    )

    def criminal_case(self) -> None:
        self.between(1, 30)
        police = self.pick_verifier("CriminalCaseLinked") or f"CA-TINH-{self.loc.province}"
        ref = f"VA-{self.loc.province}-{self.on.year}-{self.rng.randrange(1, 999):03d}"
        if self.emit(
            "CriminalCaseLinked",
            police,
            self.unit(police, self.loc),
            args={"criminal_case_ref": ref, "stage": "investigation"},
            subject=self.p,
        ):
            self.g.note_criminal_case(self.loc.province, self.on.year, self.p.ref, ref)
            if self.rng.random() < 0.5:
                self.between(30, 120)
                self.emit(
                    "CriminalCaseLinked",
                    f"VKSND-{self.loc.province}",
                    self.unit("VKSND-" + self.loc.province, self.loc),
                    args={"criminal_case_ref": ref, "stage": "prosecution"},
                    subject=self.p,
                )
                if self.rng.random() < 0.6:
                    self.between(20, 90)
                    court = f"TAND-{self.loc.province}"
                    self.emit(
                        "CriminalCaseLinked",
                        court,
                        self.unit(court, self.loc),
                        args={"criminal_case_ref": ref, "stage": "trial"},
                        subject=self.p,
                    )
                    if self.rng.random() < 0.4:
                        self.later(hours=2)
                        self.emit(
                            "LegalAidRequested",
                            court,
                            self.unit(court, self.loc),
                            args={"form": "representation_in_proceedings", "requested_by": court},
                            subject=self.p,
                        )
                        self.between(2, 10)
                        aid = f"TGPL-{self.loc.province}"
                        self.emit(
                            "LegalAidProvided",
                            aid,
                            self.unit(aid, self.loc),
                            args={"form": "representation_in_proceedings"},
                            subject=self.p,
                        )

    def admit(self) -> None:
        facility = self.facility()
        self.emit(
            "AdmittedToFacility",
            facility,
            self.loc.unit(self.on),
            args={"facility_code": facility, "planned_days": self.rng.choice((30, 60, 90, 120))},
            subject=self.p,
        )
        self.admitted_at = self.t
        if self.p.in_facility and self.rng.random() < 0.6:
            self.later(hours=3)
            self.emit("NeedsAssessed", facility, self.loc.unit(self.on), subject=self.p)

    def facility_stay(self) -> None:
        p, facility = self.p, self.facility()
        stay = self.rng.choice((20, 35, 50, 70, 90, 110, 140, 170))
        start = getattr(self, "admitted_at", self.t)
        done_until = start + stay * DAY
        services = ["medical", "counselling", "insurance", "employment", "family"]
        self.rng.shuffle(services)
        for service in services[: self.rng.randint(2, 5)]:
            self.between(1, 12)
            if service == "medical":
                self.first(
                    "MedicalServiceProvided",
                    [facility, f"BV-{self.loc.province}"],
                    self.loc,
                    args={"service_type": self.rng.choice(("check_up", "treatment", "first_aid"))},
                    subject=p,
                )
            elif service == "counselling":
                if "counselling" in p.refused:
                    continue
                if self.rng.random() < 0.05:
                    self.emit(
                        "SupportRefused",
                        facility,
                        self.loc.unit(self.on),
                        args={"support_type": "counselling"},
                        subject=p,
                    )
                    self.between(3, 10)
                    self.refuse(
                        "support_refused_by_person",
                        "CounsellingProvided",
                        facility,
                        self.loc.unit(self.on),
                        args={"modality": "in_person", "provider_agency_code": facility},
                        subject=p,
                    )
                    continue
                self.emit(
                    "CounsellingProvided",
                    facility,
                    self.loc.unit(self.on),
                    args={
                        "modality": self.rng.choice(("in_person", "group")),
                        "provider_agency_code": facility,
                    },
                    subject=p,
                )
            elif service == "insurance":
                self.health_insurance([f"BV-{self.loc.province}", facility], self.loc)
            elif service == "employment":
                self.emit("EmploymentCounsellingProvided", facility, self.loc.unit(self.on), subject=p)
            else:
                self.emit("FamilyContacted", facility, self.loc.unit(self.on), subject=p)
        # essential needs every month while entitled; an extension past 120 days (L2024) when needed
        while self.t < done_until:
            self.between(20, 35)
            if self.t >= done_until:
                break
            left = self.mirror.days_left(p, "essential_needs", self.on)
            if left is not None and left < 12 and done_until - self.t > 5 * DAY:
                if self.rng.random() < 0.2:  # recorded after the 120 days without an extension: refused
                    self.t += max(0, left + 2) * DAY
                    self.t = self.g.office(self.t)
                    self.refuse(
                        "entitlement_expired",
                        "EssentialNeedsProvided",
                        facility,
                        self.loc.unit(self.on),
                        args=self.needs(10),
                        subject=p,
                    )
                self.later(hours=2)
                decided = self.rng.choice((f"SYT-{self.loc.province}", facility))
                self.emit(
                    "ShelterStayExtended",
                    decided,
                    self.loc.unit(self.on),
                    args={
                        "facility_code": facility,
                        "extension_days": self.rng.choice((30, 60, 90)),
                        "decided_by_agency_code": decided,
                    },
                    subject=p,
                )
            self.support_needs([facility], days=(20, 30))
            for minor in self.minors:
                if self.rng.random() < 0.5:
                    self.later(hours=0.5)
                    self.support_needs([facility], days=(20, 30), subject=minor)
        self.discharge()

    def discharge(self) -> None:
        facility = self.facility()
        start = getattr(self, "admitted_at", self.t)
        self.between(0, 2)
        days = max(1, (self.t - start) // DAY)
        reason = self.rng.choice(("returned_home", "returned_home", "returned_home", "transferred", "left"))
        self.emit(
            "DischargedFromFacility",
            facility,
            self.loc.unit(self.on),
            args={"facility_code": facility, "discharge_reason": reason, "day_count": int(days)},
            subject=self.p,
        )

    def health_insurance(self, codes: list[str], place: Home, subject: Person | None = None) -> None:
        subject = subject or self.p
        if self.mirror.regime(subject, self.on) == "L2011" and self.on >= CUTOVER and self.rng.random() < 0.4:
            # first-year insurance is a L2024 entitlement; a grandfathered L2011 victim has none
            self.refuse(
                "not_entitled", "HealthInsuranceIssued", codes[0], place.unit(self.on), subject=subject
            )
            return
        self.first("HealthInsuranceIssued", codes, place, subject=subject)

    def protection(self) -> None:
        if self.rng.random() >= 0.22:
            return
        p = self.p
        self.later(hours=self.rng.uniform(1, 48))
        requester = self.first(
            "ProtectionRequested",
            [self.facility(), *self.leads(), self.verifier_hint],
            self.loc,
            args={"protected_person_refs": [p.ref] + [m.ref for m in self.minors]},
            subject=p,
        )
        if requester is None:
            return
        self.between(0.2, 3)
        if self.rng.random() < 0.12:
            self.first(
                "ProtectionRefused",
                [self.police(), f"CA-TINH-{self.loc.province}", self.facility()],
                self.loc,
                subject=p,
            )
            return
        police = self.first(
            "ProtectionMeasureApplied",
            [self.verifier_hint, self.police(), f"CA-TINH-{self.loc.province}", self.facility()],
            self.loc,
            args={"_measure": True},
            subject=p,
        )
        self.protected_by = police

    # -- referrals -----------------------------------------------------------------------------------

    def consent_for(self, sender: str, targets: list[str], place: Home) -> str | None:
        consent_id = self.g.ids.short("DY")
        valid_until = None
        if self.rng.random() < 0.3:
            valid_until = self.on + timedelta(days=365)
        given_by = "guardian" if self.child() else "self"
        args = {
            "consent_id": consent_id,
            "scope_agency_codes": targets,
            "valid_until": valid_until,
            "given_by": given_by,
        }
        if self.emit("ConsentRecorded", sender, self.unit(sender, place), args=args, subject=self.p):
            self.last_consent = consent_id
            return consent_id
        return None

    def referral(
        self,
        sender: str,
        target: str,
        service: str,
        reason: str,
        place: Home,
        target_place: Home | None = None,
    ) -> str | None:
        """Consent, then the referral; returns the referral id once the target accepted it."""
        target_place = target_place or place
        referral_id = self.g.ids.short("CT")
        base = {
            "referral_id": referral_id,
            "to_agency_code": target,
            "reason_code": reason,
            "service_type": service,
        }
        if self.rng.random() < 0.15:  # sent without consent: refused; consent first, then again
            self.refuse(
                "no_consent",
                "ReferralSent",
                sender,
                self.unit(sender, place),
                args=dict(base),
                subject=self.p,
            )
            self.later(hours=self.rng.uniform(1, 30))
        consent = self.consent_for(sender, [target], place)
        if consent is None:
            return None
        self.later(hours=self.rng.uniform(0.2, 5))
        if not self.emit(
            "ReferralSent",
            sender,
            self.unit(sender, place),
            args={**base, "consent_ref": consent},
            subject=self.p,
        ):
            return None
        if self.rng.random() < 0.04:  # another office answers a referral not addressed to it
            self.later(hours=3)
            other = (
                self.facility(target_place)
                if not target.startswith("TTCTXH")
                else f"TGPL-{target_place.province}"
            )
            self.refuse(
                "referral_not_addressed_to_emitter",
                "ReferralAccepted",
                other,
                self.unit(other, target_place),
                args={"referral_id": referral_id},
                subject=self.p,
            )
        self.between(0.5, 5)
        if self.rng.random() < 0.08:
            self.emit(
                "ReferralRejected",
                target,
                self.unit(target, target_place),
                args={"referral_id": referral_id, "rejection_reason_code": "out_of_scope"},
                subject=self.p,
            )
            return None
        if not self.emit(
            "ReferralAccepted",
            target,
            self.unit(target, target_place),
            args={"referral_id": referral_id},
            subject=self.p,
        ):
            return None
        if self.rng.random() < 0.05:
            self.between(1, 10)
            self.emit(
                "ReferralRevoked",
                sender,
                self.unit(sender, place),
                args={"referral_id": referral_id, "reason_code": "person_moved"},
                subject=self.p,
            )
            return None
        return referral_id

    def complete(self, target: str, referral_id: str, place: Home) -> None:
        self.between(1, 15)
        self.emit(
            "ReferralCompleted",
            target,
            self.unit(target, place),
            args={"referral_id": referral_id, "outcome_code": "service_provided"},
            subject=self.p,
        )

    def legal_aid(self) -> None:
        self.between(1, 20)
        sender = self.first_allowed("ReferralSent", [self.facility(), *self.leads()], self.loc)
        if sender is None:
            return
        aid = f"TGPL-{self.loc.province}"
        self.emit(
            "LegalAidRequested",
            sender,
            self.unit(sender, self.loc),
            args={"form": "counselling", "requested_by": "victim"},
            subject=self.p,
        )
        referral_id = self.referral(sender, aid, "legal_aid", "legal_support", self.loc)
        if referral_id is None:
            return
        self.between(1, 10)
        self.emit(
            "LegalAidProvided",
            aid,
            self.unit(aid, self.loc),
            args={"form": self.rng.choice(("counselling", "counselling", "out_of_court_representation"))},
            subject=self.p,
        )
        self.complete(aid, referral_id, self.loc)
        if self.rng.random() < 0.06:
            self.between(5, 60)
            consent = getattr(self, "last_consent", None)
            withdrawn = consent is not None and self.emit(
                "ConsentWithdrawn",
                sender,
                self.unit(sender, self.loc),
                args={"consent_id": consent},
                subject=self.p,
            )
            if withdrawn and self.rng.random() < 0.5:  # a new referral on the withdrawn consent: refused
                self.later(hours=self.rng.uniform(2, 72))
                base = {
                    "referral_id": self.g.ids.short("CT"),
                    "to_agency_code": aid,
                    "reason_code": "legal_support",
                    "service_type": "legal_aid",
                    "consent_ref": consent,
                }
                self.refuse(
                    "no_consent",
                    "ReferralSent",
                    sender,
                    self.unit(sender, self.loc),
                    args=base,
                    subject=self.p,
                )

    def first_allowed(self, event_type: str, codes: list[str | None], place: Home) -> str | None:
        for code in codes:
            if (
                code
                and self.world.exists(code)
                and self.world.authority(code, event_type, self.on, place.unit(self.on)) is None
            ):
                return code
        return None

    # -- going home ----------------------------------------------------------------------------------

    def travel_home(self) -> None:
        p, home, loc = self.p, self.home, self.loc
        self.between(0, 5)
        moving = loc.commune != home.commune
        payer = None
        if moving or self.rng.random() < 0.5:
            origin = loc if moving else None  # None: from the facility or office in the province town
            payer = self.first(
                "TravelCostPaid",
                [self.verifier_hint, *self.leads()],
                loc,
                args={"_from": origin, "_to": home},
                subject=p,
            )
            if payer and self.rng.random() < 0.1:  # the home office pays the same trip again
                self.later(hours=self.rng.uniform(2, 60))
                codes = [c for c in self.leads(home) if c and c != payer]
                for code in codes:
                    if self.refuse(
                        "already_paid_once",
                        "TravelCostPaid",
                        code,
                        self.unit(code, home),
                        args={"_from": origin, "_to": home},
                        subject=p,
                    ):
                        break
        if moving or self.rng.random() < 0.6:
            self.later(hours=2)
            self.first(
                "ReturnedToResidence",
                [self.facility(), self.verifier_hint, *self.leads()],
                loc,
                args={"destination_unit_code": home.unit(self.on), "_escort": payer},
                subject=p,
            )
        protected_by = getattr(self, "protected_by", None)
        if protected_by and self.rng.random() < 0.7:
            self.later(hours=1)
            self.first(
                "ProtectionMeasureLifted",
                [protected_by, self.police(), f"CA-TINH-{loc.province}"],
                loc,
                args={"reason_code": "risk_ended"},
                subject=p,
            )
        if loc.province != home.province:
            self.transfer()
        self.loc = home

    def transfer(self) -> None:
        self.between(1, 10)
        sender = self.first_allowed("CaseTransferRequested", self.leads(self.loc), self.loc)
        receiver = self.first_allowed("CaseTransferAccepted", self.leads(self.home), self.home)
        if sender is None or receiver is None or sender == receiver:
            return
        for attempt in range(2):
            transfer_id = self.g.ids.short("CHS")
            args = {
                "transfer_id": transfer_id,
                "from_agency_code": sender,
                "to_agency_code": receiver,
                "reason_code": "returned_home",
            }
            if not self.emit(
                "CaseTransferRequested", sender, self.unit(sender, self.loc), args=args, subject=self.p
            ):
                return
            self.between(1, 7)
            if attempt == 0 and self.rng.random() < 0.1:
                self.emit(
                    "CaseTransferRejected",
                    receiver,
                    self.unit(receiver, self.home),
                    args={"transfer_id": transfer_id, "reason_code": "residence_not_confirmed"},
                    subject=self.p,
                )
                self.between(3, 15)
                continue
            self.emit(
                "CaseTransferAccepted",
                receiver,
                self.unit(receiver, self.home),
                args={"transfer_id": transfer_id},
                subject=self.p,
            )
            return

    def home_phase(self) -> None:
        p = self.p
        self.between(1, 20)
        confirmed = self.confirm_return()
        follow = self.rng.randint(1, 5)
        applied = False
        for visit in range(follow):
            self.between(25, 95)
            if not confirmed:
                confirmed = self.confirm_return()
            self.follow_up()
            if visit == 0 or (not applied and self.rng.random() < 0.5):
                applied = self.supports_at_home() or applied
            for minor in self.minors:
                if self.rng.random() < 0.5:
                    self.school(minor)
        if self.child() and self.rng.random() < 0.6:
            self.school(p)
        if getattr(self, "correct_later", False):
            self.correction()
        self.close()

    def confirm_return(self) -> bool:
        commune = self.commune_pc(self.home)
        if commune is None:
            return False
        return self.emit(
            "ReturnedToResidenceConfirmed",
            commune,
            self.home.unit(self.on),
            args={"arrival_date": self.on},
            subject=self.p,
        )

    def follow_up(self) -> None:
        commune = self.commune_pc(self.home)
        if commune and self.rng.random() < 0.03:  # the neighbouring commune types it in: not its commune
            other = self.commune_pc(self.world.neighbour_home(self.rng, self.home))
            if other != commune:
                self.refuse(
                    "outside_jurisdiction",
                    "ReintegrationFollowUpRecorded",
                    other,
                    self.home.unit(self.on),
                    args={"_visit": self.on},
                    subject=self.p,
                )
                self.later(hours=self.rng.uniform(1, 30))
        codes = [self.commune_pc(self.home), f"HLHPN-{self.home.province}"]
        if self.rng.random() < 0.3:
            codes.reverse()
        self.first(
            "ReintegrationFollowUpRecorded", codes, self.home, args={"_visit": self.on}, subject=self.p
        )

    def supports_at_home(self) -> bool:
        """Reintegration support: an application the commune certifies and the lead office approves; before
        the two-tier map some lead offices paid directly, without the commune's file."""
        home = self.home
        commune = self.commune_pc(home)
        roll = self.rng.random()
        if commune is None or (self.on < CUTOVER and self.rng.random() < 0.45):
            if roll < 0.06:  # the initial hardship allowance without the commune's poor-household certificate
                self.later(hours=2)
                self.pay("initial_hardship", self.leads(home), expect="rejected:requirement_missing")
            if roll < 0.5:
                self.later(hours=2)
                self.pay(
                    self.rng.choice(("vocational_training", "travel_home", "essential_needs")),
                    self.leads(home),
                )
            if roll < 0.2:
                self.loan()
            return roll < 0.5
        if roll < 0.55:
            self.application()
        if self.rng.random() < 0.18:
            self.loan()
        if self.rng.random() < 0.2:
            self.employment()
        return True

    def application(self, support: str | None = None) -> None:
        """Submitted to and certified by the commune of the day (the old commune's body before 2025-07-01,
        today's after: a file can cross the cut-over), approved and paid by the lead office of the day."""
        p, home = self.p, self.home
        commune = self.commune_pc(home)
        if support is None:
            choices = ["initial_hardship", "vocational_training", "initial_hardship"]
            if self.child():
                choices.append("cultural_study")
            support = self.rng.choice(choices)
        application_id = self.g.ids.short("HSHT")
        poor = support == "initial_hardship" or self.rng.random() < 0.3
        args = {"application_id": application_id, "support_type": support, "poor_household_flag": poor}
        if not self.emit("SupportApplicationSubmitted", commune, home.unit(self.on), args=args, subject=p):
            return
        self.later(days=self.rng.choice((0, 1, 1, 2, 3)))
        if not self.emit(
            "SupportApplicationCertified",
            self.commune_pc(home),
            home.unit(self.on),
            args={"application_id": application_id},
            subject=p,
        ):
            return
        self.between(2, 15)
        lead = self.first_allowed("SupportApproved", self.leads(home), home)
        if lead is None:
            return
        if self.rng.random() < 0.08 or (support == "initial_hardship" and not p.returned_to_residence):
            self.emit(
                "SupportRejected",
                lead,
                self.unit(lead, home),
                args={"application_id": application_id, "reason_code": "conditions_not_met"},
                subject=p,
            )
            return
        unit = home.unit(self.on)
        quote = self.g.paid_args(support, self.g.rate_rows(unit, support, self.on), self.on, unit)
        self.emit(
            "SupportApproved",
            lead,
            self.unit(lead, home),
            args={
                "application_id": application_id,
                "approved_amount_vnd": quote["amount_vnd"],
                "rate_table_id": quote["rate_table_id"],
            },
            subject=p,
        )
        self.between(1, 12)
        if support == "cultural_study":
            self.school(p)
            return
        if support == "vocational_training" and self.rng.random() < 0.5:
            self.first("VocationalTrainingEnrolled", [f"TTDVVL-{home.province}", lead], home, subject=p)
            return
        commune = self.commune_pc(home)  # the bodies of the day, should the payment cross the cut-over
        lead = self.first_allowed("SupportPaid", self.leads(home), home) or lead
        payer = self.pay(support, [lead, commune] if self.rng.random() < 0.6 else [commune, lead])
        if payer and support in ("initial_hardship", "vocational_training") and self.rng.random() < 0.12:
            self.between(5, 40)  # paid again by the other office: a one-off is paid once
            other = commune if payer == lead else lead
            self.pay(support, [other], expect="rejected:already_paid_once")

    def pay(self, support: str, payers: list[str | None], expect: str = ACCEPTED) -> str | None:
        unit = self.home.unit(self.on)
        rows = self.g.rate_rows(unit, support, self.on)
        for payer in payers:
            if not payer or self.world.authority(payer, "SupportPaid", self.on, unit) is not None:
                continue
            args = self.g.paid_args(support, rows, self.on, unit)
            if expect == ACCEPTED and rows and self.rng.random() < 0.5:  # a wrong amount, then the right one
                wrong = self.g.wrong_rate(args, rows, self.on)
                if self.refuse(
                    wrong["_rate_refusal"], "SupportPaid", payer, unit, args=wrong, subject=self.p
                ):
                    self.later(hours=self.rng.uniform(1, 30))
            if self.emit("SupportPaid", payer, unit, args=args, subject=self.p, expect=expect):
                return payer
            return None
        return None

    def loan(self) -> None:
        home = self.home
        referrer = self.first(
            "LoanApplicationReferred",
            [self.commune_pc(home), f"HLHPN-{home.province}", f"TTDVVL-{home.province}"],
            home,
            args={"_amount": self.rng.choice((20, 30, 50, 70, 100)) * 1_000_000},
            subject=self.p,
        )
        if referrer is None:
            return
        self.between(10, 45)
        self.emit(
            "LoanDisbursed",
            f"NHCSXH-{home.province}",
            self.unit(f"NHCSXH-{home.province}", home),
            args={"amount_vnd": self.rng.choice((20, 30, 50, 70, 100)) * 1_000_000},
            subject=self.p,
        )

    def employment(self) -> None:
        home = self.home
        sender = self.first_allowed("ReferralSent", [f"SYT-{home.province}", self.commune_pc(home)], home)
        centre = f"TTDVVL-{home.province}"
        if sender is None:
            return
        referral_id = self.referral(sender, centre, "employment", "job_seeking", home)
        if referral_id is None:
            return
        self.between(1, 10)
        self.emit("EmploymentCounsellingProvided", centre, self.unit(centre, home), subject=self.p)
        if self.rng.random() < 0.5:
            self.between(3, 20)
            self.emit("VocationalTrainingEnrolled", centre, self.unit(centre, home), subject=self.p)
        self.complete(centre, referral_id, home)

    def school(self, person: Person) -> None:
        education = f"SGDDT-{self.home.province}"
        self.between(1, 20)
        year = self.on.year if self.on.month >= 8 else self.on.year - 1
        self.first("SchoolEnrolmentSupported", [education], self.home, args={"_year": year}, subject=person)
        if self.rng.random() < 0.7:
            self.later(hours=4)
            self.first("TuitionExempted", [education], self.home, args={"_year": year}, subject=person)

    def correction(self) -> None:
        self.between(5, 60)
        label = "VictimStatusDetermined"
        steward = self.steward(self.home)
        self.emit(
            "RecordCorrected", steward, self.unit(steward, self.home), args={"_label": label}, subject=self.p
        )

    def close(self) -> None:
        home = self.home
        self.between(20, 200)
        closers = [self.commune_pc(home), *self.leads(home)] if self.rng.random() < 0.5 else self.leads(home)
        reason = self.rng.choices(("reintegrated", "moved", "lost_contact", "other"), (80, 8, 9, 3))[0]
        closer = self.first("CaseClosed", closers, home, args={"reason": reason})
        if closer is None:
            return
        roll = self.rng.random()
        if roll < 0.05:  # a visit typed in after the case was closed: refused, the case is reopened
            self.between(10, 60)
            visitor = self.commune_pc(home) or f"HLHPN-{home.province}"
            if self.refuse(
                "case_closed",
                "ReintegrationFollowUpRecorded",
                visitor,
                self.unit(visitor, home),
                args={"_visit": self.on},
                subject=self.p,
            ):
                self.later(hours=self.rng.uniform(2, 48))
                if self.first(
                    "CaseReopened",
                    [closer, *self.leads(home)],
                    home,
                    args={"reason_code": "follow_up_needed"},
                ):
                    self.later(hours=1)
                    self.follow_up()
                    self.between(30, 120)
                    self.first(
                        "CaseClosed", [closer, *self.leads(home)], home, args={"reason": "reintegrated"}
                    )
        elif roll < 0.1:
            self.between(30, 300)
            if self.first(
                "CaseReopened",
                [closer, *self.leads(home)],
                home,
                args={"reason_code": self.rng.choice(("re_trafficking_risk", "new_needs"))},
            ):
                for _ in range(self.rng.randint(1, 3)):
                    self.between(20, 60)
                    self.follow_up()
                if self.rng.random() < 0.3:
                    self.supports_at_home()
                self.between(20, 120)
                self.first("CaseClosed", [closer, *self.leads(home)], home, args={"reason": "reintegrated"})

    # -- support helpers -----------------------------------------------------------------------------

    def support_needs(
        self, codes: list[str | None], days: tuple[int, int], subject: Person | None = None
    ) -> None:
        n = self.rng.randint(*days)
        self.first("EssentialNeedsProvided", codes, self.loc, args=self.needs(n), subject=subject or self.p)

    def needs(self, days: int) -> dict[str, Any]:
        return {"_days": days}

    # -- payload seeds -------------------------------------------------------------------------------

    def reported(self) -> dict[str, Any]:
        return {"_minors": [m.ref for m in self.minors]}

    def received(self, kind: str, receiver: str | None = None) -> dict[str, Any]:
        return {"reception_type": kind, "_receiver": receiver}

    def measure(self, decider: str) -> dict[str, Any]:
        return {"_measure": True}

    def repatriation(self, country: str) -> dict[str, Any]:
        return {"_country": country}

    def child(self) -> bool:
        return self.on.year - self.p.birth_year < 18


class DuplicatePlanner(CasePlanner):
    """The same person reported again by another agency, then found and merged by the data steward; or a
    different person who only looks the same, merged by mistake and unmerged. Some duplicates are paid a
    one-off in their own case before the merge: the merge carries it (merged_one_offs), and the survivor's
    office paying it again afterwards is refused (already_paid_under_merge)."""

    def plan_duplicate(self, original: Person, lookalike: bool, rule: str) -> None:
        with contextlib.suppress(StopPlanning):
            self._plan(original, lookalike, rule)

    def _plan(self, original: Person, lookalike: bool, rule: str) -> None:
        p, home = self.p, self.home
        on = self.on
        if on >= CUTOVER or self.rng.random() < 0.4:
            reporter = self.commune_pc() if self.rng.random() < 0.5 else self.commune_police()
        else:
            reporter = self.police()
        if not self.emit(
            "PersonReported",
            reporter,
            home.unit(on),
            args=self.reported(),
            subject=p,
            flags=PERSONAL,
            truth={"human": p.human, "duplicate_of": original.ref}
            if not lookalike
            else {"human": p.human, "lookalike_of": original.ref},
        ):
            return
        self.later(hours=self.rng.uniform(2, 30))
        self.reception_by_lead("self_return")
        self.between(0, 3)
        self.support_needs(self.leads() + [self.facility()], days=(1, 5))
        target = original.case
        assert target is not None
        one_off = None
        if not lookalike and self.rng.random() < ONE_OFF_BEFORE_MERGE:
            one_off = self.one_off_before_merge(original)
        self.between(5, 50)
        steward = self.steward(original.home)
        unit = self.steward_unit(steward, original)
        if unit is None:
            return
        merge_id = self.g.ids.short("HN")
        args = {
            "merge_id": merge_id,
            "surviving_person_ref": original.ref,
            "merged_person_refs": [p.ref],
            "match_rule_code": rule,
            "merged_one_offs": [
                (p.ref, support_type, paid_on, self.case.case_id)
                for support_type, paid_on in sorted(p.one_offs.items())
            ],
        }
        truth = {"merge": "lookalike" if lookalike else "duplicate", "refs": [original.ref, p.ref]}
        # The steward records the merge on every case it touches: first the duplicate's own case, which
        # then pays nothing more to the merged-away ref, then the survivor's, which takes over its one-offs.
        if not self.emit("PersonsMerged", steward, unit, args=args, subject=original, truth=truth):
            return
        self.later(hours=self.rng.uniform(0.05, 2))
        if not self.emit("PersonsMerged", steward, unit, args=dict(args), subject=original, case=target):
            return
        if lookalike:
            self.between(7, 40)
            steward = self.steward(original.home)
            unit = self.steward_unit(steward, original)
            if unit:
                undo = {
                    "merge_id": merge_id,
                    "restored_person_refs": [p.ref],
                    "reason_code": "different_persons",
                }
                truth = {"unmerge": [original.ref, p.ref]}
                if self.emit(
                    "PersonsUnmerged", steward, unit, args=undo, subject=original, case=target, truth=truth
                ):
                    self.later(hours=self.rng.uniform(0.05, 2))
                    self.emit("PersonsUnmerged", steward, unit, args=dict(undo), subject=original)
            return
        self.between(0, 5)
        self.first("CaseClosed", self.leads(), home, args={"reason": "duplicate"})
        if one_off and self.rng.random() < PAID_AGAIN_AFTER_MERGE:
            self.paid_again_after_merge(original, target, one_off)

    def one_off_before_merge(self, original: Person) -> str | None:
        """The office that took the person in again also supports them with a one-off, under the
        duplicate's ref: the trip home, vocational training, or the initial hardship allowance (on the
        commune's certified application, once back home). The merge then carries it to the survivor.

        Only a type the survivor's own plan never touches (the plan is made whole, so `tried` covers its
        future): a payment of it planned in the surviving case after the merge would meet the carried
        one-off. Returns the one-off paid, if any."""
        p = self.p
        kinds = ("travel_home", "vocational_training", "initial_hardship")
        choices = [s for s in kinds if s not in original.tried]
        if not choices:
            return None
        support = self.rng.choice(choices)
        needs_victim = support != "travel_home" or self.mirror.regime(p, self.on) == "L2011"
        if needs_victim and not self.identify_briefly():
            return None
        self.between(0, 3)
        if support == "travel_home":
            self.first(
                "TravelCostPaid",
                [*self.leads(), self.facility()],
                self.loc,
                args={"_from": None, "_to": self.home},
                subject=p,
            )
        elif support == "vocational_training":
            self.pay(support, self.leads())
        else:
            if self.confirm_return():
                self.between(1, 20)
                self.application(support)
        return support if support in p.one_offs else None

    def identify_briefly(self) -> bool:
        """The second office identifies the person too (each office only knows its own case)."""
        p = self.p
        self.later(hours=self.rng.uniform(1, 30))
        self.first("IdentificationStarted", self.leads(), self.loc, subject=p)
        verifier = self.pick_verifier("VictimStatusDetermined")
        if verifier is None:
            return False
        self.between(2, 20)
        self.emit(
            "VictimStatusDetermined",
            verifier,
            self.unit(verifier, self.loc),
            args={"status": "victim", "_org": verifier},
            subject=p,
        )
        return p.status == lc.IDENTIFIED

    def paid_again_after_merge(self, original: Person, target: Case, support_type: str) -> None:
        """The survivor's office, unaware of the other case, pays the same one-off on the surviving case:
        refused, the merge carried it (already_paid_under_merge).

        The mirror holds each case as its whole plan leaves it, so this is planned only when the
        survivor's state on the day is known from the plan: identified on an earlier day (a status that
        no longer changes), the case not yet closed, and a one-off with no condition the log could show
        as unmet on the day (not initial_hardship)."""
        if support_type not in ("travel_home", "vocational_training") or support_type in original.tried:
            return
        self.between(3, 40)
        identified = original.identified_on
        closes = target.first_closed_t
        if identified is None or identified >= self.on or (closes is not None and self.t >= closes):
            return
        home = original.home
        unit = home.unit(self.on)
        if support_type == "travel_home":
            event_type, args = "TravelCostPaid", {"_from": None, "_to": home}
        else:
            rows = self.g.rate_rows(unit, support_type, self.on)
            event_type, args = "SupportPaid", self.g.paid_args(support_type, rows, self.on, unit)
        payer = self.first_allowed(event_type, self.leads(home), home)
        if payer is None:
            return
        closed, target.closed = target.closed, False  # open on the day: its first close comes later
        try:
            self.refuse(
                "already_paid_under_merge",
                event_type,
                payer,
                unit,
                args=args,
                subject=original,
                case=target,
            )
        finally:
            target.closed = closed

    def steward_unit(self, steward: str, person: Person) -> str | None:
        on = self.on
        for unit in (person.home.province_unit(on), person.home.unit(on)):
            if self.world.authority(steward, "PersonsMerged", on, unit) is None:
                return unit
        return None


def one_person_from(case: Case) -> Person | None:
    return case.person
