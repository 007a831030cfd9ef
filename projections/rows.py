"""The in-memory rows a batch works on: prefetched in bulk, loaded lazily on a miss, written once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Table, select

Row = dict[str, Any]
Cache = dict[tuple[str, Any], Row | None]


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
        for table, pk in keys:
            if (table, pk) not in self._rows:
                wanted.setdefault(table, set()).add(pk)
        for table, pks in wanted.items():
            t = self._tables[table]
            pk_col = _pk(t)
            found = {}
            pk_list = list(pks)
            for i in range(0, len(pk_list), 500):
                chunk = pk_list[i : i + 500]
                for row in self._conn.execute(select(t).where(pk_col.in_(chunk))).mappings():
                    found[row[pk_col.name]] = dict(row)
            for pk in pks:
                self._rows[(table, pk)] = found.get(pk)

    def get(self, table: str, pk: Any) -> Row | None:
        if (table, pk) not in self._rows:
            self.prefetch([(table, pk)])
        return self._rows[(table, pk)]

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
        out: dict[str, list[Row]] = {}
        for table, pk in self._dirty:
            row = self._rows[(table, pk)]
            if row is not None:
                out.setdefault(table, []).append(to_db(row))
        return out


def to_db(row: Row) -> Row:
    """A copy of ``row`` with list and dict values as canonical JSON text (views keep them as objects
    within a batch, so a value read and changed by several facts is parsed and written once)."""
    stored = row
    for name, value in row.items():
        if type(value) is list or type(value) is dict:
            if stored is row:
                stored = dict(row)
            stored[name] = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return stored


def _pk(table: Table):
    (col,) = table.primary_key.columns
    return col
