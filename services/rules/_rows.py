"""Reading and checking rows of the TOML rule files; effective periods and their index.

Every check records a Problem naming file, table, row, field and rule, and the loading carries on, so one
start-up reports every broken row at once.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from lienthong.rules.errors import Problem


@dataclass(frozen=True, slots=True)
class Source:
    """Where a row came from: the file, the table and the row index (0-based) in that table."""

    file: str
    table: str
    row: int

    def __str__(self) -> str:
        return f"{self.file}: {self.table}[{self.row}]"


class Collector:
    """Gathers the problems of one load."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self, file: str, table: str | None, row: int | None, field: str | None, rule: str, detail: str
    ) -> None:
        self.problems.append(Problem(file, table, row, field, rule, detail))

    def at(self, source: Source, field: str | None, rule: str, detail: str) -> None:
        self.add(source.file, source.table, source.row, field, rule, detail)


def read_toml(path: Path, col: Collector) -> dict[str, Any] | None:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        col.add(str(path), None, None, None, "missing_file", "rule file not found")
    except tomllib.TOMLDecodeError as err:
        col.add(str(path), None, None, None, "toml_syntax", str(err))
    return None


def table_rows(
    doc: dict[str, Any], file: str, table: str, col: Collector, *, required: bool = True
) -> Iterator[tuple[Source, dict[str, Any]]]:
    """The rows of an array of tables `[[table]]`, each with its Source."""
    rows = doc.get(table)
    if rows is None:
        if required:
            col.add(file, table, None, None, "missing_table", f"no [[{table}]] rows")
        return
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        col.add(file, table, None, None, "wrong_type", f"{table} must be an array of tables [[{table}]]")
        return
    for index, raw in enumerate(rows):
        yield Source(file, table, index), raw


def check_tables(doc: dict[str, Any], file: str, allowed: Iterable[str], col: Collector) -> None:
    allowed = set(allowed)
    for name in doc:
        if name not in allowed:
            col.add(
                file, name, None, None, "unknown_table", f"unknown table; expected one of {sorted(allowed)}"
            )


_UNSET = object()


class RowReader:
    """Typed access to one row's fields; records a problem for each bad field and unknown field."""

    def __init__(self, col: Collector, source: Source, raw: dict[str, Any]) -> None:
        self.col = col
        self.source = source
        self.raw = raw
        self.ok = True
        self._seen: set[str] = set()

    def problem(self, field: str | None, rule: str, detail: str) -> None:
        self.ok = False
        self.col.at(self.source, field, rule, detail)

    def get(self, field: str, required: bool) -> Any:
        self._seen.add(field)
        if field not in self.raw:
            if required:
                rule = "missing_legal_basis" if field == "legal_basis" else "missing_field"
                self.problem(field, rule, f"required field '{field}' is missing")
            return _UNSET
        return self.raw[field]

    def str(
        self,
        field: str,
        *,
        required: bool = True,
        default: str | None = None,
        choices: Iterable[str] | None = None,
        rule: str = "unknown_value",
        pattern: str | None = None,
    ) -> str | None:
        value = self.get(field, required)
        if value is _UNSET:
            return default
        if not isinstance(value, str):
            self.problem(field, "wrong_type", f"'{field}' must be a string, not {type(value).__name__}")
            return default
        if not value.strip():
            rule_empty = "missing_legal_basis" if field == "legal_basis" else "empty_value"
            self.problem(field, rule_empty, f"'{field}' must not be empty")
            return default
        if choices is not None and value not in choices:
            self.problem(field, rule, f"'{value}' is not one of {sorted(choices)}")
            return default
        if pattern is not None and not re.fullmatch(pattern, value):
            self.problem(field, "bad_format", f"'{value}' does not match {pattern}")
            return default
        return value

    def str_set(
        self,
        field: str,
        *,
        required: bool = True,
        choices: Iterable[str] | None = None,
        rule: str = "unknown_value",
        allow_empty: bool = False,
        allow_scalar: bool = False,
    ) -> frozenset[str]:
        value = self.get(field, required)
        if value is _UNSET:
            return frozenset()
        if allow_scalar and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(field, "wrong_type", f"'{field}' must be a list of strings")
            return frozenset()
        if not value and not allow_empty:
            self.problem(field, "empty_value", f"'{field}' must not be empty")
            return frozenset()
        if len(set(value)) != len(value):
            self.problem(field, "duplicate_value", f"'{field}' lists a value twice")
        if choices is not None:
            allowed = set(choices)
            unknown = [v for v in value if v not in allowed]
            if unknown:
                self.problem(field, rule, f"unknown {field} value(s) {unknown}")
                return frozenset(v for v in value if v in allowed)
        return frozenset(value)

    def bool(self, field: str, *, default: bool = False) -> bool:
        value = self.get(field, False)
        if value is _UNSET:
            return default
        if not isinstance(value, bool):
            self.problem(field, "wrong_type", f"'{field}' must be true or false")
            return default
        return value

    def int(self, field: str, *, required: bool = True, minimum: int = 1) -> int | None:
        value = self.get(field, required)
        if value is _UNSET:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(field, "wrong_type", f"'{field}' must be an integer")
            return None
        if value < minimum:
            self.problem(field, "out_of_range", f"'{field}' must be at least {minimum}, not {value}")
            return None
        return value

    def date(self, field: str, *, required: bool = True) -> date | None:
        value = self.get(field, required)
        if value is _UNSET:
            return None
        if type(value) is not date:
            self.problem(field, "not_a_date", f"'{field}' must be a TOML date (YYYY-MM-DD without quotes)")
            return None
        return value

    def period(self) -> tuple[date | None, date | None]:
        """valid_from (inclusive, required) and valid_to (exclusive, optional); valid_to > valid_from."""
        valid_from = self.date("valid_from")
        valid_to = self.date("valid_to", required=False)
        if valid_from is not None and valid_to is not None and valid_to <= valid_from:
            self.problem(
                "valid_to", "empty_period", f"valid_to {valid_to} must be after valid_from {valid_from}"
            )
        return valid_from, valid_to

    def legal_basis(self) -> str:
        return self.str("legal_basis") or ""

    def note(self, *, uncertain: bool, also_required: bool = False) -> str:
        note = self.str("note", required=False, default="") or ""
        if (uncertain or also_required) and not note:
            self.problem(
                "note", "note_required", "a row marked uncertain or a design choice must say why in 'note'"
            )
        return note

    def finish(self) -> bool:
        for field in self.raw:
            if field not in self._seen:
                self.problem(field, "unknown_field", f"unknown field '{field}'")
        return self.ok


