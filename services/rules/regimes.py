"""Legal regimes in force by date, and the transitional rule that keeps a person on the old one.

regimes.toml: [[regimes]] rows (contiguous, non-overlapping) and exactly one [[transitional]] row
(Law 53/2024 Art. 63: a person identified as a victim before the cut-over keeps L2011).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from lienthong.rules import vocabulary as v
from lienthong.rules._rows import Collector, EffectiveIndex, RowReader, Source, check_tables, table_rows

TABLES = ("regimes", "transitional")


@dataclass(frozen=True, slots=True)
class RegimeRow:
    regime: str
    valid_from: date
    valid_to: date | None
    legal_basis: str
    note: str
    source: Source


@dataclass(frozen=True, slots=True)
class TransitionalRule:
    name: str
    identified_before: date
    keeps_regime: str
    applies_to: frozenset[str]
    legal_basis: str
    note: str
    uncertain: bool
    source: Source


@dataclass(frozen=True, slots=True)
class RegimeTable:
    rows: tuple[RegimeRow, ...]
    transitional: TransitionalRule

    def on(self, day: date) -> RegimeRow | None:
        for row in self.rows:
            if row.valid_from <= day and (row.valid_to is None or day < row.valid_to):
                return row
        return None


def load_regimes(doc: dict[str, Any], file: str, col: Collector) -> RegimeTable | None:
    check_tables(doc, file, TABLES, col)
    rows: list[RegimeRow] = []
    index: EffectiveIndex[RegimeRow] = EffectiveIndex()
    for source, raw in table_rows(doc, file, "regimes", col):
        r = RowReader(col, source, raw)
        regime = r.str("regime", choices=v.REGIMES, rule="unknown_regime")
        valid_from, valid_to = r.period()
        legal_basis = r.legal_basis()
        note = r.str("note", required=False, default="") or ""
        if r.finish() and regime and valid_from:
            row = RegimeRow(regime, valid_from, valid_to, legal_basis, note, source)
            rows.append(row)
            index.add("regime", row)
    index.check_overlaps(col, lambda _key: "timeline (regimes may not overlap)")
    rows.sort(key=lambda row: row.valid_from)
    for earlier, later in zip(rows, rows[1:], strict=False):
        if earlier.valid_to is not None and earlier.valid_to < later.valid_from:
            col.at(later.source, "valid_from", "gap_between_regimes", f"no regime from {earlier.valid_to}")
    if rows and rows[-1].valid_to is not None:
        col.at(rows[-1].source, "valid_to", "gap_between_regimes", "the last regime must be open-ended")

    rules: list[TransitionalRule] = []
    for source, raw in table_rows(doc, file, "transitional", col):
        r = RowReader(col, source, raw)
        name = r.str("name")
        identified_before = r.date("identified_before")
        keeps = r.str("keeps_regime", choices=v.REGIMES, rule="unknown_regime")
        applies_to = r.str_set("applies_to", choices=v.STATUSES, rule="unknown_status")
        legal_basis = r.legal_basis()
        uncertain = r.bool("uncertain")
        note = r.note(uncertain=uncertain)
        if r.finish() and name and identified_before and keeps:
            rules.append(
                TransitionalRule(
                    name, identified_before, keeps, applies_to, legal_basis, note, uncertain, source
                )
            )
    if len(rules) != 1:
        col.add(
            file,
            "transitional",
            None,
            None,
            "transitional_rule_count",
            f"need exactly one row, got {len(rules)}",
        )
        return None
    rule = rules[0]
    if not any(row.valid_from == rule.identified_before and row.regime != rule.keeps_regime for row in rows):
        col.at(
            rule.source,
            "identified_before",
            "cutover_mismatch",
            f"{rule.identified_before} is not the start of a regime other than {rule.keeps_regime}",
        )
    if not rows:
        return None
    return RegimeTable(tuple(rows), rules[0])
