"""The in-memory rows a batch works on: prefetched in bulk, loaded lazily on a miss, written once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Table, select

Row = dict[str, Any]
Cache = dict[tuple[str, Any], Row | None]
JSON_TYPES = frozenset({list, dict})  # the values stored as JSON text (exact types, as views make them)
# Canonical JSON text: what json.dumps(value, ensure_ascii=False, sort_keys=True) gives, without building
# an encoder on every call.
dump_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
_MISSING = object()


class RowSet:
    """Rows of several tables keyed by primary key. Apply functions read and write plain dicts here."""

    def __init__(
        self,
        conn: Connection,
        tables: dict[str, Table],
        cache: dict[tuple[str, Any], Row | None] | None = None,
    ) -> None:
        self._conn = conn
        self._tables = tables
        # Rows known from earlier batches (None: known absent); the caller vouches they are current.
        self._rows: Cache = cache if cache is not None else {}
        self._dirty: set[tuple[str, Any]] = set()

    def prefetch(self, keys: Iterable[tuple[str, Any]]) -> None:
        wanted: dict[str, set[Any]] = {}
        known = self._rows
        for key in keys:
            if key not in known:
                table, pk = key
                found = wanted.get(table)
                if found is None:
                    wanted[table] = {pk}
                else:
                    found.add(pk)
        for table, pks in wanted.items():
            t = self._tables[table]
            pk_col = _pk(t)
            found = {}
            pk_list = list(pks)
            fetch = _sqlite_fetch(self._conn, t)
            for i in range(0, len(pk_list), 500):
                chunk = pk_list[i : i + 500]
                if fetch is not None:
                    found.update(fetch(chunk))
                    continue
                for row in self._conn.execute(select(t).where(pk_col.in_(chunk))).mappings():
                    found[row[pk_col.name]] = dict(row)
            for pk in pks:
                self._rows[(table, pk)] = found.get(pk)

    def get(self, table: str, pk: Any) -> Row | None:
        row = self._rows.get((table, pk), _MISSING)
        if row is _MISSING:
            self.prefetch([(table, pk)])
            row = self._rows[(table, pk)]
        return row

    def get_or_create(self, table: str, pk: Any, factory: Callable[[], Row]) -> Row:
        row = self.get(table, pk)
        if row is None:
            row = factory()
            self.put(table, pk, row)
        return row

    def put(self, table: str, pk: Any, row: Row) -> None:
        self._rows[(table, pk)] = row
        self._dirty.add((table, pk))

    def touch(self, table: str, pk: Any) -> None:
        """Mark a row fetched with get() and changed in place."""
        self._dirty.add((table, pk))

    def dirty_rows(self) -> dict[str, list[Row]]:
        """The changed rows as the database stores them (JSON values serialised)."""
        return {table: [to_db(row) for row in changed] for table, changed in self.changed_rows().items()}

    def changed_rows(self) -> dict[str, list[Row]]:
        """The changed rows as the views hold them (``writes.upsert`` serialises their JSON values)."""
        out: dict[str, list[Row]] = {}
        rows = self._rows
        for key in self._dirty:
            row = rows[key]
            if row is not None:
                table = key[0]
                found = out.get(table)
                if found is None:
                    out[table] = [row]
                else:
                    found.append(row)
        return out


def to_db(row: Row) -> Row:
    """A copy of ``row`` with list and dict values as canonical JSON text (views keep them as objects
    within a batch, so a value read and changed by several facts is parsed and written once)."""
    stored = row
    for name, value in row.items():
        if type(value) is list or type(value) is dict:
            if stored is row:
                stored = dict(row)
            stored[name] = dump_json(value)
    return stored


_FETCHES: dict[tuple[str, int], tuple[str, tuple[str, ...], list, int]] = {}


def _sqlite_fetch(conn: Connection, table: Table) -> Callable[[list], dict[Any, Row]] | None:
    """SQLite: the rows of some keys read through the driver, each value processed as SQLAlchemy's
    result would (SQLite reports no column types: the processors are those for type code None). Most
    keys of a rebuild are new, and SQLAlchemy's own per-query work cost more than the empty answer."""
    dialect = conn.dialect
    if dialect.name != "sqlite" or dialect.paramstyle != "qmark":
        return None
    key = (table.name, id(table))
    plan = _FETCHES.get(key)
    if plan is None:
        if _pk(table).type.dialect_impl(dialect).bind_processor(dialect) is not None:
            return None  # keys SQLAlchemy would convert: left to it
        columns = tuple(c.name for c in table.columns)
        processors = [
            (i, proc)
            for i, c in enumerate(table.columns)
            if (proc := c.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
        ]
        pk_index = columns.index(_pk(table).name)
        quoted = ", ".join(f'"{c}"' for c in columns)
        sql = f'SELECT {quoted} FROM "{table.name}" WHERE "{columns[pk_index]}" IN '
        plan = _FETCHES[key] = (sql, columns, processors, pk_index)
    sql, columns, processors, pk_index = plan

    def fetch(pks: list) -> dict[Any, Row]:
        out: dict[Any, Row] = {}
        for values in conn.exec_driver_sql(sql + f"({', '.join('?' * len(pks))})", tuple(pks)).fetchall():
            if processors:
                values = list(values)
                for i, proc in processors:
                    values[i] = proc(values[i])
            out[values[pk_index]] = dict(zip(columns, values, strict=True))
        return out

    return fetch


def _pk(table: Table):
    (col,) = table.primary_key.columns
    return col
