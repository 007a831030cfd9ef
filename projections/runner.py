"""Applies batches of facts to every view in ONE transaction with the checkpoint (ARCHITECTURE rule 8).

After a crash the projector resumes from the stored checkpoint: a fact at or below it is skipped, so
redelivery never applies anything twice, and nothing is lost because the checkpoint only moves with
the read-model change it describes.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, Table, select
from sqlalchemy.exc import IntegrityError

from lienthong import failpoints
from lienthong.projections import tables as t
from lienthong.projections import writes
from lienthong.projections.facts import Fact
from lienthong.projections.rows import RowSet
from lienthong.projections.views import View, default_views
from lienthong.store import ensure_schema

CACHE_ROWS = 50_000  # rows kept between batches; past this the cache starts again (200k: 1.5 GiB RSS)


class Projector:
    def __init__(
        self,
        engine: Engine,
        name: str = "main",
        views: Sequence[View] | None = None,
        cache_rows: int = CACHE_ROWS,
    ) -> None:
        self.engine = engine
        self.name = name
        self.views = list(views) if views is not None else default_views()
        ensure_schema(t.metadata, engine)
        self.generation = self._generation()
        # Rows of earlier batches, valid while the write serial is the one this projector wrote last.
        self._cache: dict = {}
        self._cache_serial: int | None = None
        self._cache_rows = cache_rows
        self._lock = threading.Lock()

    def _generation(self) -> str:
        query = select(t.projector_meta.c.generation).where(t.projector_meta.c.projector == self.name)
        try:
            with self.engine.begin() as conn:
                found = conn.execute(query).scalar()
                if found is None:
                    found = uuid.uuid4().hex
                    conn.execute(t.projector_meta.insert().values(projector=self.name, generation=found))
                return found
        except IntegrityError:  # another process named the generation first: use theirs
            with self.engine.connect() as conn:
                return conn.execute(query).scalar_one()

    def checkpoints(self) -> dict[tuple[str, int], int]:
        with self.engine.connect() as conn:
            return _checkpoints(conn, self.name)

    def apply(self, facts: Sequence[Fact]) -> int:
        """Apply the facts not yet applied; returns how many were new."""
        if not facts:
            return 0
        with self._lock:  # one batch at a time per projector: the cached rows are not shared mid-batch
            try:
                return self._apply(facts)
            except BaseException:
                self._forget()  # the rows in memory may hold the rolled-back batch
                raise

    def _apply(self, facts: Sequence[Fact]) -> int:
        with self.engine.begin() as conn:
            done = _checkpoints(conn, self.name, lock=True)
            fresh = [f for f in facts if f.offset > done.get((f.source, f.partition), -1)]
            if not fresh:
                return 0
            serial = _locked_write_serial(conn)
            if serial != self._cache_serial or len(self._cache) > self._cache_rows:
                self._cache.clear()  # another writer changed rows since, or memory is at its bound
            rows = RowSet(conn, t.metadata.tables, cache=self._cache)
            keys: list = []
            add_keys = keys.extend
            prefetchers = [view.prefetch for view in self.views]
            for fact in fresh:
                for prefetch in prefetchers:
                    add_keys(prefetch(fact))
            rows.prefetch(keys)
            appliers = [view.apply for view in self.views]
            for fact in fresh:
                for apply in appliers:
                    apply(rows, fact)
            # writes.upsert serialises JSON values while it builds the parameters; a replacement writer
            # (a benchmark's experiment) is given the rows as stored.
            changed_rows = rows.changed_rows() if _upsert is _write_rows else rows.dirty_rows()
            for table_name, changed in changed_rows.items():
                _upsert(conn, t.metadata.tables[table_name], changed)
            positions: dict[tuple[str, int], int] = {}
            for f in fresh:
                key = (f.source, f.partition)
                positions[key] = max(positions.get(key, -1), f.offset)
            failpoints.hit("projector.before_commit")
            _upsert(
                conn,
                t.checkpoints,
                [
                    {"projector": self.name, "source": s, "partition": p, "offset": o}
                    for (s, p), o in positions.items()
                ],
            )
            conn.execute(t.write_serial.update().where(t.write_serial.c.id == 1).values(serial=serial + 1))
        self._cache_serial = serial + 1
        return len(fresh)

    def _forget(self) -> None:
        self._cache.clear()
        self._cache_serial = None

    def reset(self) -> None:
        """Drop and recreate every read model: the next facts rebuild them from the log."""
        self._forget()
        t.metadata.drop_all(self.engine)
        ensure_schema(t.metadata, self.engine)
        self.generation = self._generation()


def _locked_write_serial(conn: Connection) -> int:
    """The read models' write serial, locked until commit on PostgreSQL (writers take turns here)."""
    query = select(t.write_serial.c.serial).where(t.write_serial.c.id == 1)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    found = conn.execute(query).scalar()
    if found is None:
        # A random start: read models dropped and recreated elsewhere never repeat a serial we cached at.
        writes.insert_if_absent(conn, t.write_serial, {"id": 1, "serial": secrets.randbits(48)})
        found = conn.execute(query).scalar_one()
    return found


def _checkpoints(conn: Connection, projector: str, *, lock: bool = False) -> dict[tuple[str, int], int]:
    query = select(t.checkpoints).where(t.checkpoints.c.projector == projector)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return {(r.source, r.partition): r.offset for r in conn.execute(query)}


def _upsert(conn: Connection, table: Table, rows: list[dict]) -> None:
    writes.upsert(conn, table, rows)


_write_rows = _upsert
