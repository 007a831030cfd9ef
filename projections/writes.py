"""Writes a batch's changed rows: one upsert per table, run by the database driver itself.

SQLAlchemy's executemany processes every parameter of every row in Python, which the rebuild profile
showed as the largest single cost of writing. Here each table's upsert is rendered once, each column's
type conversion is looked up once, and the rows go to the driver as tuples. On PostgreSQL a large batch
is COPYed into a temporary table and merged with one INSERT .. SELECT .. ON CONFLICT, the bulk path the
server is fastest at; a small one (the live projector under light load) uses executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table

from lienthong.projections.rows import JSON_TYPES, Row, dump_json

COPY_FROM_ROWS = 200  # below this, COPY's extra statements cost more than they save


@dataclass(frozen=True)
class _Upsert:
    table: str
    columns: tuple[str, ...]
    converters: tuple[Callable[[Any], Any] | None, ...]
    values_sql: str  # INSERT .. VALUES (..) ON CONFLICT .. DO UPDATE
    temp_table: str
    merge_sql: str  # INSERT .. SELECT FROM temp ON CONFLICT .. DO UPDATE
    get: Callable[[Row], tuple]  # a row's values in column order (KeyError when a column is missing)
    converted: tuple[tuple[int, Callable[[Any], Any]], ...]  # (index, converter) of converted columns

    def params(self, rows: Sequence[Row]) -> list[tuple]:
        """The rows as tuples in column order: list and dict values serialised as ``rows.to_db`` does,
        then each value converted as SQLAlchemy would, without copying every row into a dict first."""
        try:
            values = list(map(self.get, rows))
        except KeyError:  # a row without some column: None there, as row.get gives
            values = [tuple(row.get(name) for name in self.columns) for row in rows]
        converted = self.converted
        out = []
        for value in values:
            if JSON_TYPES.isdisjoint(map(type, value)):
                if not converted:
                    out.append(value)
                    continue
                value = list(value)
            else:
                value = [dump_json(v) if type(v) in JSON_TYPES else v for v in value]
            for i, conv in converted:
                value[i] = conv(value[i])
            out.append(tuple(value))
        return out


_RENDERED: dict[tuple[str, str, int], _Upsert] = {}


def upsert(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """Insert the rows, or replace every non-key column of the rows whose key exists. The rows may be
    stored (``rows.to_db``) or as views keep them (list and dict values are serialised here)."""
    if not rows:
        return
    plan = _plan(conn, table)
    if conn.dialect.name == "postgresql" and len(rows) >= COPY_FROM_ROWS:
        _copy_merge(conn, plan, rows)
    else:
        conn.exec_driver_sql(plan.values_sql, plan.params(rows))


def insert_if_absent(conn: Connection, table: Table, row: Row) -> None:
    """Insert one row unless its key exists (two writers may create it at the same moment)."""
    columns = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * len(row))
    conn.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING', tuple(row.values())
    )


def _copy_merge(conn: Connection, plan: _Upsert, rows: Sequence[Row]) -> None:
    raw = conn.connection.driver_connection  # psycopg, inside SQLAlchemy's transaction
    with raw.cursor() as cur:
        cur.execute(
            f'CREATE TEMP TABLE IF NOT EXISTS "{plan.temp_table}" (LIKE "{plan.table}") ON COMMIT DELETE ROWS'
        )
        quoted = ", ".join(f'"{c}"' for c in plan.columns)
        with cur.copy(f'COPY "{plan.temp_table}" ({quoted}) FROM STDIN') as copy:
            for values in plan.params(rows):
                copy.write_row(values)
        cur.execute(plan.merge_sql)
        cur.execute(f'DELETE FROM "{plan.temp_table}"')  # a second batch in the same transaction


def _plan(conn: Connection, table: Table) -> _Upsert:
    dialect = conn.dialect
    key = (dialect.name, table.name, id(table))
    found = _RENDERED.get(key)
    if found is None:
        found = _RENDERED[key] = _render(table, dialect)
    return found


def _render(table: Table, dialect: Any) -> _Upsert:
    columns = tuple(c.name for c in table.columns)
    keys = [c.name for c in table.primary_key.columns]
    quoted = ", ".join(f'"{c}"' for c in columns)
    conflict = ", ".join(f'"{k}"' for k in keys)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in keys)
    on_conflict = f"ON CONFLICT ({conflict}) " + (f"DO UPDATE SET {updates}" if updates else "DO NOTHING")
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    temp = f"_load_{table.name}"
    # What SQLAlchemy would do to each value (e.g. SQLite stores datetimes as text): asked once.
    converters = tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.columns)
    get = itemgetter(*columns) if len(columns) > 1 else (lambda row, name=columns[0]: (row[name],))
    return _Upsert(
        table=table.name,
        columns=columns,
        converters=converters,
        values_sql=f'INSERT INTO "{table.name}" ({quoted}) VALUES ({", ".join([mark] * len(columns))}) '
        + on_conflict,
        temp_table=temp,
        merge_sql=f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} FROM "{temp}" ' + on_conflict,
        get=get,
        converted=tuple((i, conv) for i, conv in enumerate(converters) if conv is not None),
    )
