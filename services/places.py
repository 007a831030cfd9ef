"""Administrative units: today's map, the map of the time before 2025-07-01, and the links between them.

Two maps, two namespaces, so an old unit is never confused with a new one (the GSO reused codes:
today's Lào Cai is 15, which was Yên Bái's code; today's Gia Lai is 52, which was Bình Định's):

- **Today's units** (``version == ADMIN_UNIT_VERSION == "2025-07-01"``): the 34 provinces and 3,321
  communes/wards/special zones of Resolution 202/2025/QH15 and the 2025 commune-arrangement
  resolutions, from the ``vietnam-provinces`` package. Codes are bare GSO codes: provinces two digits
  ("48"), communes five ("20242"). There is no district level.
- **Units of the time** (``version == LEGACY_VERSION == "2025-06-30"``): the 63 provinces, 696
  districts and 10,035 communes as they stood on 2025-06-30, frozen in places_data/legacy_units.json.gz
  (built by places_data/build_legacy.py from ``vietnamadminunits``). Codes carry the ``"L:"`` prefix:
  "L:49" (Quảng Nam), "L:307" (Kiến An district), "L:20974" (a commune). Provinces have two digits,
  districts three, communes five after the prefix. They were valid until 2025-06-30 (``valid_to`` is
  the exclusive end 2025-07-01); their start is unknown (``valid_from`` None). The snapshot is the final
  state of the old map: units already merged away by the 2023-2025 arrangements are not in it, so for
  dates well before 2025 it is an approximation.

Succession: an old province goes to exactly one province of today; an old commune to one or more of
today's communes (split communes list the crosswalk's primary one first); an old district to the
communes that took its territory. ``within`` and ``containers`` work across both maps by territorial
containment (an old commune lies within today's province that took it; today's commune lies within an
old district if everything it was formed from lay there).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

from vietnam_provinces import Province, Ward

ADMIN_UNIT_VERSION = "2025-07-01"  # Resolution 202/2025/QH15: the two-tier map in force since this date
LEGACY_VERSION = "2025-06-30"  # the 63-province, three-tier map as it stood the day before
LEGACY_PREFIX = "L:"
NATIONAL = "VN"
CUTOVER = date(2025, 7, 1)  # first day of today's map, exclusive end of the old one

Level = Literal["P", "D", "C"]


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    level: str  # "P" province, "D" district (old map only), "C" commune/ward/special zone
    province_code: str
    district_code: str | None = None  # old map only
    version: str = ADMIN_UNIT_VERSION
    valid_from: date | None = CUTOVER
    valid_to: date | None = None  # exclusive

    @property
    def gso_code(self) -> str:
        """The bare GSO code, without the namespace prefix (ambiguous across versions: display only)."""
        return self.code.removeprefix(LEGACY_PREFIX)

    @property
    def is_current(self) -> bool:
        return self.version == ADMIN_UNIT_VERSION

    def valid_on(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on < self.valid_to
        )


# --- loading (cached; both maps together load in well under half a second) ----------------------------


@cache
def _units() -> dict[str, Unit]:
    """Today's units, by code."""
    units: dict[str, Unit] = {}
    for province in Province.iter_all():
        pcode = f"{int(province.code):02d}"
        units[pcode] = Unit(pcode, province.name, "P", pcode)
    for ward in Ward.iter_all():
        wcode = f"{int(ward.code):05d}"
        pcode = f"{int(ward.province_code):02d}"
        units[wcode] = Unit(wcode, ward.name, "C", pcode)
    return units


@dataclass(frozen=True, slots=True)
class _Legacy:
    units: dict[str, Unit]
    successors: dict[str, tuple[str, ...]]  # old code -> today's codes (primary first for communes)
    predecessors: dict[str, tuple[str, ...]]  # today's code -> old codes of the same level
    meta: dict[str, Any]


def legacy_code(gso_code: str) -> str:
    """The namespaced code of an old (pre-2025-07-01) unit from its bare GSO code: "49" -> "L:49"."""
    return gso_code if gso_code.startswith(LEGACY_PREFIX) else LEGACY_PREFIX + gso_code


