"""Finance: money only, never persons. Payments and allocations per province, year, support type, budget
source and rate table (Circular 84/2019 and the provincial rate tables; DOMAIN §d "budget_source").

Loans are left out: they are disbursed by the Bank for Social Policies, not spent from the budget.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table

from lienthong.projections.agency_views._common import (
    OWN_PROVINCE,
    ViewSpec,
    context,
    day,
    new_row,
    place,
    support_of,
)
from lienthong.projections.facts import EVENT, Fact
from lienthong.projections.rows import RowSet
from lienthong.projections.tables import metadata

NAME = "finance_payments"
TABLE = "av_finance_payments"
NOT_BUDGET = frozenset({"loan"})
UNSPECIFIED = "unspecified"

table = Table(
    TABLE,
    metadata,
    Column("row_key", String, primary_key=True),
    Column("province_code", String, nullable=False, index=True),
    Column("year", Integer, nullable=False),
    Column("support_type", String, nullable=False),
    Column("budget_source", String, nullable=False),
    Column("rate_table_id", String, nullable=False),  # "-" when the payment names none
    Column("payments", Integer, nullable=False),
    Column("paid_vnd", BigInteger, nullable=False),
    Column("allocated_vnd", BigInteger, nullable=False),
)

SPEC = ViewSpec(name=NAME, table=table, key="row_key", scopes={OWN_PROVINCE: "province_code"})


class FinancePayments:
    name = f"agency_views.{NAME}"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        # The key is known from the fact when its unit names a province (a national unit needs the case's).
        found = _line(fact, place(fact.envelope["admin_unit_code"])[0]) if fact.kind == EVENT else None
        return [(TABLE, _key(*found[:5]))] if found else []

    def apply(self, rows: RowSet, fact: Fact) -> None:
        ctx = context(rows, fact)
        if ctx is None:
            return
        found = _line(fact, place(fact.envelope["admin_unit_code"])[0] or ctx["province_code"])
        if found is None:
            return
        province, year, support_type, source, rate, amount = found
        key = _key(province, year, support_type, source, rate)
        row = rows.get_or_create(
            TABLE,
            key,
            lambda: new_row(
                table,
                row_key=key,
                province_code=province,
                year=year,
                support_type=support_type,
                budget_source=source,
                rate_table_id=rate,
                payments=0,
                paid_vnd=0,
                allocated_vnd=0,
            ),
        )
        rows.touch(TABLE, key)
        if fact.event_type == "BudgetAllocated":
            row["allocated_vnd"] += amount
        else:
            row["payments"] += 1
            row["paid_vnd"] += amount


def _line(fact: Fact, province: str | None) -> tuple[str, int, str, str, str, int] | None:
    """(province, year, support type, budget source, rate table, amount) of a money fact, else None."""
    record = fact.record
    if province is None:
        return None
    if fact.event_type == "BudgetAllocated":
        support_type = record.get("support_type") or "all"
        return province, record["year"], support_type, record["budget_source"], "-", record["amount_vnd"]
    support = support_of(fact)
    if support is None or support[0] in NOT_BUDGET or support[1] <= 0:
        return None
    source = record.get("budget_source") or record.get("fund") or UNSPECIFIED
    rate = record.get("rate_table_id") or record.get("rate_ref") or "-"
    year = int(day(fact.envelope["occurred_at"])[:4])
    return province, year, support[0], source, rate, support[1]


def _key(province: str, year: int, support_type: str, source: str, rate: str) -> str:
    return "|".join((province, str(year), support_type, source, rate))
