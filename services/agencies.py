"""The agency registry: who exists, at which level, over which jurisdiction, from when to when, and who
took over when a body was dissolved.

Loaded from data/agencies.json (rules are data, ARCHITECTURE rule 9), which
services/agency_registry_build.py generates deterministically from the administrative units in
`places`: every province and commune of today, national bodies, and the bodies dissolved in the 2025
restructuring (provincial DOLISA to 2025-02-28, district police to 2025-02-28, district labour offices
to 2025-06-30) with their successors. Jurisdictions are unit codes of either map (old units carry the
"L:" prefix, see `places`) or "VN".

Dates: `valid_from` is the first day (None: before the registry's horizon), `valid_to` the exclusive
end (None: still in being). The mandate matrix (who may emit what, when) is not here.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from lienthong import places
from lienthong.rules import vocabulary

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,62}$")
LEVELS = tuple(sorted(vocabulary.LEVELS))  # C commune, D district (to 2025), P province, N national, X abroad
# One vocabulary for agency types: the rules define it (services/rules/vocabulary.py).
AGENCY_TYPES = vocabulary.AGENCY_TYPES


@dataclass(frozen=True, slots=True)
class Agency:
    code: str
    agency_type: str
    level: str
    name_vi: str
    name_en: str
    jurisdiction: str  # admin unit code (commune, district or province, of either map) or "VN"
    valid_from: date | None = None
    valid_to: date | None = None  # exclusive
    successor_codes: tuple[str, ...] = ()
    kafka_door: bool = False  # produces to Kafka itself: inbox/rejection topics and a SCRAM user
    parent_code: str | None = None

    @property
    def unit_code(self) -> str:
        return self.jurisdiction

    def active_on(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on < self.valid_to
        )


class UnknownAgency(KeyError):
    pass


class Registry:
    def __init__(self, agencies: list[Agency]) -> None:
        self._by_code = {a.code: a for a in agencies}
        by_type: dict[str, list[Agency]] = defaultdict(list)
        by_jurisdiction: dict[str, list[Agency]] = defaultdict(list)
        for agency in sorted(self._by_code.values(), key=lambda a: a.code):
            by_type[agency.agency_type].append(agency)
            by_jurisdiction[agency.jurisdiction].append(agency)
        self._by_type = dict(by_type)
        self._by_jurisdiction = dict(by_jurisdiction)
        self._kafka = sorted(a.code for a in self._by_code.values() if a.kafka_door)

    def get(self, code: str) -> Agency:
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownAgency(code) from None

    def find(self, code: str) -> Agency | None:
        return self._by_code.get(code)

    def __iter__(self):
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def codes(self) -> list[str]:
        """Every agency code, dissolved bodies included (for Kafka provisioning use `kafka_agencies`)."""
        return sorted(self._by_code)

    def active_on(self, code: str, on: date) -> bool:
        """Whether agency `code` exists on `on` (False for unknown codes)."""
        agency = self._by_code.get(code)
        return agency is not None and agency.active_on(on)

    def successor_on(self, code: str, on: date) -> Agency | None:
        """The agency that holds `code`'s mandate on `on`: itself while active, else the first agency
        active that day along its succession chain (successor_codes in order, depth first). None for
        an unknown code or when no body in the chain is active that day."""
        seen: set[str] = set()
        stack = [code]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            agency = self._by_code.get(current)
            if agency is None:
                continue
            if agency.active_on(on):
                return agency
            stack.extend(reversed(agency.successor_codes))
        return None

    def of_type(self, agency_type: str) -> list[Agency]:
        """Agencies of one type, by code."""
        return list(self._by_type.get(agency_type, ()))

    def kafka_agencies(self) -> list[str]:
        """Codes of the agencies that produce to Kafka directly (need inbox/rejection topics and a
        SCRAM user), sorted."""
        return list(self._kafka)

    def in_jurisdiction(self, unit_code: str, on: date | None = None) -> list[Agency]:
        """Agencies whose jurisdiction contains `unit_code` (national ones included; across the old
        and the new map by territory, see `places.containers`), optionally only those active on `on`.
        Sorted by code."""
        found = [
            agency
            for jurisdiction in places.containers(unit_code)
            for agency in self._by_jurisdiction.get(jurisdiction, ())
            if on is None or agency.active_on(on)
        ]
        return sorted(found, key=lambda a: a.code)

    @classmethod
    def load(cls, path: Path | None = None) -> Registry:
        text = (
            path.read_text("utf-8")
            if path
            else resources.files("lienthong").joinpath("data/agencies.json").read_text("utf-8")
        )
        agencies = [_agency(row) for row in json.loads(text)["agencies"]]
        _validate(agencies)
        return cls(agencies)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _agency(row: dict[str, Any]) -> Agency:
    row = dict(row)
    row["valid_from"] = _date(row.get("valid_from"))
    row["valid_to"] = _date(row.get("valid_to"))
    row["successor_codes"] = tuple(row.get("successor_codes", ()))
    return Agency(**row)


def _validate(agencies: list[Agency]) -> None:
    codes: set[str] = set()
    for agency in agencies:
        where = f"agency {agency.code}"
        if agency.code in codes:
            raise ValueError(f"{where}: duplicate code")
        codes.add(agency.code)
        if not CODE_PATTERN.match(agency.code):
            raise ValueError(f"{where}: code does not match {CODE_PATTERN.pattern}")
        if agency.level not in LEVELS:
            raise ValueError(f"{where}: level {agency.level!r} is not one of {LEVELS}")
        if agency.agency_type not in AGENCY_TYPES:
            raise ValueError(f"{where}: unknown agency_type {agency.agency_type!r}")
        if agency.jurisdiction != places.NATIONAL and places.lookup(agency.jurisdiction) is None:
            raise ValueError(f"{where}: jurisdiction {agency.jurisdiction!r} is not a known unit")
        if agency.valid_from and agency.valid_to and agency.valid_from >= agency.valid_to:
            raise ValueError(
                f"{where}: valid_from {agency.valid_from} is not before valid_to {agency.valid_to}"
            )
    for agency in agencies:
        for other in (*agency.successor_codes, agency.parent_code):
            if other is not None and other not in codes:
                raise ValueError(f"agency {agency.code}: refers to unknown agency {other!r}")


@cache
def default_registry() -> Registry:
    return Registry.load()
