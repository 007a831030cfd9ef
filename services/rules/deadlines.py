"""Deadlines and time limits (DOMAIN.md §b.2), effective-dated per regime.

A row gives exactly one length: `days` (calendar or working), `hours` (calendar) or `months`.
`starts_from` names one event type or a list of them: whichever of them comes first starts the clock
(Law 53 Art. 27(2): the department's own reception is its receipt of the person as much as the commune's
notification is), so no reader has to add starting events in code.
`regime = "both"` applies the row to L2011 and L2024 alike. At most one row may be in force for a
(name, regime) on any date; a province overlay's row takes precedence for that province.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from lienthong.rules import vocabulary as v
from lienthong.rules._rows import Collector, EffectiveIndex, RowReader, Source, check_tables, table_rows

TABLES = ("deadlines",)
NAME_PATTERN = r"[a-z][a-z0-9_]*"


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    name: str
    regime: str  # "L2011" | "L2024" | "both"
    kind: str  # "deadline" | "limit"
    days: int | None
    hours: int | None
    months: int | None
    calendar: str  # "calendar" | "working" (working only with days)
    starts_from_events: tuple[str, ...]  # as listed; any of them starts the clock
    started_by: frozenset[str]  # agency types whose `starts_from` event starts the clock; empty = any
    satisfied_by: frozenset[str]
    responsible_agency_type: str
    valid_from: date
    valid_to: date | None
    legal_basis: str
    note: str
    uncertain: bool
    design_choice: bool
    province: str | None
    source: Source

    @property
    def starts_from(self) -> str:
        """The first listed starting event, for readers that know only one (prefer `starts_from_events`)."""
        return self.starts_from_events[0]

    def starts_on(self, event_type: str) -> bool:
        return event_type in self.starts_from_events

    @property
    def regimes(self) -> frozenset[str]:
        return v.REGIMES if self.regime == "both" else frozenset({self.regime})


class DeadlineTable:
    def __init__(self) -> None:
        self.rows: list[DeadlineRow] = []
        self._index: EffectiveIndex[DeadlineRow] = EffectiveIndex()

    def load(self, doc: dict[str, Any], file: str, col: Collector, province: str | None = None) -> None:
        if province is None:
            check_tables(doc, file, TABLES, col)
        for source, raw in table_rows(doc, file, "deadlines", col, required=province is None):
            row = _read(RowReader(col, source, raw), province)
            if row is not None:
                self.rows.append(row)
                for regime in row.regimes:
                    self._index.add((province, row.name, regime), row)

    def check(self, col: Collector) -> None:
        self._index.check_overlaps(
            col, lambda k: f"deadline {k[1]} under {k[2]}" + (f" in overlay {k[0]}" if k[0] else "")
        )

    def names(self) -> frozenset[str]:
        return frozenset(r.name for r in self.rows)

    def find(self, name: str, regime: str, on: date, province: str | None) -> DeadlineRow | None:
        if province:
            row = self._index.find((province, name, regime), on)
            if row is not None:
                return row
        return self._index.find((None, name, regime), on)


def _read(r: RowReader, province: str | None) -> DeadlineRow | None:
    responsible = v.AGENCY_TYPES | v.ROLES | v.RESPONSIBLE_PARTIES
    name = r.str("name", pattern=NAME_PATTERN)
    regime = r.str("regime", choices=v.DEADLINE_REGIMES, rule="unknown_regime")
    kind = r.str("kind", required=False, default="deadline", choices=v.DEADLINE_KINDS)
    days = r.int("days", required=False)
    hours = r.int("hours", required=False)
    months = r.int("months", required=False)
    calendar = r.str(
        "calendar", required=False, default="calendar", choices=v.CALENDARS, rule="unknown_calendar"
    )
    starts_from = _starts_from(r)
    started_by = r.str_set(
        "started_by", required=False, choices=v.AGENCY_TYPES, rule="unknown_agency_type", allow_empty=True
    )
    satisfied_by = r.str_set("satisfied_by", choices=v.EVENT_TYPES, rule="unknown_event_type")
    responsible_agency_type = r.str(
        "responsible_agency_type", choices=responsible, rule="unknown_agency_type"
    )
    valid_from, valid_to = r.period()
    legal_basis = r.legal_basis()
    uncertain = r.bool("uncertain")
    design_choice = r.bool("design_choice")
    note = r.note(uncertain=uncertain, also_required=design_choice)
    given = [f for f, val in (("days", days), ("hours", hours), ("months", months)) if val is not None]
    if len(given) != 1 and r.ok:
        r.problem("days", "one_length", f"give exactly one of days, hours, months (got {given or 'none'})")
    if calendar == "working" and days is None and r.ok:
        r.problem("calendar", "working_days_need_days", "calendar = 'working' needs a length in days")
    if not r.finish():
        return None
    assert name and regime and kind and calendar and starts_from and responsible_agency_type and valid_from
    return DeadlineRow(
        name, regime, kind, days, hours, months, calendar, starts_from, started_by, satisfied_by,
        responsible_agency_type, valid_from, valid_to, legal_basis, note, uncertain, design_choice,
        province, r.source,
    )  # fmt: skip


def _starts_from(r: RowReader) -> tuple[str, ...]:
    """One event type or a list of them, each a known event type, none twice; the order is kept."""
    raw = r.raw.get("starts_from")
    events = r.str_set("starts_from", choices=v.EVENT_TYPES, rule="unknown_event_type", allow_scalar=True)
    if not events:
        return ()
    listed = [raw] if isinstance(raw, str) else list(raw)
    return tuple(e for e in listed if e in events)
