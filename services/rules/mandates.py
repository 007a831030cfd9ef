"""The mandate matrix: which agency type (or role), at which level, may emit which event, where, when.

mandates.toml holds three tables:
- [[agency_types]]: when each agency type exists and at which levels (district police end 2025-02-28...).
- [[roles]]: which agency type holds a role (data_steward, registry_admin) for a period.
- [[mandates]]: grants. `agency_type` is one type or a list; `role` names a role instead.
  A row naming ONE agency type must lie inside that type's lifetime and levels (else an error); a row
  naming a LIST is clipped to each type's lifetime and levels, so broad grants stay short.
At most one row may be in force for an (agency type or role, level, event type) on any date.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from lienthong.rules import vocabulary as v
from lienthong.rules._rows import (
    Collector,
    EffectiveIndex,
    Memo,
    RowReader,
    Source,
    check_tables,
    periods_overlap,
    table_rows,
)

TABLES = ("agency_types", "roles", "mandates")


@dataclass(frozen=True, slots=True)
class AgencyTypePeriod:
    agency_type: str
    levels: frozenset[str]
    valid_from: date
    valid_to: date | None
    legal_basis: str
    note: str
    source: Source


@dataclass(frozen=True, slots=True)
class RoleHolding:
    role: str
    agency_type: str
    levels: frozenset[str]
    valid_from: date
    valid_to: date | None
    legal_basis: str
    note: str
    design_choice: bool
    source: Source


@dataclass(frozen=True, slots=True)
class MandateRow:
    """One grant in force for one agency type (or role); `granted = False` denies (in overlays)."""

    agency_type: str | None
    role: str | None
    levels: frozenset[str]
    event_types: frozenset[str]
    jurisdiction: str
    valid_from: date
    valid_to: date | None
    legal_basis: str
    note: str
    uncertain: bool
    granted: bool
    province: str | None  # the overlay province this row applies to; None for the national rules
    source: Source

    @property
    def subject(self) -> str:
        return self.agency_type or self.role or ""


@dataclass(frozen=True, slots=True)
class _Lifetimes:
    periods: dict[str, list[AgencyTypePeriod]]

    def overlapping(self, agency_type: str, start: date, end: date | None) -> list[AgencyTypePeriod]:
        probe = _Span(start, end)
        return [p for p in self.periods.get(agency_type, []) if periods_overlap(p, probe)]

    def covers(self, agency_type: str, start: date, end: date | None, levels: frozenset[str]) -> str | None:
        """None if [start, end) lies inside the type's lifetime at those levels, else why not."""
        spans = sorted(self.overlapping(agency_type, start, end), key=lambda p: p.valid_from)
        cursor: date | None = start
        for span in spans:
            if cursor is None:
                break
            if span.valid_from > cursor:
                return f"{agency_type} does not exist from {cursor} to {span.valid_from}"
            missing = levels - span.levels
            if missing:
                return f"{agency_type} has no level {sorted(missing)} from {span.valid_from}"
            cursor = span.valid_to
        if cursor is not None and (end is None or cursor < end):
            return f"{agency_type} does not exist from {cursor}" + (f" to {end}" if end else " on")
        return None


@dataclass(frozen=True, slots=True)
class _Span:
    valid_from: date
    valid_to: date | None
    source: Source | None = None


ROLES_MEMO = 100_000  # (agency type, level, day) answers kept by roles_of; a few MiB at most
FIND_MEMO = 100_000  # (type, level, event type, day, province) answers kept by find; a few MiB at most


