"""Reporting periods: quarters (commune reports), halves (six-monthly) and the year (annual).

Codes: "2026-Q1" … "2026-Q4", "2026-H1" / "2026-H2", "2026-FY" (also "2026"). A period is a closed range
of Vietnam calendar dates; a fact belongs to the period containing its Vietnam-time date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

QUARTER, HALF, YEAR = "Q", "H", "FY"
FREQUENCIES = (QUARTER, HALF, YEAR)
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_PATTERN = re.compile(r"^\s*(\d{4})(?:-(Q[1-4]|H[12]|FY))?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Period:
    year: int
    frequency: str  # Q | H | FY
    index: int  # quarter 1-4, half 1-2, 0 for the year

    @property
    def code(self) -> str:
        return f"{self.year}-FY" if self.frequency == YEAR else f"{self.year}-{self.frequency}{self.index}"

    @property
    def start(self) -> date:
        months = {QUARTER: 3, HALF: 6, YEAR: 12}[self.frequency]
        return date(self.year, 1 + months * max(self.index - 1, 0), 1)

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        months = {QUARTER: 3, HALF: 6, YEAR: 12}[self.frequency]
        last_month = months * max(self.index, 1)
        following = date(self.year + 1, 1, 1) if last_month == 12 else date(self.year, last_month + 1, 1)
        return following - timedelta(days=1)

    def contains(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end

    def months(self) -> list[str]:
        """The months of the period as "YYYY-MM"."""
        return [f"{self.year}-{m:02d}" for m in range(self.start.month, self.end.month + 1)]

    @property
    def label_vi(self) -> str:
        if self.frequency == QUARTER:
            return f"Quý {_ROMAN[self.index]} năm {self.year}"
        if self.frequency == HALF:
            return f"6 tháng {'đầu' if self.index == 1 else 'cuối'} năm {self.year}"
        return f"Năm {self.year}"

    @property
    def label_en(self) -> str:
        if self.frequency == QUARTER:
            return f"Quarter {self.index} of {self.year}"
        if self.frequency == HALF:
            return f"{'First' if self.index == 1 else 'Second'} half of {self.year}"
        return f"Year {self.year}"

    @property
    def range_vi(self) -> str:
        return f"từ ngày {self.start:%d/%m/%Y} đến ngày {self.end:%d/%m/%Y}"


def parse_period(text: str) -> Period:
    """ "2026-Q1" / "2026-H2" / "2026-FY" / "2026" -> Period; ValueError names the accepted forms."""
    found = _PATTERN.match(text or "")
    if not found:
        raise ValueError(
            f"kỳ báo cáo không hợp lệ / invalid period {text!r}: use YYYY-Q1..Q4, YYYY-H1|H2 or YYYY-FY"
        )
    year, part = int(found.group(1)), (found.group(2) or YEAR).upper()
    if not 2000 <= year <= 2100:
        raise ValueError(f"năm ngoài phạm vi / year out of range: {year}")
    if part == YEAR:
        return Period(year, YEAR, 0)
    return Period(year, part[0], int(part[1]))


def period_of(day: date, frequency: str) -> Period:
    """The period of `frequency` containing `day`."""
    if frequency == QUARTER:
        return Period(day.year, QUARTER, (day.month - 1) // 3 + 1)
    if frequency == HALF:
        return Period(day.year, HALF, 1 if day.month <= 6 else 2)
    if frequency == YEAR:
        return Period(day.year, YEAR, 0)
    raise ValueError(f"unknown frequency {frequency!r}; expected one of {FREQUENCIES}")
