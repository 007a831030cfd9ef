"""The agency registry: who exists, at which level, over which jurisdiction.

Loaded from data/agencies.json (rules are data, ARCHITECTURE rule 9). The full effective-dated
mandate matrix and successions come with the domain issue; this holds codes, types and jurisdictions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from lienthong import places


@dataclass(frozen=True, slots=True)
class Agency:
    code: str
    agency_type: str
    level: str
    name_vi: str
    name_en: str
    jurisdiction: str  # admin unit code (commune or province) or "VN"

    @property
    def unit_code(self) -> str:
        return self.jurisdiction


class UnknownAgency(KeyError):
    pass


class Registry:
    def __init__(self, agencies: list[Agency]) -> None:
        self._by_code = {a.code: a for a in agencies}

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
        return sorted(self._by_code)

    @classmethod
    def load(cls, path: Path | None = None) -> Registry:
        text = (
            path.read_text("utf-8")
            if path
            else resources.files("lienthong").joinpath("data/agencies.json").read_text("utf-8")
        )
        rows = json.loads(text)["agencies"]
        agencies = [Agency(**row) for row in rows]
        for agency in agencies:
            if agency.jurisdiction != places.NATIONAL and places.unit(agency.jurisdiction) is None:
                raise ValueError(
                    f"agency {agency.code}: jurisdiction {agency.jurisdiction!r} is not a known unit"
                )
        return cls(agencies)


@cache
def default_registry() -> Registry:
    return Registry.load()
