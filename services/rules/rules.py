"""`Rules`: the effective-dated rule files, loaded and validated together, and the queries over them.

Every query takes the date the fact occurred (`on`), so replaying 2023 events applies 2023 rules.
A province overlay (same row formats, plus an [overlay] header naming the province) fills in or replaces
rows for that province only: its mandate, deadline and entitlement rows apply when the query names the
province, and its rate rows replace the national file's rows for its own province codes, on the dates
they cover.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from lienthong.rules import vocabulary as v
from lienthong.rules._rows import Collector, RowReader, Source, check_tables, read_toml
from lienthong.rules.calendar import (
    VIETNAM,
    HolidayRow,
    WorkingCalendar,
    add_months,
    end_of_day,
    load_calendar,
)
from lienthong.rules.deadlines import DeadlineRow, DeadlineTable
from lienthong.rules.entitlements import EntitlementRow, EntitlementTable
from lienthong.rules.errors import RuleNotFound, RulesError
from lienthong.rules.mandates import AgencyTypePeriod, MandateRow, MandateTable, RoleHolding
from lienthong.rules.rates import RateRow, RateTable
from lienthong.rules.regimes import RegimeTable, TransitionalRule, load_regimes

DATA_DIR = Path(__file__).with_name("data")
FILES = (
    "mandates.toml",
    "deadlines.toml",
    "entitlements.toml",
    "rates.toml",
    "holidays.toml",
    "regimes.toml",
)
OVERLAY_TABLES = ("overlay", "mandates", "deadlines", "entitlements", "rates")


@dataclass(frozen=True, slots=True)
class Overlay:
    """A province's overlay file: what it fills in, for which province codes, on which basis."""

    province_code: str
    predecessor_codes: frozenset[str]
    legal_basis: str
    note: str
    file: str

    @property
    def codes(self) -> frozenset[str]:
        return self.predecessor_codes | {self.province_code}


