"""The static world the generator draws from: real units of both maps, the agencies of the registry, and
which of them may record what on a given day (asked of the rules, so the generator follows the rule data).

Everything here is read-only and cached once per process (and per province selection).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache

from lienthong import places
from lienthong.agencies import Agency, Registry, default_registry
from lienthong.rules import Rules, default_rules

CUTOVER = places.CUTOVER  # 2025-07-01: L2024, two-tier map, no district bodies
HEALTH_LEADS = date(2025, 3, 1)  # district police dissolved; DOLISA's duties pass to the Department of Health
HOTLINE_111 = date(2025, 9, 19)

# Provinces of today where more victims come from or pass through (northern border, north-central coast,
# Mekong delta) weigh more; every province has some cases.
PROVINCE_WEIGHT = {
    "08": 5, "15": 5, "11": 4, "12": 4, "14": 4, "04": 4, "20": 3, "22": 3, "38": 4, "40": 5, "42": 2,
    "44": 2, "91": 4, "92": 4, "96": 3, "86": 2, "82": 2, "80": 2, "31": 3, "48": 3, "01": 3, "79": 3,
}  # fmt: skip

# Land-border provinces of today: the neighbour country and a border gate (CK: cửa khẩu).
BORDER = {
    "22": ("CN", "CK-MONG-CAI"), "20": ("CN", "CK-HUU-NGHI"), "04": ("CN", "CK-TA-LUNG"),
    "08": ("CN", "CK-THANH-THUY"), "15": ("CN", "CK-LAO-CAI"), "12": ("CN", "CK-MA-LU-THANG"),
    "11": ("LA", "CK-TAY-TRANG"), "14": ("LA", "CK-LONG-SAP"), "38": ("LA", "CK-NA-MEO"),
    "40": ("LA", "CK-NAM-CAN"), "42": ("LA", "CK-CAU-TREO"), "44": ("LA", "CK-LAO-BAO"),
    "46": ("LA", "CK-A-DOT"), "48": ("LA", "CK-NAM-GIANG"), "51": ("LA", "CK-BO-Y"),
    "52": ("KH", "CK-LE-THANH"), "66": ("KH", "CK-DAK-RUE"), "68": ("KH", "CK-BU-PRANG"),
    "75": ("KH", "CK-HOA-LU"), "80": ("KH", "CK-MOC-BAI"), "82": ("KH", "CK-DINH-BA"),
    "91": ("KH", "CK-TINH-BIEN"),
}  # fmt: skip
# Coastal provinces of today and the Coast Guard region command that patrols their waters.
COAST_REGION = {
    "22": 1, "31": 1, "33": 1, "37": 1, "38": 1, "40": 1, "42": 1,
    "44": 2, "46": 2, "48": 2, "51": 2, "52": 2,
    "56": 3, "66": 3, "68": 3, "79": 3, "82": 3, "86": 3,
    "91": 4, "92": 4, "96": 4,
}  # fmt: skip
MISSION_OF = {"CN": "DSQ-CN", "LA": "DSQ-LA", "KH": "DSQ-KH"}
FOREIGN_AUTHORITY = {"CN": "CN-BORDER-POLICE", "LA": "LA-BORDER-POLICE", "KH": "KH-IMMIGRATION"}


@dataclass(frozen=True, slots=True)
class Home:
    """A place a person lives or is found, in both maps: today's commune and one old commune it came from."""

    commune: str  # today's commune ("20242")
    province: str  # today's province ("48")
    old_commune: str  # "L:20242"
    old_district: str  # "L:492"
    old_province: str  # "L:48"
    commune_name: str
    old_commune_name: str
    old_district_name: str
    province_name: str
    old_province_name: str

    def unit(self, on: date) -> str:
        return self.commune if on >= CUTOVER else self.old_commune

    def province_unit(self, on: date) -> str:
        return self.province if on >= CUTOVER else self.old_province

    def address_tail(self, on: date) -> str:
        if on >= CUTOVER:
            return f"{self.commune_name}, {self.province_name}"
        return f"{self.old_commune_name}, {self.old_district_name}, {self.old_province_name}"


