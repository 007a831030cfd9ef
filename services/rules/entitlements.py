"""Support entitlements (DOMAIN.md §d): which support types a beneficiary status has under each regime.

Statuses are regime-specific: `awaiting_verification` exists only under L2011 (JC 01/2014), and
`in_identification` / `accompanying_minor` only under L2024 (Law 53/2024 Ch. V). At most one row may be in
force for a (support type, status, regime) on any date; a province overlay's row takes precedence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from lienthong.rules import vocabulary as v
from lienthong.rules._rows import Collector, EffectiveIndex, RowReader, Source, check_tables, table_rows

TABLES = ("entitlements",)


@dataclass(frozen=True, slots=True)
class EntitlementRow:
    support_type: str
    statuses: frozenset[str]
    regime: str
    one_off: bool
    max_days: int | None
    requires: frozenset[str]
    valid_from: date
    valid_to: date | None
    legal_basis: str
    note: str
    uncertain: bool
    province: str | None
    source: Source


class EntitlementTable:
    def __init__(self) -> None:
        self.rows: list[EntitlementRow] = []
        self._index: EffectiveIndex[EntitlementRow] = EffectiveIndex()

    def load(self, doc: dict[str, Any], file: str, col: Collector, province: str | None = None) -> None:
        if province is None:
            check_tables(doc, file, TABLES, col)
        for source, raw in table_rows(doc, file, "entitlements", col, required=province is None):
            row = _read(RowReader(col, source, raw), province)
            if row is not None:
                self.rows.append(row)
                for status in row.statuses:
                    self._index.add((province, row.support_type, status, row.regime), row)

    def check(self, col: Collector) -> None:
        self._index.check_overlaps(
            col,
            lambda k: (
                f"support type {k[1]}, status {k[2]}, regime {k[3]}" + (f" in overlay {k[0]}" if k[0] else "")
            ),
        )

    def find(
        self, support_type: str, status: str, regime: str, on: date, province: str | None
    ) -> EntitlementRow | None:
        if province:
            row = self._index.find((province, support_type, status, regime), on)
            if row is not None:
                return row
        return self._index.find((None, support_type, status, regime), on)


def _read(r: RowReader, province: str | None) -> EntitlementRow | None:
    support_type = r.str("support_type", choices=v.SUPPORT_TYPES, rule="unknown_support_type")
    regime = r.str("regime", choices=v.REGIMES, rule="unknown_regime")
    statuses = r.str_set("statuses", choices=v.STATUSES, rule="unknown_status")
    one_off = r.bool("one_off")
    if "one_off" not in r.raw:
        r.problem("one_off", "missing_field", "required field 'one_off' is missing")
    max_days = r.int("max_days", required=False)
    requires = r.str_set(
        "requires", required=False, choices=v.REQUIREMENTS, rule="unknown_requirement", allow_empty=True
    )
    valid_from, valid_to = r.period()
    legal_basis = r.legal_basis()
    uncertain = r.bool("uncertain")
    note = r.note(uncertain=uncertain)
    if regime is not None and statuses:
        foreign = sorted(statuses - v.STATUSES_BY_REGIME[regime])
        if foreign:
            r.problem("statuses", "status_not_in_regime", f"{foreign} is not a status under {regime}")
    if one_off and max_days is not None:
        r.problem("max_days", "one_off_with_max_days", "a one-off support has no max_days")
    if not r.finish():
        return None
    assert support_type and regime and valid_from
    return EntitlementRow(
        support_type, statuses, regime, one_off, max_days, requires, valid_from, valid_to, legal_basis,
        note, uncertain, province, r.source,
    )  # fmt: skip