class Rules:
    """The rule set in force. Build it with `Rules.load()`; it is immutable afterwards."""

    def __init__(
        self,
        *,
        mandates: MandateTable,
        deadlines: DeadlineTable,
        entitlements: EntitlementTable,
        rates: RateTable,
        calendar: WorkingCalendar,
        regimes: RegimeTable,
        overlays: tuple[Overlay, ...],
        data_dir: Path,
    ) -> None:
        self._mandates = mandates
        self._deadlines = deadlines
        self._entitlements = entitlements
        self._rates = rates
        self._calendar = calendar
        self._regimes = regimes
        self.overlays = overlays
        self.data_dir = data_dir

    # -- loading -------------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None, overlays: Sequence[Path] = ()) -> Rules:
        """Load and validate the rule files in `path` (default: the packaged data) plus province overlays.

        Raises RulesError listing every problem (file, table, row, field, rule) if anything is invalid.
        """
        data_dir = Path(path) if path is not None else DATA_DIR
        col = Collector()
        docs = {name: read_toml(data_dir / name, col) for name in FILES}

        mandates, deadlines, entitlements, rates = (
            MandateTable(),
            DeadlineTable(),
            EntitlementTable(),
            RateTable(),
        )
        calendar = regimes = None
        if (doc := docs["mandates.toml"]) is not None:
            mandates.load_base(doc, str(data_dir / "mandates.toml"), col)
        if (doc := docs["deadlines.toml"]) is not None:
            deadlines.load(doc, str(data_dir / "deadlines.toml"), col)
        if (doc := docs["entitlements.toml"]) is not None:
            entitlements.load(doc, str(data_dir / "entitlements.toml"), col)
        if (doc := docs["rates.toml"]) is not None:
            rates.load(doc, str(data_dir / "rates.toml"), col)
        if (doc := docs["holidays.toml"]) is not None:
            calendar = load_calendar(doc, str(data_dir / "holidays.toml"), col)
        if (doc := docs["regimes.toml"]) is not None:
            regimes = load_regimes(doc, str(data_dir / "regimes.toml"), col)

        loaded: list[Overlay] = []
        base_deadlines = deadlines.names()
        for overlay_path in overlays:
            overlay = _load_overlay(Path(overlay_path), col, loaded, mandates, deadlines, entitlements, rates)
            if overlay is not None:
                loaded.append(overlay)
        for row in deadlines.rows:
            if row.province is not None and row.name not in base_deadlines:
                col.at(
                    row.source,
                    "name",
                    "overlay_unknown_deadline",
                    f"no national deadline '{row.name}' to fill in",
                )

        mandates.check(col)
        deadlines.check(col)
        entitlements.check(col)
        rates.check(col)
        if col.problems:
            raise RulesError(col.problems)
        assert calendar is not None and regimes is not None
        return cls(
            mandates=mandates,
            deadlines=deadlines,
            entitlements=entitlements,
            rates=rates,
            calendar=calendar,
            regimes=regimes,
            overlays=tuple(loaded),
            data_dir=data_dir,
        )

    # -- mandates ------------------------------------------------------------------------------------

    def mandate_for(
        self, agency_type: str, level: str, event_type: str, on: date, *, province: str | None = None
    ) -> MandateRow | None:
        """The row that lets `agency_type` at `level` emit `event_type` on `on`, or None.

        Direct grants win over grants to a role the agency type holds; with `province`, that province's
        overlay rows win over the national ones (an overlay row with granted = false denies).
        """
        _known(agency_type, v.AGENCY_TYPES, "agency type")
        _known(level, v.LEVELS, "level")
        _known(event_type, v.EVENT_TYPES, "event type")
        return self._mandates.find(agency_type, level, event_type, _day(on), province)

    def roles_of(self, agency_type: str, level: str, on: date) -> list[RoleHolding]:
        _known(agency_type, v.AGENCY_TYPES, "agency type")
        return self._mandates.roles_of(agency_type, level, _day(on))

    def agency_type_lifetime(self, agency_type: str) -> list[AgencyTypePeriod]:
        _known(agency_type, v.AGENCY_TYPES, "agency type")
        return self._mandates.lifetime(agency_type)

    @property
    def mandates(self) -> tuple[MandateRow, ...]:
        return tuple(self._mandates.rows)

    # -- deadlines -----------------------------------------------------------------------------------

    def deadline(self, name: str, regime: str, on: date, *, province: str | None = None) -> DeadlineRow:
        _known(regime, v.REGIMES, "regime")
        row = self._deadlines.find(name, regime, _day(on), province)
        if row is None:
            raise RuleNotFound(f"no deadline '{name}' under {regime} on {on}")
        return row

    def due(self, name: str, regime: str, start: datetime, *, province: str | None = None) -> datetime:
        """When the period `name` that started at `start` ends (Vietnam time; late if at or after it)."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        local = start.astimezone(VIETNAM)
        row = self.deadline(name, regime, local.date(), province=province)
        if row.hours is not None:
            return local + timedelta(hours=row.hours)
        if row.months is not None:
            return end_of_day(add_months(local.date(), row.months))
        assert row.days is not None
        if row.calendar == "working":
            return end_of_day(self._calendar.add_working_days(local.date(), row.days))
        return end_of_day(local.date() + timedelta(days=row.days))

    def is_working_day(self, day: date) -> bool:
        return self._calendar.is_working_day(day)

    def add_working_days(self, start: date, n: int) -> date:
        return self._calendar.add_working_days(start, n)

    @property
    def deadlines(self) -> tuple[DeadlineRow, ...]:
        return tuple(self._deadlines.rows)

    @property
    def holidays(self) -> tuple[HolidayRow, ...]:
        return self._calendar.holidays

    # -- entitlements and rates ----------------------------------------------------------------------

    def entitlement(
        self, support_type: str, status: str, regime: str, on: date, *, province: str | None = None
    ) -> EntitlementRow | None:
        _known(support_type, v.SUPPORT_TYPES, "support type")
        _known(status, v.STATUSES, "status")
        _known(regime, v.REGIMES, "regime")
        return self._entitlements.find(support_type, status, regime, _day(on), province)

    @property
    def entitlements(self) -> tuple[EntitlementRow, ...]:
        return tuple(self._entitlements.rows)

    def rate(
        self, province_code: str, support_type: str, on: date, *, item: str | None = None
    ) -> RateRow | None:
        """The rate in force; `item` is needed when the support type has several priced items then."""
        _known(support_type, v.SUPPORT_TYPES, "support type")
        if item is not None:
            _known(item, v.RATE_ITEMS, "rate item")
            return self._rates.find(province_code, support_type, item, _day(on))
        found = self._rates.find_all(province_code, support_type, _day(on))
        if len(found) > 1:
            items = ", ".join(r.item for r in found)
            raise ValueError(
                f"{province_code} prices several items of {support_type} on {on} ({items}): pass item="
            )
        return found[0] if found else None

    def rates_for(self, province_code: str, support_type: str, on: date) -> tuple[RateRow, ...]:
        _known(support_type, v.SUPPORT_TYPES, "support type")
        return tuple(self._rates.find_all(province_code, support_type, _day(on)))

    @property
    def rates(self) -> tuple[RateRow, ...]:
        return tuple(self._rates.rows)

    # -- regimes -------------------------------------------------------------------------------------

    def regime_on(self, on: date) -> str:
        row = self._regimes.on(_day(on))
        if row is None:
            raise RuleNotFound(f"no legal regime in force on {on}")
        return row.regime

    def regime_for_person(
        self, identified_on: date | None, first_reported_on: date, *, on: date | None = None
    ) -> str:
        """The regime a person's support follows (Law 53/2024 Art. 63, regimes.toml [[transitional]]).

        Identified as a victim before the cut-over: the old regime, for good (accompanying under-18s
        follow the victim: pass the victim's identification date). Otherwise the regime in force when
        the fact occurs: `on`, else the identification date, else the first report.
        """
        rule = self._regimes.transitional
        if identified_on is not None and _day(identified_on) < rule.identified_before:
            return rule.keeps_regime
        return self.regime_on(on or identified_on or first_reported_on)

    @property
    def transitional_rule(self) -> TransitionalRule:
        return self._regimes.transitional

    # -- review --------------------------------------------------------------------------------------

    def uncertain_rows(self) -> list[Any]:
        """Every row marked uncertain: what a province (or a check of the official text) must fill in."""
        tables: Iterable[Iterable[Any]] = (
            self._mandates.rows,
            self._deadlines.rows,
            self._entitlements.rows,
            self._rates.rows,
            self._calendar.holidays,
            [self._regimes.transitional],
        )
        return [row for rows in tables for row in rows if getattr(row, "uncertain", False)]


@cache
def default_rules() -> Rules:
    """The packaged rules, loaded once per process."""
    return Rules.load()


def _known(value: str, vocabulary: frozenset[str], what: str) -> None:
    if value not in vocabulary:
        raise ValueError(f"unknown {what} {value!r}")


def _day(on: date) -> date:
    """Accept a date; a datetime is taken in Vietnam time (the date the fact occurred there)."""
    if isinstance(on, datetime):
        return on.astimezone(VIETNAM).date() if on.tzinfo else on.date()
    return on


def _load_overlay(
    path: Path,
    col: Collector,
    loaded: list[Overlay],
    mandates: MandateTable,
    deadlines: DeadlineTable,
    entitlements: EntitlementTable,
    rates: RateTable,
) -> Overlay | None:
    file = str(path)
    doc = read_toml(path, col)
    if doc is None:
        return None
    national = {"agency_types", "roles", "calendar", "holidays", "regimes", "transitional"}
    for name in doc:
        if name in national:
            col.add(
                file,
                name,
                None,
                None,
                "national_table_in_overlay",
                f"an overlay may hold only {OVERLAY_TABLES}",
            )
    check_tables({k: x for k, x in doc.items() if k not in national}, file, OVERLAY_TABLES, col)
    header = doc.get("overlay")
    if not isinstance(header, dict):
        col.add(file, "overlay", None, None, "missing_table", "an overlay needs an [overlay] header")
        return None
    r = RowReader(col, Source(file, "overlay", 0), header)
    province = r.str("province_code", pattern=r"\d{2}")
    predecessors = r.str_set("predecessor_codes", required=False, allow_empty=True)
    bad = sorted(c for c in predecessors if not re.fullmatch(r"L:\d{2}", c))
    if bad:
        r.problem("predecessor_codes", "bad_format", f"{bad}: predecessor codes look like 'L:NN'")
    legal_basis = r.legal_basis()
    note = r.str("note", required=False, default="") or ""
    if not r.finish() or province is None:
        return None
    overlay = Overlay(province, predecessors, legal_basis, note, file)
    for other in loaded:
        shared = sorted((other.codes & overlay.codes) - {province}) if other.province_code != province else []
        if shared:
            col.add(
                file,
                "overlay",
                0,
                "predecessor_codes",
                "code_in_two_overlays",
                f"{shared} also in {other.file}",
            )
    mandates.load_overlay(doc, file, col, province)
    deadlines.load(doc, file, col, province)
    entitlements.load(doc, file, col, province)
    rates.load(doc, file, col, overlay=province, overlay_codes=overlay.codes)
    return overlay
