"""Reporting arithmetic: periods (Q / H / FY), age groups from a birth year, Vietnam dates, suppression."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lienthong.projections.reporting.attribution import order_key, refine, vn_date
from lienthong.reports.dimensions import UNKNOWN, age_group, age_on, primary_exploitation
from lienthong.reports.periods import HALF, QUARTER, YEAR, parse_period, period_of
from lienthong.reports.suppression import suppress_section


@pytest.mark.parametrize(
    ("code", "start", "end"),
    [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),  # leap year: Q1 ends on the 31st all the same
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2025-H2", date(2025, 7, 1), date(2025, 12, 31)),  # the first half-year of today's map
        ("2026-FY", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        (" 2023-q3 ", date(2023, 7, 1), date(2023, 9, 30)),
    ],
)
def test_periods_have_the_right_first_and_last_day(code, start, end):
    period = parse_period(code)
    assert (period.start, period.end) == (start, end)
    assert period.contains(start) and period.contains(end)
    assert not period.contains(date.fromordinal(start.toordinal() - 1))
    assert not period.contains(date.fromordinal(end.toordinal() + 1))
    assert parse_period(period.code) == period


def test_period_codes_and_labels():
    assert parse_period("2026-Q1").code == "2026-Q1" and parse_period("2026").code == "2026-FY"
    assert parse_period("2026-Q3").label_vi == "Quý III năm 2026"
    assert parse_period("2026-H1").label_vi == "6 tháng đầu năm 2026"
    assert parse_period("2026-H2").label_en == "Second half of 2026"
    assert parse_period("2026-FY").label_vi == "Năm 2026"
    assert parse_period("2026-H2").months() == [f"2026-{m:02d}" for m in range(7, 13)]


@pytest.mark.parametrize(
    "bad", ["", "2026-Q5", "2026-H3", "2026-Q0", "26-Q1", "2026/Q1", "2026-M01", "1999-FY"]
)
def test_invalid_periods_are_refused(bad):
    with pytest.raises(ValueError):
        parse_period(bad)


def test_the_period_of_a_day():
    day = date(2026, 8, 15)
    assert period_of(day, QUARTER).code == "2026-Q3"
    assert period_of(day, HALF).code == "2026-H2"
    assert period_of(day, YEAR).code == "2026-FY"
    assert period_of(date(2026, 6, 30), HALF).code == "2026-H1"
    assert period_of(date(2026, 7, 1), HALF).code == "2026-H2"
    # Quarters nest in halves, halves in the year.
    for month in range(1, 13):
        d = date(2026, month, 1)
        q, h, y = (period_of(d, f) for f in (QUARTER, HALF, YEAR))
        assert y.start <= h.start <= q.start <= d <= q.end <= h.end <= y.end


@pytest.mark.parametrize(
    ("birth_year", "on", "group"),
    [
        (2011, date(2026, 1, 1), "0-15"),  # 15 during 2026
        (2010, date(2026, 12, 31), "16-17"),  # 16
        (2009, date(2026, 6, 1), "16-17"),  # 17
        (2008, date(2026, 1, 1), "18-29"),  # 18: an adult for the whole year
        (1997, date(2026, 3, 1), "18-29"),  # 29
        (1996, date(2026, 3, 1), "30-44"),  # 30
        (1982, date(2026, 3, 1), "30-44"),  # 44
        (1981, date(2026, 3, 1), "45+"),  # 45
        (1930, date(2026, 3, 1), "45+"),
        (2026, date(2026, 3, 1), "0-15"),  # born this year: 0
        (None, date(2026, 3, 1), UNKNOWN),
        (2027, date(2026, 3, 1), UNKNOWN),  # born after the reference date: a data error, not a child
        (1890, date(2026, 3, 1), UNKNOWN),  # older than 120: a data error
    ],
)
def test_age_groups_at_the_reference_date(birth_year, on, group):
    assert age_group(birth_year, on) == group


def test_age_is_the_same_on_any_day_of_a_period():
    """Only the birth year is recorded, so the age is the age reached during the year: the age at
    reception and at the end of the period (any Q, H or FY period) are the same."""
    for code in ("2026-Q1", "2026-Q4", "2026-H2", "2026-FY"):
        period = parse_period(code)
        assert age_on(2008, period.start) == age_on(2008, period.end) == 18


def test_exploitation_is_one_category_per_person():
    assert primary_exploitation([]) == UNKNOWN
    assert primary_exploitation(["labour"]) == "labour"
    assert primary_exploitation(["labour", "labour"]) == "labour"
    assert primary_exploitation(["sexual", "labour"]) == "multiple"


def test_vietnam_dates_and_the_event_order():
    late_utc = datetime(2026, 3, 31, 18, 30, tzinfo=UTC)  # 01:30 on 1 April in Viet Nam
    assert vn_date(late_utc) == date(2026, 4, 1)
    assert parse_period("2026-Q2").contains(vn_date(late_utc))
    assert vn_date(datetime(2026, 3, 31, 16, 59)) == date(2026, 3, 31)  # naive: UTC
    a = order_key(datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "b")
    b = order_key(datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC), "a")
    assert a < b < order_key(datetime(2026, 1, 2, tzinfo=UTC), "0")


def test_a_coarse_unit_is_refined_to_the_persons_commune_only_when_it_contains_it():
    assert refine("48", "20242") == "20242"  # Đà Nẵng contains Hải Châu
    assert refine("31", "20242") == "31"  # Hải Phòng does not
    assert refine("20257", "20242") == "20257"  # already a commune: kept
    assert refine("48", None) == "48"
    assert refine(None, "20242") == "20242"


def _section(rows: list[list[int]]) -> dict:
    width = len(rows[0])
    return {
        "columns": [{"key": f"c{j}", "kind": "count"} for j in range(width)],
        "rows": [{"values": list(r)} for r in rows],
        "total": [sum(r[j] for r in rows) for j in range(width)],
    }


def test_small_cells_are_hidden_and_cannot_be_derived_by_subtraction():
    # Person table: column 0 is the row total of columns 1..2.
    rows = [[12, 9, 3], [20, 20, 0], [15, 7, 8]]
    section = _section(rows)
    suppress_section(section, 5, row_total_column=0)
    values = [r["values"] for r in section["rows"]] + [section["total"]]
    assert values[0][2] == "<5"
    assert values[0][1] == "x"  # else 12 - 3 would give it away in its row
    # No line with a shown total has exactly one hidden cell.
    grid = values
    for row in grid:
        hidden = [v for v in row[1:] if isinstance(v, str)]
        assert len(hidden) != 1 or isinstance(row[0], str)
    for j in range(3):
        column = [grid[i][j] for i in range(len(rows))]
        hidden = [v for v in column if isinstance(v, str)]
        assert len(hidden) != 1 or isinstance(grid[-1][j], str)
    # Every shown count is 0 or at least k.
    assert all(v == 0 or v >= 5 for row in grid for v in row if isinstance(v, int))


def test_amounts_of_a_row_with_hidden_counts_are_hidden():
    section = {
        "columns": [{"key": "services", "kind": "count"}, {"key": "amount", "kind": "amount"}],
        "rows": [{"values": [2, 400_000]}, {"values": [30, 9_000_000]}, {"values": [40, 12_000_000]}],
        "total": [72, 21_400_000],
    }
    suppress_section(section, 11, row_total_column=None)
    assert section["rows"][0]["values"] == ["<11", "x"]
    assert section["rows"][1]["values"] == ["x", "x"]  # the smallest other count and its amount
    assert section["rows"][2]["values"] == [40, 12_000_000]
    assert section["total"] == [72, 21_400_000]
