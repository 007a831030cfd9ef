"""The agency registry: who exists, at which level, over which jurisdiction, from when to when, and who
took over when a body was dissolved.

Loaded from data/agencies.json (rules are data, ARCHITECTURE rule 9), which
services/agency_registry_build.py generates deterministically from the administrative units in
`places`: every province and commune of today, national bodies, and the bodies dissolved in the 2025
restructuring (provincial DOLISA to 2025-02-28, district police to 2025-02-28, district labour offices
to 2025-06-30, the People's Committee and police of every old commune to 2025-06-30) with their
successors. Jurisdictions are unit codes of either map (old units carry the "L:" prefix, see `places`)
or "VN".

The file lists most agencies one per line ("agencies"); the 2 x 10,035 bodies of the old communes come
in a compact section ("old_commune_bodies": one row per old commune and a template per body) that
`load` expands into the same `Agency` objects, so nothing downstream sees the difference.

Dates: `valid_from` is the first day (None: before the registry's horizon), `valid_to` the exclusive
end (None: still in being). The mandate matrix (who may emit what, when) is not here.
"""

from __future__ import annotations

import json
import re
import threading
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
    """The agencies by code. The old-commune bodies (`OldCommuneBodies`) are made on demand: `get`,
    `find`, `active_on` and `successor_on` make only the one asked for; iterating, `codes`, `of_type`
    and `in_jurisdiction` make them all, once."""

    def __init__(self, agencies: list[Agency], old_communes: OldCommuneBodies | None = None) -> None:
        self._by_code = {a.code: a for a in agencies}
        self._old = old_communes if old_communes is not None and len(old_communes) else None
        self._kafka = sorted(a.code for a in self._by_code.values() if a.kafka_door)
        self._indexes: tuple[dict[str, list[Agency]], dict[str, list[Agency]]] | None = None
        self._lock = threading.Lock()

    def _everything(self) -> dict[str, Agency]:
        """Every agency by code, the old-commune bodies made (once)."""
        if self._old is not None:
            with self._lock:
                old = self._old
                if old is not None:
                    everything = dict(self._by_code)
                    for agency in old.all():
                        everything.setdefault(agency.code, agency)
                    self._by_code, self._old = everything, None
        return self._by_code

    def _indexed(self) -> tuple[dict[str, list[Agency]], dict[str, list[Agency]]]:
        if self._indexes is None:
            by_type: dict[str, list[Agency]] = defaultdict(list)
            by_jurisdiction: dict[str, list[Agency]] = defaultdict(list)
            for agency in sorted(self._everything().values(), key=lambda a: a.code):
                by_type[agency.agency_type].append(agency)
                by_jurisdiction[agency.jurisdiction].append(agency)
            self._indexes = (dict(by_type), dict(by_jurisdiction))
        return self._indexes

    def get(self, code: str) -> Agency:
        found = self.find(code)
        if found is None:
            raise UnknownAgency(code)
        return found

    def find(self, code: str) -> Agency | None:
        found = self._by_code.get(code)
        if found is None:
            old = self._old
            if old is not None:
                return old.get(code)
        return found

    def __iter__(self):
        return iter(self._everything().values())

    def __len__(self) -> int:
        old = self._old
        return len(self._by_code) + (len(old) if old is not None else 0)

    def codes(self) -> list[str]:
        """Every agency code, dissolved bodies included (for Kafka provisioning use `kafka_agencies`)."""
        return sorted(self._everything())

    def active_on(self, code: str, on: date) -> bool:
        """Whether agency `code` exists on `on` (False for unknown codes)."""
        agency = self.find(code)
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
            agency = self.find(current)
            if agency is None:
                continue
            if agency.active_on(on):
                return agency
            stack.extend(reversed(agency.successor_codes))
        return None

    def of_type(self, agency_type: str) -> list[Agency]:
        """Agencies of one type, by code."""
        return list(self._indexed()[0].get(agency_type, ()))

    def kafka_agencies(self) -> list[str]:
        """Codes of the agencies that produce to Kafka directly (need inbox/rejection topics and a
        SCRAM user), sorted."""
        return list(self._kafka)

    def in_jurisdiction(self, unit_code: str, on: date | None = None) -> list[Agency]:
        """Agencies whose jurisdiction contains `unit_code` (national ones included; across the old
        and the new map by territory, see `places.containers`), optionally only those active on `on`.
        Sorted by code."""
        by_jurisdiction = self._indexed()[1]
        found = [
            agency
            for jurisdiction in places.containers(unit_code)
            for agency in by_jurisdiction.get(jurisdiction, ())
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
        data = json.loads(text)
        agencies = [_agency(row) for row in data["agencies"]]
        _validate(agencies)
        old = None
        if "old_commune_bodies" in data:
            old = OldCommuneBodies(data["old_commune_bodies"])
            old.validate({a.code for a in agencies})
        return cls(agencies, old)


@cache
def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _agency(row: dict[str, Any]) -> Agency:
    row = dict(row)
    row["valid_from"] = _date(row.get("valid_from"))
    row["valid_to"] = _date(row.get("valid_to"))
    row["successor_codes"] = tuple(row.get("successor_codes", ()))
    return Agency(**row)


_BODY_REQUIRED = frozenset({"code", "agency_type", "level", "name_vi", "name_en", "jurisdiction"})
_BODY_OPTIONAL = frozenset({"successor", "parent"})


class OldCommuneBodies:
    """The file's compact section "old_commune_bodies": one row [gso, name, district gso, [today's
    successor communes]] per commune of the old map, and one template per body. For each template and
    row: code = code prefix + gso; name = name prefix + name + ", " + the district's qualifier;
    jurisdiction = prefix + gso; valid_from None; valid_to = the section's; successor_codes = successor
    prefix + each successor; parent_code = parent prefix + district (when the template has one)."""

    def __init__(self, section: dict[str, Any]) -> None:
        self.valid_to = _date(section["valid_to"])
        self.districts: dict[str, list[str]] = section["districts"]
        self.bodies: list[dict[str, str]] = section["bodies"]
        self.rows: dict[str, list[Any]] = {}
        for row in section["rows"]:
            if len(row) != 4 or row[0] in self.rows:
                raise ValueError(f"old_commune_bodies: bad or repeated row {row!r}")
            self.rows[row[0]] = row
        for body in self.bodies:
            if not _BODY_REQUIRED <= set(body) <= _BODY_REQUIRED | _BODY_OPTIONAL:
                raise ValueError(f"old_commune_bodies: bad body template {body!r}")
        self._made: dict[str, Agency] = {}

    def __len__(self) -> int:
        return len(self.rows) * len(self.bodies)

    def _make(self, body: dict[str, str], row: list[Any]) -> Agency:
        gso, name, district, successors = row
        where_vi, where_en = self.districts[district]
        successor, parent = body.get("successor"), body.get("parent")
        made = Agency(
            code=body["code"] + gso,
            agency_type=body["agency_type"],
            level=body["level"],
            name_vi=f"{body['name_vi']}{name}, {where_vi}",
            name_en=f"{body['name_en']}{name}, {where_en}",
            jurisdiction=body["jurisdiction"] + gso,
            valid_to=self.valid_to,
            successor_codes=tuple(successor + s for s in successors) if successor else (),
            parent_code=parent + district if parent else None,
        )
        return self._made.setdefault(made.code, made)

    def get(self, code: str) -> Agency | None:
        found = self._made.get(code)
        if found is not None:
            return found
        for body in self.bodies:
            if code.startswith(body["code"]):
                row = self.rows.get(code[len(body["code"]) :])
                if row is not None:
                    return self._make(body, row)
        return None

    def all(self) -> list[Agency]:
        made = self._made
        return [
            made.get(body["code"] + gso) or self._make(body, row)
            for body in self.bodies
            for gso, row in self.rows.items()
        ]

    def validate(self, codes: set[str]) -> None:
        """The checks `_validate` makes on listed agencies, made on the rows and templates without making
        the bodies. `codes`: the listed agencies' codes (successors and parents must be among them)."""
        prefixes = [body["code"] for body in self.bodies]
        if any(i != j and a.startswith(b) for i, a in enumerate(prefixes) for j, b in enumerate(prefixes)):
            raise ValueError(f"old_commune_bodies: code prefixes overlap: {prefixes}")
        for gso, (_gso, name, district, _successors) in self.rows.items():
            # A code is a valid prefix followed by digits: checked once per template below.
            if not (gso.isascii() and gso.isdigit() and len(gso) <= 10):
                raise ValueError(f"old_commune_bodies: row {gso!r}: the GSO code is not 1-10 digits")
            if not name or district not in self.districts:
                raise ValueError(
                    f"old_commune_bodies: row {gso!r}: no name, or unknown district {district!r}"
                )
        checked: set[str] = set()
        for body in self.bodies:
            where = f"old_commune_bodies: template {body['code']!r}"
            if not CODE_PATTERN.match(body["code"] + "0" * 10):
                raise ValueError(f"{where}: codes would not match {CODE_PATTERN.pattern}")
            if body["level"] not in LEVELS or body["agency_type"] not in AGENCY_TYPES:
                raise ValueError(f"{where}: level {body['level']!r} or type {body['agency_type']!r} unknown")
            if not (body["name_vi"] and body["name_en"]):
                raise ValueError(f"{where}: empty name prefix")
            made = {body["code"] + gso for gso in self.rows}
            if made & codes:
                raise ValueError(f"agency {min(made & codes)}: duplicate code")
            if body["jurisdiction"] not in checked:  # the templates share their jurisdiction prefix
                checked.add(body["jurisdiction"])
                for gso in self.rows:
                    if places.lookup(body["jurisdiction"] + gso) is None:
                        raise ValueError(f"agency {body['code'] + gso}: jurisdiction is not a known unit")
            refs: set[str] = set()
            if body.get("successor"):
                refs |= {body["successor"] + s for row in self.rows.values() for s in row[3]}
            if body.get("parent"):
                refs |= {body["parent"] + row[2] for row in self.rows.values()}
            if refs - codes:
                raise ValueError(f"{where}: refers to unknown agencies {sorted(refs - codes)[:5]}")


def _validate(agencies: list[Agency]) -> None:
    codes: set[str] = set()
    lookup, national, match = places.lookup, places.NATIONAL, CODE_PATTERN.match
    for agency in agencies:
        if agency.code in codes:
            raise ValueError(f"agency {agency.code}: duplicate code")
        codes.add(agency.code)
        if not match(agency.code):
            raise ValueError(f"agency {agency.code}: code does not match {CODE_PATTERN.pattern}")
        if agency.level not in LEVELS:
            raise ValueError(f"agency {agency.code}: level {agency.level!r} is not one of {LEVELS}")
        if agency.agency_type not in AGENCY_TYPES:
            raise ValueError(f"agency {agency.code}: unknown agency_type {agency.agency_type!r}")
        if agency.jurisdiction != national and lookup(agency.jurisdiction) is None:
            raise ValueError(
                f"agency {agency.code}: jurisdiction {agency.jurisdiction!r} is not a known unit"
            )
        if agency.valid_from and agency.valid_to and agency.valid_from >= agency.valid_to:
            raise ValueError(
                f"agency {agency.code}: valid_from {agency.valid_from} is not before valid_to "
                f"{agency.valid_to}"
            )
    for agency in agencies:
        for other in (*agency.successor_codes, agency.parent_code):
            if other is not None and other not in codes:
                raise ValueError(f"agency {agency.code}: refers to unknown agency {other!r}")


@cache
def default_registry() -> Registry:
    return Registry.load()