class MandateTable:
    def __init__(self) -> None:
        self.agency_types: list[AgencyTypePeriod] = []
        self.roles: list[RoleHolding] = []
        self.rows: list[MandateRow] = []
        self._index: EffectiveIndex[MandateRow] = EffectiveIndex()
        self._roles: EffectiveIndex[RoleHolding] = EffectiveIndex()
        self._roles_held: dict[str, tuple[str, ...]] = {}  # agency type -> roles it ever holds, sorted
        self._roles_on: Memo[tuple[str, str, date], list[RoleHolding]] = Memo(ROLES_MEMO)
        self._found: Memo[tuple[str, str, str, date, str | None], MandateRow | None] = Memo(FIND_MEMO)
        self._lifetimes = _Lifetimes({})

    # -- loading -------------------------------------------------------------------------------------

    def load_base(self, doc: dict[str, Any], file: str, col: Collector) -> None:
        check_tables(doc, file, TABLES, col)
        self._load_agency_types(doc, file, col)
        self._load_roles(doc, file, col)
        self._load_mandates(doc, file, col, province=None)
        self._check_coverage(file, col)

    def load_overlay(self, doc: dict[str, Any], file: str, col: Collector, province: str) -> None:
        self._load_mandates(doc, file, col, province=province)

    def check(self, col: Collector) -> None:
        self._index.check_overlaps(col, _describe)

    def _load_agency_types(self, doc: dict[str, Any], file: str, col: Collector) -> None:
        periods: dict[str, list[AgencyTypePeriod]] = {}
        index: EffectiveIndex[AgencyTypePeriod] = EffectiveIndex()
        for source, raw in table_rows(doc, file, "agency_types", col):
            r = RowReader(col, source, raw)
            agency_type = r.str("agency_type", choices=v.AGENCY_TYPES, rule="unknown_agency_type")
            levels = r.str_set("levels", choices=v.LEVELS, rule="unknown_level")
            valid_from, valid_to = r.period()
            legal_basis = r.legal_basis()
            note = r.str("note", required=False, default="") or ""
            if not r.finish() or agency_type is None or valid_from is None:
                continue
            row = AgencyTypePeriod(agency_type, levels, valid_from, valid_to, legal_basis, note, source)
            periods.setdefault(agency_type, []).append(row)
            index.add(agency_type, row)
            self.agency_types.append(row)
        index.check_overlaps(col, lambda key: f"agency_type {key}")
        for agency_type in sorted(v.AGENCY_TYPES - periods.keys()):
            col.add(
                file,
                "agency_types",
                None,
                "agency_type",
                "agency_type_not_covered",
                f"no lifetime for {agency_type}",
            )
        self._lifetimes = _Lifetimes(periods)

    def _load_roles(self, doc: dict[str, Any], file: str, col: Collector) -> None:
        for source, raw in table_rows(doc, file, "roles", col):
            r = RowReader(col, source, raw)
            role = r.str("role", choices=v.ROLES, rule="unknown_role")
            agency_type = r.str("agency_type", choices=v.AGENCY_TYPES, rule="unknown_agency_type")
            levels = r.str_set("levels", choices=v.LEVELS, rule="unknown_level")
            valid_from, valid_to = r.period()
            legal_basis = r.legal_basis()
            design_choice = r.bool("design_choice")
            note = r.note(uncertain=False, also_required=design_choice)
            if not r.finish() or role is None or agency_type is None or valid_from is None:
                continue
            why = self._lifetimes.covers(agency_type, valid_from, valid_to, levels)
            if why:
                col.at(source, "valid_from", "outside_agency_type_lifetime", why)
                continue
            row = RoleHolding(
                role, agency_type, levels, valid_from, valid_to, legal_basis, note, design_choice, source
            )
            self.roles.append(row)
            self._roles.add((agency_type, role), row)
        self._roles.check_overlaps(col, lambda key: f"agency_type/role {key}")
        held: dict[str, set[str]] = {}
        for holding in self.roles:
            held.setdefault(holding.agency_type, set()).add(holding.role)
        self._roles_held = {t: tuple(sorted(roles)) for t, roles in held.items()}
        self._roles_on.clear()
        self._found.clear()

    def _load_mandates(self, doc: dict[str, Any], file: str, col: Collector, province: str | None) -> None:
        self._found.clear()
        for source, raw in table_rows(doc, file, "mandates", col, required=province is None):
            r = RowReader(col, source, raw)
            has_type, has_role = "agency_type" in raw, "role" in raw
            agency_types: frozenset[str] = frozenset()
            role = None
            if has_type == has_role:
                r.problem(
                    "agency_type", "agency_type_or_role", "give exactly one of 'agency_type' and 'role'"
                )
            elif has_type:
                agency_types = r.str_set(
                    "agency_type", choices=v.AGENCY_TYPES, rule="unknown_agency_type", allow_scalar=True
                )
            else:
                role = r.str("role", choices=v.ROLES, rule="unknown_role")
            levels = r.str_set("levels", choices=v.LEVELS, rule="unknown_level")
            events = r.str_set("event_types", choices=v.EVENT_TYPES, rule="unknown_event_type")
            jurisdiction = r.str("jurisdiction", choices=v.JURISDICTIONS, rule="unknown_jurisdiction")
            valid_from, valid_to = r.period()
            legal_basis = r.legal_basis()
            uncertain = r.bool("uncertain")
            granted = r.bool("granted", default=True)
            note = r.note(uncertain=uncertain)
            if not r.finish() or valid_from is None or jurisdiction is None:
                continue
            template = MandateRow(
                None, role, levels, events, jurisdiction, valid_from, valid_to,
                legal_basis, note, uncertain, granted, province, source,
            )  # fmt: skip
            if role is not None:
                self._add(template)
            elif not isinstance(raw["agency_type"], list) or len(agency_types) == 1:
                (agency_type,) = agency_types
                why = self._lifetimes.covers(agency_type, valid_from, valid_to, levels)
                if why:
                    col.at(source, "valid_from", "outside_agency_type_lifetime", why)
                    continue
                self._add(replace(template, agency_type=agency_type))
            else:  # a list: clip the grant to each type's lifetime and levels
                for agency_type in sorted(agency_types):
                    for life in self._lifetimes.overlapping(agency_type, valid_from, valid_to):
                        if not levels & life.levels:
                            continue
                        ends = [e for e in (valid_to, life.valid_to) if e is not None]
                        clipped = replace(
                            template,
                            agency_type=agency_type,
                            levels=levels & life.levels,
                            valid_from=max(valid_from, life.valid_from),
                            valid_to=min(ends) if ends else None,
                        )
                        self._add(clipped)

    def _add(self, row: MandateRow) -> None:
        self.rows.append(row)
        for level in row.levels:
            for event_type in row.event_types:
                self._index.add((row.province, row.subject, level, event_type), row)

    def _check_coverage(self, file: str, col: Collector) -> None:
        granted_types = {r.agency_type for r in self.rows if r.agency_type and r.granted}
        for agency_type in sorted(v.AGENCY_TYPES - granted_types):
            col.add(
                file,
                "mandates",
                None,
                "agency_type",
                "agency_type_without_mandate",
                f"{agency_type} may emit nothing",
            )
        granted_roles = {r.role for r in self.rows if r.role and r.granted}
        held_roles = {h.role for h in self.roles}
        for role in sorted(v.ROLES - granted_roles):
            col.add(file, "mandates", None, "role", "role_without_mandate", f"role {role} may emit nothing")
        for role in sorted(v.ROLES - held_roles):
            col.add(file, "roles", None, "role", "role_not_held", f"no agency type holds role {role}")
        emitted = {e for r in self.rows if r.granted for e in r.event_types}
        for event_type in sorted(v.EVENT_TYPES - emitted):
            col.add(
                file,
                "mandates",
                None,
                "event_types",
                "event_type_never_mandated",
                f"nobody may emit {event_type}",
            )

    # -- queries -------------------------------------------------------------------------------------

    def roles_of(self, agency_type: str, level: str, on: date) -> list[RoleHolding]:
        # Asked several times for every submission, and roles are fixed once loaded: remembered per
        # (type, level, day), within a bound. Only the roles this type ever holds are looked up.
        return list(self._roles_on.get((agency_type, level, on), self._roles_held_on, agency_type, level, on))

    def _roles_held_on(self, agency_type: str, level: str, on: date) -> list[RoleHolding]:
        return [
            h
            for role in self._roles_held.get(agency_type, ())
            if (h := self._roles.find((agency_type, role), on)) is not None and level in h.levels
        ]

    def find(
        self, agency_type: str, level: str, event_type: str, on: date, province: str | None
    ) -> MandateRow | None:
        # Asked for every submission (5 µs of the decider's 60 unremembered); the tables are fixed once
        # loaded, and a load forgets every answer.
        key = (agency_type, level, event_type, on, province)
        return self._found.get(key, self._find, *key)

    def _find(
        self, agency_type: str, level: str, event_type: str, on: date, province: str | None
    ) -> MandateRow | None:
        subjects = [agency_type] + [h.role for h in self.roles_of(agency_type, level, on)]
        for subject in subjects:
            for scope in ([province] if province else []) + [None]:
                row = self._index.find((scope, subject, level, event_type), on)
                if row is not None:
                    if not row.granted:
                        return None
                    return row
        return None

    def lifetime(self, agency_type: str) -> list[AgencyTypePeriod]:
        return list(self._lifetimes.periods.get(agency_type, []))


def _describe(key: object) -> str:
    scope, subject, level, event_type = key  # type: ignore[misc]
    where = f" in overlay {scope}" if scope else ""
    return f"agency type or role {subject}, level {level}, event type {event_type}{where}"
