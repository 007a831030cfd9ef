"""Working days in Vietnam: weekly rest days, public holidays, compensatory days and swapped days.

holidays.toml declares the years it covers; asking about a date outside them is an error, not a guess.
Periods are counted the Civil Code way (Law 91/2015/QH13 Art. 147-148): a period in days, working days or
months starts the day after the starting fact and ends at 24:00 (Vietnam time, UTC+7) of its last day;
`due` returns that end as an instant, so anything at or after it is late.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from lienthong.rules import vocabulary as v
from lienthong.rules._rows import Collector, RowReader, Source, check_tables, table_rows
from lienthong.rules.errors import RuleNotFound

VIETNAM = timezone(timedelta(hours=7), "ICT")
TABLES = ("calendar", "holidays")


@dataclass(frozen=True, slots=True)
class HolidayRow:
    date: date
    name: str
    kind: str
    observed: bool  # False: listed for the record (e.g. announced but not in force) and not applied
    uncertain: bool
    legal_basis: str
    note: str
    source: Source


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    covers_from: date
    covers_to: date  # exclusive
    weekly_rest: frozenset[int]  # ISO weekdays (6 = Saturday, 7 = Sunday)
    weekly_rest_basis: str
    holidays: tuple[HolidayRow, ...]
    days_off: frozenset[date]  # observed holiday, compensatory and swap_off days
    days_worked: frozenset[date]  # observed swap_work days

    def _check(self, day: date) -> None:
        if not self.covers_from <= day < self.covers_to:
            raise RuleNotFound(
                f"holidays.toml covers {self.covers_from} to {self.covers_to} (exclusive), not {day}: "
                "extend it with that year's announced holidays"
            )

    def is_working_day(self, day: date) -> bool:
        self._check(day)
        if day in self.days_worked:
            return True
        return day.isoweekday() not in self.weekly_rest and day not in self.days_off

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (start itself is not counted)."""
        day, counted = start, 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day


def end_of_day(day: date) -> datetime:
    """24:00 of `day` in Vietnam, as the instant that ends it."""
    return datetime.combine(day + timedelta(days=1), time(0), VIETNAM)


def add_months(day: date, months: int) -> date:
    """The corresponding day `months` later, or the month's last day if it has none (Civil Code Art. 147)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


def load_calendar(doc: dict[str, Any], file: str, col: Collector) -> WorkingCalendar | None:
    check_tables(doc, file, TABLES, col)
    header = doc.get("calendar")
    if not isinstance(header, dict):
        col.add(
            file, "calendar", None, None, "missing_table", "no [calendar] table (coverage and weekly rest)"
        )
        return None
    r = RowReader(col, Source(file, "calendar", 0), header)
    covers_from = r.date("covers_from")
    covers_to = r.date("covers_to")
    rest_raw = r.get("weekly_rest", True)
    legal_basis = r.legal_basis()
    r.str("note", required=False)
    weekly_rest: frozenset[int] = frozenset()
    if isinstance(rest_raw, list) and all(isinstance(d, int) and 1 <= d <= 7 for d in rest_raw):
        weekly_rest = frozenset(rest_raw)
    elif "weekly_rest" in header:
        r.problem("weekly_rest", "wrong_type", "weekly_rest must list ISO weekdays 1-7")
    if covers_from and covers_to and covers_to <= covers_from:
        r.problem("covers_to", "empty_period", "covers_to must be after covers_from")
    if not r.finish() or covers_from is None or covers_to is None:
        return None

    rows: list[HolidayRow] = []
    seen: dict[date, Source] = {}
    for source, raw in table_rows(doc, file, "holidays", col):
        h = RowReader(col, source, raw)
        day = h.date("date")
        name = h.str("name")
        kind = h.str("kind", choices=v.HOLIDAY_KINDS, rule="unknown_holiday_kind")
        observed = h.bool("observed", default=True)
        uncertain = h.bool("uncertain")
        basis = h.legal_basis()
        note = h.note(uncertain=uncertain)
        if day is not None:
            if not covers_from <= day < covers_to:
                h.problem("date", "outside_coverage", f"{day} is outside {covers_from}..{covers_to}")
            elif day in seen:
                h.problem("date", "duplicate_date", f"{day} is already listed at {seen[day]}")
            weekend = day.isoweekday() in weekly_rest
            if kind == "swap_work" and not weekend:
                h.problem("kind", "swap_work_not_rest_day", f"{day} is not a weekly rest day")
            if kind in ("compensatory", "swap_off") and weekend:
                h.problem("kind", "day_off_on_rest_day", f"{day} is already a weekly rest day")
        if not h.finish() or day is None or name is None or kind is None:
            continue
        seen[day] = source
        rows.append(HolidayRow(day, name, kind, observed, uncertain, basis, note, source))

    rows.sort(key=lambda row: row.date)
    return WorkingCalendar(
        covers_from=covers_from,
        covers_to=covers_to,
        weekly_rest=weekly_rest,
        weekly_rest_basis=legal_basis,
        holidays=tuple(rows),
        days_off=frozenset(h.date for h in rows if h.observed and h.kind != "swap_work"),
        days_worked=frozenset(h.date for h in rows if h.observed and h.kind == "swap_work"),
    )