@cache
def _legacy() -> _Legacy:
    blob = resources.files("lienthong").joinpath("places_data/legacy_units.json.gz").read_bytes()
    data = json.loads(gzip.decompress(blob))
    units: dict[str, Unit] = {}
    successors: dict[str, tuple[str, ...]] = {}
    predecessors: dict[str, list[str]] = {}
    L = LEGACY_PREFIX

    def old(code: str, name: str, level: str, province: str, district: str | None = None) -> None:
        units[code] = Unit(code, name, level, province, district, LEGACY_VERSION, None, CUTOVER)

    for gso, row in data["provinces"].items():
        old(L + gso, row["name"], "P", L + gso)
        successors[L + gso] = (row["successor"],)
        predecessors.setdefault(row["successor"], []).append(L + gso)
    for gso, row in data["districts"].items():
        old(L + gso, row["name"], "D", L + row["province"])
        successors[L + gso] = tuple(row["successors"])
    for gso, row in data["communes"].items():
        district = data["districts"][row["district"]]
        old(L + gso, row["name"], "C", L + district["province"], L + row["district"])
        successors[L + gso] = tuple(row["successors"])
        for new in row["successors"]:
            predecessors.setdefault(new, []).append(L + gso)
    # Island districts without communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo) became
    # special zones: the zone's predecessor is the district.
    for gso, row in data["districts"].items():
        for new in row["successors"]:
            predecessors.setdefault(new, [L + gso])
    return _Legacy(units, successors, {k: tuple(sorted(v)) for k, v in predecessors.items()}, data["meta"])


def legacy_meta() -> dict[str, Any]:
    """Provenance of the old map (sources, package versions, counts)."""
    return dict(_legacy().meta)


def _lookup(code: str) -> Unit | None:
    if code.startswith(LEGACY_PREFIX):
        return _legacy().units.get(code)
    return _units().get(code)


# --- the public API ------------------------------------------------------------------------------------


def unit(code: str, on: date | None = None) -> Unit | None:
    """The unit `code` names if it is valid on `on`; `on=None` means today's map (old codes give None)."""
    if on is None:
        return _units().get(code)
    found = _lookup(code)
    return found if found is not None and found.valid_on(on) else None


def lookup(code: str) -> Unit | None:
    """The unit `code` names in whichever map its namespace belongs to, whatever the date."""
    return _lookup(code)


def is_current(code: str) -> bool:
    return code in _units()


def is_legacy(code: str) -> bool:
    return code.startswith(LEGACY_PREFIX) and code in _legacy().units


def successors(code: str) -> list[str]:
    """Today's codes that took over `code`: itself for a current code; for an old province today's
    province; for an old commune today's commune(s), primary first; for an old district the communes
    that took its territory. Unknown codes give []."""
    if code in _units():
        return [code]
    return list(_legacy().successors.get(code, ()))


def primary_successor(code: str) -> str | None:
    """The single code of today to carry an old unit's records forward (a split commune's primary part).

    For an old district there is no single commune: its current province is returned instead."""
    found = _lookup(code)
    if found is None:
        return None
    if found.is_current:
        return code
    if found.level == "D":
        return current_province_of(code)
    return _legacy().successors[code][0]


def predecessors(code: str) -> list[str]:
    """Old units (same level; an island district for a special zone) that today's unit took over."""
    return list(_legacy().predecessors.get(code, ())) if code in _units() else []


def current_province_of(code: str) -> str | None:
    """Today's province for a unit of either map (an old unit's is the province that absorbed it)."""
    found = _lookup(code)
    if found is None:
        return None
    if found.is_current:
        return found.province_code
    return _legacy().successors[found.province_code][0]


@lru_cache(maxsize=8192)
def current_place(unit_code: str | None) -> tuple[str | None, str | None]:
    """Today's (province, commune) of a unit of either map: an agency of today sees the records of the
    units its territory took over (DOMAIN §g.7). A district or province gives no commune."""
    if not unit_code or unit_code == NATIONAL:
        return None, None
    found = _lookup(unit_code)
    if found is None:
        return None, None
    commune = primary_successor(unit_code) if found.level == "C" else None
    return current_province_of(unit_code), commune


def settled(province: str | None, commune: str | None, unit_code: str) -> tuple[str | None, str | None]:
    """A case's (province, commune) after a fact at `unit_code`: the first province known stays, and the
    first commune named inside it; never a commune outside the case's province (no reader has both)."""
    at_province, at_commune = current_place(unit_code)
    province = province or at_province
    if commune is None and at_province == province:
        commune = at_commune
    return province, commune


