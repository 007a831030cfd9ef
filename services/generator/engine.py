"""The scheduler: cases arrive over the window, each planned whole on arrival, and their submissions are
released in time order across all cases, so the history streams out with cases interleaved as they would
be in real offices. Only the open cases' plans are in memory, never the history.

The arrival rate is steered so that about `events` submissions fall inside the window: each new case's
planned count feeds a running mean, and the gap to the next arrival is the time left times that mean over
the submissions still wanted. The stream stops at exactly `events` submissions; a time prefix of a valid
history is a valid history, so nothing that was already sent depends on what was cut.
"""

from __future__ import annotations

import contextlib
import heapq
import random
import uuid
from collections import deque
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from lienthong import places
from lienthong.domain.model import EVENT_ID_NAMESPACE
from lienthong.generator import payloads
from lienthong.generator.model import (
    ACCEPTED,
    CHECK_VERSION,
    PERSONAL,
    REMEMBER,
    STALE,
    Case,
    Mirror,
    Person,
)
from lienthong.generator.people import People
from lienthong.generator.plans import DAY, EPOCH, HOUR, CasePlanner, DuplicatePlanner, Planner, StopPlanning
from lienthong.generator.world import CUTOVER, HEALTH_LEADS, World, world

Submission = tuple[str, dict[str, Any]]
INF = float("inf")
_VARIANT = {c: "89ab"[int(c, 16) % 4] for c in "0123456789abcdef"}
VN = timedelta(hours=7)
REPORTING_TYPES = frozenset(
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
        "hotline_111",
        "womens_union",
    }
)
_DEFAULT_AMOUNT = {
    "essential_needs": 1_500_000,
    "travel_home": 600_000,
    "vocational_training": 3_000_000,
    "initial_hardship": 2_000_000,
    "medical": 300_000,
    "cultural_study": 1_200_000,
}


class Ids:
    """Deterministic identifiers drawn from the generator's random source."""

    def __init__(self, rng: random.Random) -> None:
        self._bits = rng.getrandbits
        self._n = 0

    def uuid(self) -> str:
        """A version-4 UUID from 122 seeded random bits."""
        h = f"{self._bits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"

    def short(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n:07d}-{self._bits(20):05x}"


