"""Errors raised while loading rule files, and when a query has no rule to answer it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule in one row: which file, table, row (0-based), field, and which validation rule."""

    file: str
    table: str | None
    row: int | None
    field: str | None
    rule: str
    detail: str

    def __str__(self) -> str:
        where = self.file
        if self.table is not None:
            where += f": {self.table}"
            if self.row is not None:
                where += f"[{self.row}]"
        if self.field is not None:
            where += f".{self.field}"
        return f"{where}: {self.detail} (rule: {self.rule})"


class RulesError(Exception):
    """The rule files are invalid. Carries every problem found; the attributes describe the first."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("RulesError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        first = self.problems[0]
        self.file = first.file
        self.table = first.table
        self.row = first.row
        self.field = first.field
        self.rule = first.rule
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        lines = "\n".join(f"  - {p}" for p in self.problems[1:20])
        super().__init__(f"{first}{more}" + (f"\n{lines}" if lines else ""))


class RuleNotFound(LookupError):
    """No rule in force answers the query (for example, no deadline of that name on that date)."""
