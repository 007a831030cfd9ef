"""Persons counted once: the reporting view's refs grouped by `counted_person`, combined by fixed rules.

For each counted person (a ref and every ref merged into it, transitively):
- the members are ordered survivor first, then by ref;
- the reporting period and unit come from the EARLIEST ReceptionRegistered of any member, else the
  earliest VictimStatusDetermined; an accompanying minor with neither takes the adult's (the adult's
  counted person), else the date the minor was linked (attribution.py has the whole rule);
- that unit is refined to the group's commune: the earliest commune-level unit of any member;
- sex and birth year: the first member (in that order) that has one;
- exploitation type, destination, recruitment method and regime: the latest determination of any member;
- the legal status at a reference date: the latest determination made on or before it (victim / not a
  victim), else accompanying minor if any member is one, else in identification;
- the person was abroad from the earliest abroad-related event of any member.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lienthong.projections.reporting.attribution import refine
from lienthong.projections.views.persons import counted_person
from lienthong.reports import dimensions as d

Row = dict[str, Any]


@dataclass(slots=True)
class CountedPerson:
    ref: str
    members: tuple[str, ...]
    period_on: date | None = None
    period_source: str | None = None
    unit: str | None = None  # unit of the time, refined to the commune
    commune: str | None = None
    sex: str = d.UNKNOWN
    birth_year: int | None = None
    minor: bool = False
    adult_ref: str | None = None
    reception_type: str = d.NOT_RECEIVED
    regime: str = d.UNKNOWN
    exploitation: str = d.UNKNOWN
    destination: str = d.UNKNOWN
    recruitment: str = d.UNKNOWN
    determinations: list[tuple[str, date, str]] = field(default_factory=list)  # (key, on, status)
    abroad_on: date | None = None
    abroad_unit: str | None = None

    def legal_status(self, on: date) -> str:
        """The person's legal status at the reference date `on` (the end of the period)."""
        made = [(key, status) for key, day, status in self.determinations if day <= on]
        if made:
            return d.VICTIM if max(made)[1] == "victim" else d.NOT_A_VICTIM
        return d.ACCOMPANYING_MINOR if self.minor else d.IN_IDENTIFICATION

    def age_group(self) -> str:
        return d.age_group(self.birth_year, self.period_on) if self.period_on else d.UNKNOWN


def _first(rows: list[Row], column: str) -> Any:
    return next((r[column] for r in rows if r[column] is not None), None)


def _earliest(rows: Iterable[Row], key: str) -> Row | None:
    found = [r for r in rows if r[key] is not None]
    return min(found, key=lambda r: r[key]) if found else None


def counted_persons(
    person_rows: Iterable[Row], merged_into: dict[str, str | None]
) -> dict[str, CountedPerson]:
    """Every counted person of the reporting view, keyed by the ref they count as."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in person_rows:
        groups[counted_person(row["person_ref"], merged_into)].append(row)
    out: dict[str, CountedPerson] = {}
    for ref, members in groups.items():
        members.sort(key=lambda r: (r["person_ref"] != ref, r["person_ref"]))
        out[ref] = _combine(ref, members)
    for person in out.values():  # accompanying minors with no period of their own: the adult's
        if person.period_on is None and person.minor:
            adult = out.get(counted_person(person.adult_ref, merged_into)) if person.adult_ref else None
            if adult is not None and adult.period_on is not None and adult.period_source != "link":
                person.period_on, person.period_source = adult.period_on, "adult"
                person.unit = refine(adult.unit, person.commune)
            else:
                linked = _earliest(groups[person.ref], "linked_on")
                if linked is not None:
                    person.period_on, person.period_source = linked["linked_on"], "link"
                    person.unit = refine(linked["linked_unit"], person.commune)
    return out


def _combine(ref: str, members: list[Row]) -> CountedPerson:
    person = CountedPerson(ref, tuple(r["person_ref"] for r in members))
    commune = _earliest(members, "commune_key")
    person.commune = commune["commune_unit"] if commune else None
    person.sex = _first(members, "sex") or d.UNKNOWN
    person.birth_year = _first(members, "birth_year")
    minors = [r for r in members if r["role"] == d.ACCOMPANYING_MINOR]
    person.minor = bool(minors)
    person.adult_ref = _first(minors, "adult_person_ref")
    reception = _earliest(members, "received_key")
    determined = [r for r in members if r["determined_key"] is not None]
    if reception is not None:
        person.period_on, person.period_source = reception["received_on"], "reception"
        person.unit = refine(reception["received_unit"], person.commune)
        person.reception_type = reception["reception_type"] or "other"
    elif determined:
        first = min(determined, key=lambda r: r["determined_key"])
        person.period_on, person.period_source = first["determined_on"], "determination"
        person.unit = refine(first["determined_unit"], person.commune)
    if determined:
        latest = max(determined, key=lambda r: r["determined_key"])
        person.determinations = [
            (r["determined_key"], r["determined_on"], r["determination"]) for r in determined
        ]
        person.exploitation = d.primary_exploitation(json.loads(latest["exploitation_types"] or "[]"))
        person.destination = latest["destination_country"] or d.UNKNOWN
        person.recruitment = latest["recruitment_method"] or d.UNKNOWN
        person.regime = latest["determined_regime"] or d.UNKNOWN
    elif reception is not None:
        person.regime = reception["received_regime"] or d.UNKNOWN
    else:
        person.regime = _first(members, "linked_regime") or d.UNKNOWN
    abroad = _earliest(members, "abroad_key")
    if abroad is not None:
        person.abroad_on = abroad["abroad_on"]
        person.abroad_unit = refine(abroad["abroad_unit"], person.commune)
    return person