class Engine:
    def __init__(
        self,
        events: int,
        seed: int,
        start: date,
        end: date,
        provinces: tuple[str, ...] | None,
    ) -> None:
        if events < 0:
            raise ValueError("events must be >= 0")
        if end < start:
            raise ValueError("end must not be before start")
        self.events = events
        self.seed = seed
        self.rng = random.Random(seed)
        self.world: World = world(provinces)
        self.mirror = Mirror(self.world)
        self.people = People(seed, self.rng)
        self.ids = Ids(self.rng)
        self.start_t = (start.toordinal() - EPOCH) * DAY
        self.end_t = (end.toordinal() - EPOCH + 1) * DAY - 1
        self.skips: dict[tuple[str, str | None, str | None], int] = {}
        self._humans = 0
        self._cases = 0
        self._recent: deque[tuple[int, Person]] = deque(maxlen=400)
        # activity, for the reports and registry facts that follow it
        self._half_active: dict[str, int] = {}  # agency -> accepted submissions this half-year
        self._now = 0
        self._last_active: dict[str, int] = {}
        self._provinces_active: set[str] = set()
        self._provinces_year: set[str] = set()
        self._provinces_active_ever: set[str] = set()
        self._legacy_communes: dict[str, set[str]] = {}
        self._communes_active: dict[str, set[str]] = {}
        self._old_communes_active: dict[str, set[str]] = {}
        self._criminal: dict[tuple[str, int], list[tuple[str, str]]] = {}
        self._working: dict[int, bool] = {}
        self._streams: dict[str, Case] = {}  # registry and programme streams, few and long-lived

    # -- time ----------------------------------------------------------------------------------------

    def is_working(self, day: int) -> bool:
        known = self._working.get(day)
        if known is None:
            known = self._working[day] = self.world.rules.is_working_day(date.fromordinal(EPOCH + day))
        return known

    def office(self, t: int) -> int:
        """The first moment at or after `t` inside office hours (7:30-11:30, 13:30-17:00, working days)."""
        day, s = divmod(t, DAY)
        if s < 27000:
            s = 27000 + self.rng.randrange(0, 5400)
        elif 41400 <= s < 48600:
            s = 48600 + self.rng.randrange(0, 3600)
        elif s >= 61200:
            day += 1
            s = 27000 + self.rng.randrange(0, 9000)
        while not self.is_working(day):
            day += 1
        return day * DAY + s

    @staticmethod
    def iso(t: int) -> str:
        return _iso(t)

    # -- places, agencies, money ---------------------------------------------------------------------

    def default_unit(self, code: str, on: date) -> str:
        return _default_unit(code, on)

    def rate_rows(self, unit: str, support: str, on: date) -> tuple:
        return _rates(places.province_of(unit, on=on), support, on)

    def paid_args(self, support: str, rows: tuple, on: date, unit: str = "VN") -> dict[str, Any]:
        if rows:
            row = rows[self.rng.randrange(len(rows))]
            args: dict[str, Any] = {"support_type": support, "rate_table_id": row.rate_table_id}
            if row.unit in ("one_off", "per_person"):
                args["amount_vnd"] = row.amount_vnd
            else:
                units = 1 if row.unit == "per_course" else self.rng.randint(1, min(row.max_units or 30, 30))
                args["units"] = units
                args["amount_vnd"] = row.amount_vnd * units
            return args
        return {
            "support_type": support,
            "amount_vnd": _DEFAULT_AMOUNT.get(support, 1_000_000),
            "rate_table_id": f"{places.current_province_of(unit) or 'VN'}-NGOAI-LE",
            "exception_ref": self.exception_ref(),
        }

    def exception_ref(self) -> str:
        """An approved exception: where no rate table is in force, the province decides the amount."""
        return f"{self.rng.randint(10, 2999)}/QĐ-UBND"

    def wrong_rate(self, args: dict[str, Any], rows: tuple, on: date) -> dict[str, Any]:
        """The same payment with a mistake an officer makes: an old table after the new year, or an amount
        that matches no rate in force."""
        support = args["support_type"]
        current = {r.rate_table_id for r in rows}
        older = sorted(
            {
                r.rate_table_id
                for r in self.world.rules.rates
                if r.support_type == support
                and r.rate_table_id not in current
                and r.province_code == rows[0].province_code
                and r.valid_to is not None
                and r.valid_to <= on
            }
        )
        if older and self.rng.random() < 0.5:
            return dict(args, rate_table_id=older[-1], _rate_refusal="wrong_rate_table")
        allowed = {
            r.amount_vnd * ((args.get("units") or 1) if r.unit not in ("one_off", "per_person") else 1)
            for r in rows
            if r.rate_table_id == args["rate_table_id"]
        }
        amount = args["amount_vnd"]
        for delta in (self.rng.choice((5_000, 10_000, 50_000, 100_000)), 7_000, 13_000):
            if amount + delta not in allowed:
                return dict(args, amount_vnd=amount + delta, _rate_refusal="rate_mismatch")
        return dict(args, amount_vnd=amount + 1, _rate_refusal="rate_mismatch")

    def note_skip(self, event_type: str, predicted: str | None, wanted: str | None) -> None:
        key = (event_type, predicted, wanted)
        self.skips[key] = self.skips.get(key, 0) + 1

    def note_criminal_case(self, province: str, year: int, ref: str, case_ref: str) -> None:
        self._criminal.setdefault((province, year), []).append((ref, case_ref))

    # -- people --------------------------------------------------------------------------------------

    def _human(self) -> str:
        self._humans += 1
        return f"H{self._humans:08d}"

    def new_person(
        self, on: date, home=None, *, sex: str | None = None, birth_year: int | None = None
    ) -> Person:
        rng = self.rng
        sex = sex or ("female" if rng.random() < 0.74 else "male")
        if birth_year is None:
            age = rng.randint(12, 17) if rng.random() < 0.13 else rng.randint(18, 52)
            birth_year = on.year - age
        home = home or self.world.pick_home(rng)
        person = Person(self.ids.uuid(), self._human(), sex, birth_year, home)
        person.data = self.people.personal_data(sex, birth_year, home, on)
        return person

    def new_minor(self, adult: Person, on: date) -> Person:
        sex = "female" if self.rng.random() < 0.55 else "male"
        minor = Person(self.ids.uuid(), self._human(), sex, on.year - self.rng.randint(2, 16), adult.home)
        return minor

    # -- arrivals ------------------------------------------------------------------------------------

    def _pathway(self, on: date) -> str:
        weights = {"domestic": 32.0, "tip": 20.0, "handover": 16.0, "rescue": 13.0, "abroad": 9.0}
        if not self.world.border:
            weights["handover"] = 0.0
        names = list(weights)
        return self.rng.choices(names, [weights[n] for n in names])[0]

    def new_case(self, t: int) -> list[tuple]:
        self._cases += 1
        on = date.fromordinal(EPOCH + t // DAY)
        roll = self.rng.random()
        if roll < 0.05 and t < self.end_t - 90 * DAY:
            steps = self._duplicate(t, on, lookalike=roll < 0.018)
            if steps is not None:
                return steps
        pathway = self._pathway(on)
        person = self.new_person(on)
        case = Case(self._case_id(person.home.province, on), self._cases, province=person.home.province)
        office = pathway in ("domestic",)
        start = self.office(t) if office else t
        planner = CasePlanner(self, case, start, person)
        planner.plan(pathway)
        if person.data_sent and person.first_unit_province:
            self._recent.append((t, person))
        return planner.steps

    def _case_id(self, province: str, on: date) -> str:
        return f"HS-{province}-{on.year}-{self._cases:07d}"

    def _duplicate(self, t: int, on: date, *, lookalike: bool) -> list[tuple] | None:
        candidates = [
            p
            for (seen, p) in self._recent
            if t - seen < 150 * DAY and p.case is not None and p.duplicate_of is None
        ]
        if not candidates:
            return None
        original = candidates[self.rng.randrange(len(candidates))]
        data = original.data or {}
        if lookalike:
            home = self.world.pick_home(self.rng, original.home.province)
            if places.province_of(home.unit(on)) != original.first_unit_province:
                return None
            person = self.new_person(on, home, sex=original.sex, birth_year=original.birth_year)
            assert person.data is not None
            person.data["full_name"] = data["full_name"]
            rule = "R2_NAME_BIRTHYEAR_PROVINCE"
        else:
            rules = []
            if "id_number" in data:
                rules += ["R1_ID_NUMBER"] * 3
            if "phone" in data:
                rules.append("R3_PHONE")
            if places.province_of(original.home.unit(on)) == original.first_unit_province:
                rules.append("R2_NAME_BIRTHYEAR_PROVINCE")
            if not rules:
                return None
            rule = self.rng.choice(rules)
            keep = {"R1_ID_NUMBER": "id_number", "R3_PHONE": "phone"}.get(rule, "name")
            person = Person(self.ids.uuid(), original.human, original.sex, original.birth_year, original.home)
            person.data = self.people.variant(data, original.home, on, keep)
            person.duplicate_of = original
        case = Case(self._case_id(person.home.province, on), self._cases, province=person.home.province)
        planner = DuplicatePlanner(self, case, self.office(t), person)
        planner.plan_duplicate(original, lookalike, rule)
        return planner.steps

    # -- registry and programme facts ----------------------------------------------------------------

    def _timers(self) -> list[tuple[int, int, str, Any]]:
        timers: list[tuple[int, int, str, Any]] = []
        first_year = date.fromordinal(EPOCH + self.start_t // DAY).year
        last_year = date.fromordinal(EPOCH + self.end_t // DAY).year

        def at(day: date, kind: str, param: Any = None, hour: int = 8) -> None:
            t = (day.toordinal() - EPOCH) * DAY + hour * HOUR
            if self.start_t <= t <= self.end_t:
                timers.append((t, len(timers), kind, param))

        for year in range(first_year, last_year + 2):
            at(date(year, 1, 1), "half_reports", f"{year - 1}-H2", hour=0)
            at(date(year, 7, 1), "half_reports", f"{year}-H1", hour=0)
            at(date(year, 4, 1), "annual_plans", year)
            at(date(year, 11, 20), "year_end", year)
        at(date(2025, 2, 20), "final_reports", ("district_police", "provincial_labour"))
        at(date(2025, 6, 20), "final_reports", ("district_labour", "commune_pc", "commune_police"))
        at(HEALTH_LEADS, "succession", HEALTH_LEADS, hour=9)
        at(CUTOVER, "succession", CUTOVER, hour=9)
        timers.sort()
        return timers

    def _fire(self, t: int, kind: str, param: Any, budget: int) -> list[tuple]:
        owner = Case("timer", 0, kind="timer")
        planner = Planner(self, owner, t)
        planner.limit = max(budget, 0)
        with contextlib.suppress(StopPlanning):
            getattr(self, f"_timer_{kind}")(planner, param)
        return planner.steps

    def _stream(self, stream_id: str) -> Case:
        """The stream with this id, opened on first use: its records follow one another as versions 1..n."""
        case = self._streams.get(stream_id)
        if case is None:
            case = self._streams[stream_id] = Case(stream_id, 0, kind="stream")
        return case

    def _stream_emit(self, planner: Planner, event_type: str, agency: str, unit: str, args: dict) -> bool:
        """Each agency's reports, plans or lists of one kind go on one stream of their own."""
        case = self._stream(f"ST-{_STREAM_SUFFIX[event_type]}-{agency}")
        return planner.emit(event_type, agency, unit, args=args, case=case)

    def _spread(self, planner: Planner, codes: list[str], days: float) -> list[tuple[str, int]]:
        """Times for `codes` spread over `days` from now, in order (the planner only moves forward)."""
        base = planner.t
        offsets = sorted(self.rng.uniform(0, days * DAY) for _ in codes)
        return list(zip(codes, (int(base + o) for o in offsets), strict=True))

    def _timer_half_reports(self, planner: Planner, period: str) -> None:
        on = planner.on
        codes = [
            code
            for code, n in sorted(self._half_active.items())
            if n >= 3
            and self.world.agency(code).agency_type in REPORTING_TYPES
            and self.world.agency(code).active_on(on + timedelta(days=20))
        ]
        self._half_active.clear()
        planner.later(days=2)
        for code, t in self._spread(planner, codes, 18):
            planner.t = max(planner.t, self.office(t))
            self._report(planner, code, period)

    def _timer_final_reports(self, planner: Planner, types: tuple[str, ...]) -> None:
        codes = [
            code
            for code, n in sorted(self._half_active.items())
            if n >= 3 and self.world.agency(code).agency_type in types
        ]
        planner.later(days=0)
        period = f"{planner.on.year}-final"
        for code, t in self._spread(planner, codes, 3):
            planner.t = max(planner.t, self.office(t))
            self._report(planner, code, period)
            self._half_active.pop(code, None)

    def _report(self, planner: Planner, code: str, period: str) -> None:
        unit = self.default_unit(code, planner.on)
        args = {"period_code": period, "scope_unit_code": self.world.agency(code).jurisdiction}
        self._stream_emit(planner, "PeriodicReportSubmitted", code, unit, args)

    def _timer_annual_plans(self, planner: Planner, year: int) -> None:
        provinces = sorted(self._provinces_active)
        self._provinces_active.clear()
        planner.later(days=0, office=True)
        for province, t in self._spread(planner, provinces, 40):
            planner.t = max(planner.t, self.office(t))
            on = planner.on
            lead = f"SYT-{province}" if on >= HEALTH_LEADS else None
            if lead is None:
                olds = places.predecessors(province)
                lead = f"SLDTBXH-{olds[self.rng.randrange(len(olds))][2:]}"
            self._stream_emit(planner, "AnnualPlanIssued", lead, self.default_unit(lead, on), {"year": year})
            finance = f"STC-{province}"
            planner.later(hours=self.rng.uniform(0.1, 3))
            self._stream_emit(
                planner, "BudgetAllocated", finance, self.default_unit(finance, planner.on), {"year": year}
            )
            # a few communes active last year issue their own plan: today's communes from the cut-over,
            # the old communes' People's Committees before it
            if planner.on >= CUTOVER:
                communes = [(f"UBND-XA-{c}", c) for c in sorted(self._communes_active.get(province, ()))]
            else:
                olds = sorted(self._old_communes_active.get(province, ()))
                communes = [(f"UBND-XA-L-{c[2:]}", c) for c in olds]
            for code, commune in communes[:3]:
                planner.later(hours=self.rng.uniform(0.1, 3))
                self._stream_emit(planner, "AnnualPlanIssued", code, commune, {"year": year})
        self._communes_active.clear()
        self._old_communes_active.clear()

    def _timer_year_end(self, planner: Planner, year: int) -> None:
        planner.later(days=0, office=True)
        provinces = sorted({p for (p, y) in self._criminal if y == year})
        for province, t in self._spread(planner, provinces, 20):
            planner.t = max(planner.t, self.office(t))
            victims = self._criminal.pop((province, year))
            body = self.rng.choice((f"TAND-{province}", f"VKSND-{province}"))
            args = {
                "year": year,
                "victim_person_refs": sorted({r for r, _ in victims})[:200],
                "criminal_case_refs": sorted({c for _, c in victims})[:200],
            }
            self._stream_emit(
                planner, "AnnualVictimListSubmitted", body, self.default_unit(body, planner.on), args
            )
        inspected = sorted(self._provinces_year)
        self._provinces_year.clear()
        self.rng.shuffle(inspected)
        for province in sorted(inspected[:12]):
            planner.later(hours=self.rng.uniform(0.5, 8))
            code = f"TTRA-{province}"
            self._stream_emit(
                planner, "InspectionFindingRecorded", code, self.default_unit(code, planner.on), {}
            )

    def _timer_succession(self, planner: Planner, day: date) -> None:
        planner.later(days=0, office=False)
        active = sorted(code for code, last in self._last_active.items() if planner.t - last < 120 * DAY)
        communes: dict[str, int] = {}  # province -> old commune bodies recorded
        for code in active:
            agency = self.world.agency(code)
            if agency.valid_to != day or not agency.successor_codes:
                continue
            successor = agency.successor_codes[0]
            province = places.current_province_of(agency.jurisdiction) or ""
            if agency.level == "C":  # thousands of old commune bodies: a few per province, as samples
                communes[province] = communes.get(province, 0) + 1
                if communes[province] > 2:
                    continue
            registrar = f"SYT-{province}"
            unit = agency.jurisdiction if day < CUTOVER else province
            planner.later(hours=self.rng.uniform(0.01, 0.2), office=False)
            args = {"old_agency_code": code, "new_agency_code": successor, "effective_date": day}
            self._stream_emit_registry(planner, "AgencySucceeded", registrar, unit, province, args)
        if day == CUTOVER:
            for province in sorted(self._provinces_active_ever):
                planner.later(hours=self.rng.uniform(0.05, 1), office=False)
                args = {
                    "old_codes": places.predecessors(province),
                    "new_code": province,
                    "effective_date": day,
                }
                self._stream_emit_registry(
                    planner, "AdministrativeUnitSucceeded", f"SYT-{province}", province, province, args
                )
                for commune in sorted(self._legacy_communes.get(province, ()))[:2]:
                    new = places.primary_successor(commune)
                    if new is None:
                        continue
                    planner.later(hours=self.rng.uniform(0.01, 0.3), office=False)
                    args = {"old_codes": places.predecessors(new), "new_code": new, "effective_date": day}
                    self._stream_emit_registry(
                        planner, "AdministrativeUnitSucceeded", f"SYT-{province}", new, province, args
                    )

    def _stream_emit_registry(self, planner, event_type, agency, unit, province, args) -> bool:
        case = self._stream(f"DM-{province}")  # the province's registry facts, one stream
        return planner.emit(event_type, agency, unit, args=args, case=case)

    # -- emission ------------------------------------------------------------------------------------

    def build(self, step: tuple) -> Submission:
        t, event_type, agency, unit, case, subject, args, outcome, flags, truth = step
        submission_id = self.ids.uuid()
        body: dict[str, Any] = {
            "submission_id": submission_id,
            "case_id": case.case_id,
            "event_type": event_type,
            "occurred_at": _iso(t),
            "admin_unit_code": unit,
            "actor": f"{agency.lower()}-cb{self.rng.randrange(1, 10)}",
            "payload": payloads.BUILDERS[event_type](self, t, agency, unit, case, subject, args),
        }
        if subject is not None:
            body["subject_person_ref"] = subject.ref
        if flags & STALE:
            body["expected_version"] = max(case.version - 1, 0)
        elif flags & CHECK_VERSION:
            body["expected_version"] = case.version
        if flags & PERSONAL and subject is not None and subject.data:
            body["personal_data"] = subject.data
        if event_type == "ReferralSent" and args.get("consent_ref"):
            body["consent_ref"] = args["consent_ref"]
        accepted = outcome == ACCEPTED
        if accepted:
            case.version += 1
            if flags & REMEMBER:
                case.event_ids[event_type] = str(
                    uuid.uuid5(EVENT_ID_NAMESPACE, f"{case.case_id}\x1f{submission_id}")
                )
            self._track(agency, unit, case)
        facts = dict(truth) if truth else None
        if accepted and subject is not None and not subject.introduced and event_type not in _NOT_INTRODUCING:
            subject.introduced = True
            facts = facts or {}
            facts.setdefault("human", subject.human)
            facts.setdefault("ref", subject.ref)
        if accepted and event_type == "AccompanyingMinorLinked":
            args["minor"].introduced = True
        if facts:
            body["_truth"] = facts
        body["_expect"] = outcome
        return agency, body

    def _track(self, agency: str, unit: str, case: Case) -> None:
        self._half_active[agency] = self._half_active.get(agency, 0) + 1
        self._last_active[agency] = self._now
        if case.kind == "case":
            province = _current_province(unit)
            if province:
                self._provinces_active.add(province)
                self._provinces_year.add(province)
                self._provinces_active_ever.add(province)
                if len(unit) == 5:
                    self._communes_active.setdefault(province, set()).add(unit)
                elif unit.startswith("L:") and len(unit) == 7:
                    self._legacy_communes.setdefault(province, set()).add(unit)
                    self._old_communes_active.setdefault(province, set()).add(unit)

    # -- the loop ------------------------------------------------------------------------------------

    def run(self) -> Iterator[Submission]:
        target = self.events
        if target == 0:
            return
        heap: list[tuple[int, int, list]] = []
        timers = self._timers()
        next_timer = 0
        planned = 0
        pace = _Pace(self.end_t)
        arrivals_open = True
        t_arrival = self.start_t + self.rng.randrange(0, 6 * HOUR)
        owners = 0
        emitted = 0
        push, pop, replace = heapq.heappush, heapq.heappop, heapq.heapreplace
        build = self.build
        rng = self.rng
        while emitted < target:
            t_step = heap[0][0] if heap else INF
            t_timer = timers[next_timer][0] if next_timer < len(timers) else INF
            t_arr = t_arrival if arrivals_open else INF
            if t_timer <= t_step and t_timer <= t_arr and t_timer != INF:
                _, _, kind, param = timers[next_timer]
                next_timer += 1
                steps = self._fire(t_timer, kind, param, (target - planned) // 25)
                if steps:
                    planned += len(steps)
                    owners += 1
                    push(heap, (steps[0][0], owners, [steps, 0]))
                continue
            if t_arr <= t_step and t_arr != INF:
                steps = self.new_case(t_arrival)
                pace.learn(t_arrival, steps)
                if steps:
                    planned += len(steps)
                    owners += 1
                    push(heap, (steps[0][0], owners, [steps, 0]))
                remaining = target - planned
                left = self.end_t - t_arrival
                if remaining <= 0 or left <= 0:
                    arrivals_open = False
                elif left < DAY:  # the last day: as many small arrivals as still needed
                    t_arrival += max(1, left // (remaining + 1))
                else:
                    gap = rng.expovariate(pace.rate(t_arrival, remaining))
                    t_arrival += max(int(min(gap, left * rng.random())) if gap >= left else int(gap), 1)
                continue
            if t_step == INF:
                break
            _, seq, cursor = heap[0]
            steps, pos = cursor
            step = steps[pos]
            steps[pos] = None  # released as soon as it is out: only what is still to come stays
            pos += 1
            if pos < len(steps):
                cursor[1] = pos
                replace(heap, (steps[pos][0], seq, cursor))
            else:
                pop(heap)
                cursor[0] = None
            self._now = step[0]
            agency, body = build(step)
            yield agency, body
            emitted += 1
            if emitted < target and body["_expect"] == ACCEPTED and rng.random() < 0.003:
                yield (
                    agency,
                    body,
                )  # a network retry: the same submission again, answered with its first outcome
                emitted += 1


class _Pace:
    """How fast cases must arrive for the submissions still wanted to fill the time left.

    A case arriving with L seconds left contributes the steps of its plan that fall within L. The mean
    steps per case at each offset from arrival (10-day bins) is learned as cases arrive: a case informs
    the bins it could fill (those before the end of the window), recent cases weigh more (plans change
    with the law and the map), and a prior fills in until there is data. With a constant arrival rate r
    over the time left T, the expected submissions are r * sum_i m_i * max(0, T - o_i); r is solved
    from that and the submissions still wanted.
    """

    BIN = 10 * DAY
    BINS = 120
    KEEP = 0.995  # per case: about the last 200 cases count

    def __init__(self, end_t: int) -> None:
        self.end_t = end_t
        prior = [0.5 ** (i / 8) for i in range(self.BINS)]
        scale = 24 / sum(prior)
        self.sums = [p * scale * 5 for p in prior]
        self.counts = [5.0] * self.BINS
        self.version = 0
        self._cached: tuple[int, int, float] | None = None

    def learn(self, t: int, steps: list[tuple]) -> None:
        left = self.end_t - t
        filled = min(self.BINS, left // self.BIN)
        if filled <= 0:
            return
        per_bin = [0] * filled
        for step in steps:
            i = (step[0] - t) // self.BIN
            if i < filled:
                per_bin[i] += 1
        keep, sums, counts = self.KEEP, self.sums, self.counts
        for i in range(filled):
            sums[i] = sums[i] * keep + per_bin[i]
            counts[i] = counts[i] * keep + 1.0
        self.version += 1

    def rate(self, t: int, remaining: int) -> float:
        """Arrivals per second."""
        left = self.end_t - t
        key = left // DAY
        cached = self._cached
        if cached is None or cached[0] != key or cached[1] != self.version // 16:
            total = 0.0
            for i in range(self.BINS):
                offset = (i + 0.5) * self.BIN
                if offset >= left:
                    break
                total += self.sums[i] / self.counts[i] * (left - offset)
            cached = self._cached = (key, self.version // 16, max(total, 1.0))
        return remaining / cached[2]


_NOT_INTRODUCING = frozenset({"PersonsMerged", "PersonsUnmerged"})
_STREAM_SUFFIX = {
    "PeriodicReportSubmitted": "BC",
    "AnnualPlanIssued": "KH",
    "BudgetAllocated": "NS",
    "InspectionFindingRecorded": "TT",
    "AnnualVictimListSubmitted": "DS",
}
_LOCAL_EPOCH = datetime(1970, 1, 1)


def _iso(t: int) -> str:
    return (_LOCAL_EPOCH + timedelta(seconds=t)).isoformat() + "+07:00"


@lru_cache(maxsize=65536)
def _current_province(unit: str) -> str | None:
    return places.current_province_of(unit)


@lru_cache(maxsize=65536)
def _rates(province: str | None, support: str, on: date) -> tuple:
    if province is None:
        return ()
    from lienthong.rules import default_rules

    return default_rules().rates_for(province, support, on)


@lru_cache(maxsize=65536)
def _default_unit(code: str, on: date) -> str:
    from lienthong.agencies import default_registry

    agency = default_registry().get(code)
    unit = agency.jurisdiction
    if unit == places.NATIONAL or places.unit(unit, on=on) is not None:
        return unit
    if places.is_current(unit):
        olds = places.predecessors(unit)
        own = [o for o in olds if o.endswith(unit)]
        return (own or olds)[0]
    return places.primary_successor(unit) or unit


__all__ = ["Engine", "Ids"]
