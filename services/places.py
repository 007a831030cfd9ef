"""Today's administrative units (34 provinces, 3,321 communes) from the `vietnam-provinces` package.

Codes are the official General Statistics Office codes as zero-padded strings: provinces two digits
("48"), communes/wards five digits ("20242"). Pre-2025 units and successions arrive with the domain issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from vietnam_provinces import Province, Ward

ADMIN_UNIT_VERSION = "2025-07-01"  # Resolution 202/2025/QH15: the two-tier map in force since this date
NATIONAL = "VN"


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    level: str  # "P" province, "C" commune/ward
    province_code: str


@cache
def _units() -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for province in Province.iter_all():
        pcode = f"{int(province.code):02d}"
        units[pcode] = Unit(pcode, province.name, "P", pcode)
        for ward in Ward.iter_by_province(province.code):
            wcode = f"{int(ward.code):05d}"
            units[wcode] = Unit(wcode, ward.name, "C", pcode)
    return units


def unit(code: str) -> Unit | None:
    return _units().get(code)


def province_of(code: str) -> str | None:
    found = _units().get(code)
    return found.province_code if found else None


def communes_of(province_code: str) -> list[Unit]:
    return [u for u in _units().values() if u.level == "C" and u.province_code == province_code]


def provinces() -> list[Unit]:
    return [u for u in _units().values() if u.level == "P"]


def within(code: str, jurisdiction: str) -> bool:
    """Whether admin unit `code` lies inside `jurisdiction` (a commune, a province or the nation)."""
    if jurisdiction == NATIONAL:
        return True
    if code == jurisdiction:
        return True
    return len(jurisdiction) == 2 and province_of(code) == jurisdiction