class Dated(Protocol):
    @property
    def valid_from(self) -> date: ...

    @property
    def valid_to(self) -> date | None: ...

    @property
    def source(self) -> Source: ...


R = TypeVar("R", bound=Dated)


def in_force(row: Dated, on: date) -> bool:
    return row.valid_from <= on and (row.valid_to is None or on < row.valid_to)


def periods_overlap(a: Dated, b: Dated) -> bool:
    return (b.valid_to is None or a.valid_from < b.valid_to) and (
        a.valid_to is None or b.valid_from < a.valid_to
    )


class EffectiveIndex(Generic[R]):
    """Rows grouped by key; at most one row per key is in force on any date (checked by check_overlaps)."""

    def __init__(self) -> None:
        self._rows: dict[Hashable, list[R]] = defaultdict(list)

    def add(self, key: Hashable, row: R) -> None:
        self._rows[key].append(row)

    def find(self, key: Hashable, on: date) -> R | None:
        for row in self._rows.get(key, ()):
            if in_force(row, on):
                return row
        return None

    def rows(self, key: Hashable) -> list[R]:
        return list(self._rows.get(key, ()))

    def keys(self) -> Iterable[Hashable]:
        return self._rows.keys()

    def check_overlaps(self, col: Collector, describe: Callable[[Hashable], str]) -> None:
        for key, rows in self._rows.items():
            rows.sort(key=lambda r: r.valid_from)
            for i, later in enumerate(rows):
                for earlier in rows[:i]:
                    if periods_overlap(earlier, later):
                        col.at(
                            later.source,
                            "valid_from",
                            "overlapping_period",
                            f"period overlaps {earlier.source} for the same {describe(key)}",
                        )
                        break


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING = object()


class Memo(Generic[K, V]):
    """Answers of a query on tables fixed once loaded, remembered per key: at most `limit` of them (all
    forgotten when full, and on `clear()`, which each load calls)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._answers: dict[K, V] = {}

    def get(self, key: K, answer: Callable[..., V], *args: Any) -> V:
        """The remembered answer for `key`, else `answer(*args)` remembered (no closure per call)."""
        found = self._answers.get(key, _MISSING)
        if found is _MISSING:
            if len(self._answers) >= self._limit:
                self._answers.clear()
            found = self._answers[key] = answer(*args)
        return found  # type: ignore[return-value]

    def clear(self) -> None:
        self._answers.clear()

    def __len__(self) -> int:
        return len(self._answers)
