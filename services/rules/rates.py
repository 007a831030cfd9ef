"""Provincial rate tables (DOMAIN.md §d): VND levels set by provincial resolutions or decisions.

Province codes are plain strings: today's two-digit GSO code ("48") or, for a pre-2025 province,
"L:NN" in the places module's legacy namespace ("L:02" Hà Giang). A support type can have several
priced items (food, clothing...). At most one row may be in force for a (province, support type,
item) on any date. All rows of one `rate_table_id` share the province, the instrument and the
effective date; the id starts with the province code. Synthetic rows (demo data) must say so:
`synthetic = true` and an instrument starting "SYNTHETIC".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from lienthong.rules import vocabulary as v
from lienthong.rules._rows import Collector, EffectiveIndex, RowReader, Source, check_tables, table_rows

TABLES = ("rates",)
PROVINCE_CODE = r"(L:)?\d{2}"


@dataclass(frozen=True, slots=True)
class RateRow:
    province_code: str
    support_type: str
    item: str
    amount_vnd: int
    unit: str
    max_units: int | None
    rate_table_id: str
    instrument: str
    valid_from: date
    valid_to: date | None
    legal_basis: str
    note: str
    uncertain: bool
    synthetic: bool
    overlay: str | None  # the overlay province whose file supplied this row; None for the national data
    source: Source


class RateTable:
    def __init__(self) -> None:
        self.rows: list[RateRow] = []
        self._base: EffectiveIndex[RateRow] = EffectiveIndex()
        self._overlay: EffectiveIndex[RateRow] = EffectiveIndex()
        self._tables: dict[str, RateRow] = {}

    def load(
        self,
        doc: dict[str, Any],
        file: str,
        col: Collector,
        overlay: str | None = None,
        overlay_codes: frozenset[str] = frozenset(),
    ) -> None:
        if overlay is None:
            check_tables(doc, file, TABLES, col)
        for source, raw in table_rows(doc, file, "rates", col, required=overlay is None):
            r = RowReader(col, source, raw)
            row = _read(r, overlay)
            if row is None:
                continue
            if overlay is not None and row.province_code not in overlay_codes:
                col.at(
                    source,
                    "province_code",
                    "overlay_other_province",
                    f"an overlay for {overlay} may only set rates for {sorted(overlay_codes)}",
                )
                continue
            first = self._tables.setdefault(row.rate_table_id, row)
            if (first.province_code, first.instrument, first.valid_from) != (
                row.province_code,
                row.instrument,
                row.valid_from,
            ):
                col.at(
                    source,
                    "rate_table_id",
                    "inconsistent_rate_table",
                    f"{row.rate_table_id} already names {first.province_code} / {first.instrument} / "
                    f"{first.valid_from} at {first.source}",
                )
                continue
            self.rows.append(row)
            (self._base if overlay is None else self._overlay).add(
                (row.province_code, row.support_type, row.item), row
            )

    def check(self, col: Collector) -> None:
        describe = "province {0[0]}, support type {0[1]}, item {0[2]}".format
        self._base.check_overlaps(col, describe)
        self._overlay.check_overlaps(col, lambda k: describe(k) + " (overlays)")

    def find_all(self, province_code: str, support_type: str, on: date) -> list[RateRow]:
        found: list[RateRow] = []
        for item in sorted(v.RATE_ITEMS):
            row = self.find(province_code, support_type, item, on)
            if row is not None:
                found.append(row)
        return found

    def find(self, province_code: str, support_type: str, item: str, on: date) -> RateRow | None:
        key = (province_code, support_type, item)
        return self._overlay.find(key, on) or self._base.find(key, on)


def _read(r: RowReader, overlay: str | None) -> RateRow | None:
    province_code = r.str("province_code", pattern=PROVINCE_CODE)
    support_type = r.str("support_type", choices=v.SUPPORT_TYPES, rule="unknown_support_type")
    item = r.str("item", choices=v.RATE_ITEMS, rule="unknown_item")
    amount_vnd = r.int("amount_vnd")
    unit = r.str("unit", choices=v.RATE_UNITS, rule="unknown_unit")
    max_units = r.int("max_units", required=False)
    rate_table_id = r.str("rate_table_id")
    instrument = r.str("instrument")
    valid_from, valid_to = r.period()
    legal_basis = r.legal_basis()
    uncertain = r.bool("uncertain")
    synthetic = r.bool("synthetic")
    note = r.note(uncertain=uncertain, also_required=synthetic)
    if province_code and rate_table_id and not rate_table_id.startswith(province_code + "-"):
        r.problem(
            "rate_table_id", "rate_table_id_format", f"'{rate_table_id}' must start with '{province_code}-'"
        )
    if synthetic and instrument and not instrument.startswith("SYNTHETIC"):
        r.problem(
            "instrument", "synthetic_not_labelled", "a synthetic row's instrument must start with 'SYNTHETIC'"
        )
    if not synthetic and instrument and instrument.startswith("SYNTHETIC"):
        r.problem(
            "synthetic", "synthetic_not_labelled", "an instrument 'SYNTHETIC...' needs synthetic = true"
        )
    if max_units is not None and unit in ("one_off", "per_person"):
        r.problem("max_units", "max_units_for_single_payment", f"a '{unit}' rate has no max_units")
    if not r.finish():
        return None
    assert province_code and support_type and item and amount_vnd and unit and rate_table_id and instrument
    assert valid_from
    return RateRow(
        province_code, support_type, item, amount_vnd, unit, max_units, rate_table_id, instrument,
        valid_from, valid_to, legal_basis, note, uncertain, synthetic, overlay, r.source,
    )  # fmt: skip