def taken_over(province: str | None, commune: str | None, unit_code: str) -> tuple[str | None, str | None]:
    """Where a case is once the agency over `unit_code` takes it over (an accepted transfer), today's map:
    that agency's province, and its commune if it is a commune's; the case's own commune only if the case
    stays in its province (the next fact in a new province names the commune). A national agency leaves
    the case where it was."""
    to_province = current_province_of(unit_code)
    if to_province is None:
        return province, commune
    found = _lookup(unit_code)
    if found is not None and found.level == "C":
        return to_province, primary_successor(unit_code)
    stays = province is not None and current_province_of(province) == to_province
    return to_province, commune if stays else None


def province_of(code: str, on: date | None = None) -> str | None:
    """The province containing `code` in the unit's own map ("L:31" for old Kiến An, "31" for a ward of
    today's Hải Phòng). With `on`, None unless the unit was valid that day."""
    found = _lookup(code) if on is None else unit(code, on)
    return found.province_code if found else None


def district_of(code: str) -> str | None:
    """The old district of an old commune (today's map has no districts)."""
    found = _lookup(code)
    if found is None:
        return None
    return found.code if found.level == "D" else found.district_code


def group_key(code: str, by: Literal["today", "time"], level: Level | None = None) -> str | None:
    """The unit code under which to count a statistic about `code`.

    by="today": today's units (default level: today's province; level "C": today's commune, a split
    old commune counting under its primary successor). by="time": the unit as it was (default: the
    unit itself; level "P"/"D"/"C": its province/district/commune in its own map). None when the
    requested level does not exist for that unit (e.g. a district of today, or the commune of a
    district)."""
    found = _lookup(code)
    if found is None:
        return None
    if by == "today":
        if level in (None, "P"):
            return current_province_of(code)
        if level == "C":
            return primary_successor(code) if found.level == "C" else None
        return None
    if by == "time":
        if level is None:
            return code
        if level == "P":
            return found.province_code
        if level == "D":
            return district_of(code)
        return code if found.level == "C" else None
    raise ValueError(f"group_key: by must be 'today' or 'time', not {by!r}")


def units_on(on: date, level: Level) -> list[Unit]:
    """All units of `level` valid on `on` (before 2025-07-01: the final old map, see module doc)."""
    source = _units() if on >= CUTOVER else _legacy().units
    return [u for u in source.values() if u.level == level and u.valid_on(on)]


def communes_of(province_code: str) -> list[Unit]:
    """The communes of a province of either map ("48" today's Đà Nẵng, "L:49" old Quảng Nam)."""
    source = _legacy().units if province_code.startswith(LEGACY_PREFIX) else _units()
    return [u for u in source.values() if u.level == "C" and u.province_code == province_code]


def districts_of(province_code: str) -> list[Unit]:
    """The districts of an old province (today's provinces have none)."""
    if not province_code.startswith(LEGACY_PREFIX):
        return []
    return [u for u in _legacy().units.values() if u.level == "D" and u.province_code == province_code]


def provinces(on: date | None = None) -> list[Unit]:
    """Today's provinces, or those valid on `on`."""
    if on is None:
        return [u for u in _units().values() if u.level == "P"]
    return units_on(on, "P")


def _ancestors(found: Unit) -> set[str]:
    return {found.code, found.province_code} | ({found.district_code} if found.district_code else set())


@lru_cache(maxsize=32768)
def containers(code: str) -> frozenset[str]:
    """Every unit code, in either map, whose territory contains `code`'s, itself and NATIONAL included."""
    found = _lookup(code)
    if found is None:
        return frozenset({code, NATIONAL})
    result = _ancestors(found) | {NATIONAL}
    links = successors(code) if not found.is_current else predecessors(code)
    # The other map's units that contain every unit this one was made from / went into.
    if links:
        across = set.intersection(*(_ancestors(u) for u in map(_lookup, links) if u is not None))
        result |= across
    return frozenset(result)


def within(code: str, jurisdiction: str) -> bool:
    """Whether admin unit `code` lies inside `jurisdiction` (a commune, district or province of either
    map, or the nation)."""
    if jurisdiction == NATIONAL or code == jurisdiction:
        return True
    return jurisdiction in containers(code)