class World:
    """Units, agencies and authority, for the provinces the caller chose (default: all of today's)."""

    def __init__(self, provinces: tuple[str, ...] | None) -> None:
        self.registry: Registry = default_registry()
        self.rules: Rules = default_rules()
        every = sorted(u.code for u in places.provinces())
        chosen = list(provinces) if provinces else every
        unknown = sorted(set(chosen) - set(every))
        if unknown:
            raise ValueError(f"unknown province codes {unknown}: give today's two-digit codes")
        self.provinces = sorted(chosen)
        self.weights = [PROVINCE_WEIGHT.get(p, 1) for p in self.provinces]
        self.border = [p for p in self.provinces if p in BORDER and self.exists(f"BDBP-{p}")]
        self.coast = [p for p in self.provinces if p in COAST_REGION]
        self._communes: dict[str, list[str]] = {}
        for p in self.provinces:
            usable = []
            for unit in sorted(places.communes_of(p), key=lambda u: u.code):
                olds = [places.lookup(c) for c in places.predecessors(unit.code)]
                if olds and all(o is not None and o.level == "C" for o in olds):
                    usable.append(unit.code)
            self._communes[p] = usable

    # -- agencies ------------------------------------------------------------------------------------

    def exists(self, code: str) -> bool:
        return self.registry.find(code) is not None

    def agency(self, code: str) -> Agency:
        return self.registry.get(code)

    def authority(self, code: str, event_type: str, on: date, unit: str) -> str | None:
        """The refusal code the decider's authority checks give `code` for this fact, or None if allowed."""
        return _authority(code, event_type, on, unit)

    # -- places --------------------------------------------------------------------------------------

    def pick_province(self, rng: random.Random) -> str:
        return rng.choices(self.provinces, self.weights)[0]

    def pick_home(self, rng: random.Random, province: str | None = None) -> Home:
        province = province or self.pick_province(rng)
        communes = self._communes[province]
        return home_of(communes[rng.randrange(len(communes))], rng.random())

    def neighbour_home(self, rng: random.Random, home: Home) -> Home:
        """Another commune of the same province (for refusals: an agency of the wrong commune)."""
        communes = self._communes[home.province]
        for _ in range(8):
            code = communes[rng.randrange(len(communes))]
            if code != home.commune:
                return home_of(code, rng.random())
        return home

    def other_province(self, rng: random.Random, province: str) -> str | None:
        others = [p for p in self.provinces if p != province]
        if not others:
            return None
        return others[rng.randrange(len(others))]


def home_of(commune: str, draw: float) -> Home:
    """A home in today's `commune`; `draw` in [0, 1) picks which of the old communes it came from."""
    return _home(commune, int(draw * _predecessor_count(commune)))


@lru_cache(maxsize=8192)
def _predecessor_count(commune: str) -> int:
    return len(places.predecessors(commune))


@lru_cache(maxsize=32768)
def _home(commune: str, index: int) -> Home:
    unit = places.lookup(commune)
    assert unit is not None
    olds = places.predecessors(commune)
    old = places.lookup(olds[index % len(olds)])
    assert old is not None and old.district_code is not None
    district = places.lookup(old.district_code)
    old_province = places.lookup(old.province_code)
    province = places.lookup(unit.province_code)
    assert district and old_province and province
    return Home(
        commune,
        unit.province_code,
        old.code,
        district.code,
        old.province_code,
        unit.name,
        old.name,
        district.name,
        province.name,
        old_province.name,
    )


@cache
def _mandate_changes() -> tuple[date, ...]:
    """Every date on which some mandate, role or agency type starts or ends: between two of them the
    mandate matrix is constant, so answers can be cached per period instead of per day."""
    rules = default_rules()
    days: set[date] = set()
    for row in rules.mandates:
        days.add(row.valid_from)
        if row.valid_to:
            days.add(row.valid_to)
    table = getattr(rules, "_mandates", None)
    for period in [*getattr(table, "agency_types", ()), *getattr(table, "roles", ())]:
        days.add(period.valid_from)
        if period.valid_to:
            days.add(period.valid_to)
    return tuple(sorted(days))


def _mandate(agency_type: str, level: str, event_type: str, on: date, province: str | None):
    period = bisect_right(_mandate_changes(), on)
    key = (agency_type, level, event_type, province, period)
    found = _MANDATES.get(key, _MISSING)
    if found is _MISSING:
        found = _MANDATES[key] = default_rules().mandate_for(
            agency_type, level, event_type, on, province=province
        )
    return found


_MANDATES: dict[tuple, object] = {}
_MISSING = object()


@lru_cache(maxsize=262144)
def _inside(kind: str, jurisdiction: str, unit: str) -> bool:
    if kind == "own_unit":
        return places.within(unit, jurisdiction)
    home = places.current_province_of(jurisdiction)
    return home is not None and places.current_province_of(unit) == home


@lru_cache(maxsize=16384)
def _agency_province(code: str) -> tuple[Agency | None, str | None]:
    agency = default_registry().find(code)
    return agency, (places.current_province_of(agency.jurisdiction) if agency else None)


def _authority(code: str, event_type: str, on: date, unit: str) -> str | None:
    agency, province = _agency_province(code)
    if agency is None:
        return "unknown_agency"
    if not agency.active_on(on):
        return "agency_inactive"
    if unit != places.NATIONAL and places.unit(unit, on=on) is None:
        return "invalid_field"
    row = _mandate(agency.agency_type, agency.level, event_type, on, province)
    if row is None or not row.granted:
        return "outside_mandate"
    if agency.jurisdiction == places.NATIONAL or row.jurisdiction in ("national", "abroad"):
        return None
    return None if _inside(row.jurisdiction, agency.jurisdiction, unit) else "outside_jurisdiction"


@cache
def world(provinces: tuple[str, ...] | None = None) -> World:
    return World(provinces)


def day_after(on: date, days: int) -> date:
    return on + timedelta(days=days)
