"""The embedded runtime's event log in SQLite (or PostgreSQL): append-only, gap-free positions.

Uniqueness is enforced by the database, not by memory: one event per (case, version), one outcome
per submission id. A second writer that slipped past the decider's lock fails loudly here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
    union_all,
)

from lienthong.store import ensure_schema

metadata = MetaData()
events = Table(
    "events",
    metadata,
    Column("position", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("case_id", String(64), nullable=False),
    Column("case_version", Integer, nullable=False),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("submission_id", String(80), nullable=False, unique=True),
    Column("event_type", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("event_hash", String(64), nullable=False),
    UniqueConstraint("case_id", "case_version", name="uq_events_case_version"),
)
rejections = Table(
    "rejections",
    metadata,
    Column("position", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("submission_id", String(80), nullable=False, unique=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("emitter_agency_code", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
)
SOURCES = {"events": events, "rejections": rejections}


@dataclass(frozen=True, slots=True)
class Stored:
    position: int
    data: bytes


class EventLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        ensure_schema(metadata, engine)

    def append_many(self, entries: list[tuple[str, dict]]) -> None:
        """Append ("events" | "rejections", row) entries in order, in ONE transaction: a group commit,
        one durable sync for a batch of decisions. Either all are recorded or none is."""
        if not entries:
            return
        with self.engine.begin() as conn:
            for source, row in entries:
                conn.execute(SOURCES[source].insert().values(**row))

    def case_history(self, case_id: str) -> list[tuple[str, bytes, str | None]]:
        """The case's events and rejections in decision order: (kind, data, event_hash)."""
        ev = select(events.c.position, events.c.data, events.c.event_hash).where(events.c.case_id == case_id)
        rj = select(rejections.c.position, rejections.c.data).where(rejections.c.case_id == case_id)
        with self.engine.connect() as conn:
            evs = [("event", r.position, r.data, r.event_hash) for r in conn.execute(ev)]
            rjs = [("rejection", r.position, r.data, None) for r in conn.execute(rj)]
        # Both tables share no sequence; a case's rejections never change its state, so the events'
        # order is what matters and rejections only contribute their submission ids.
        evs.sort(key=lambda x: x[1])
        return [(k, d, h) for k, _, d, h in evs + rjs]

    def read(self, source: str, after: int, limit: int = 1000) -> list[Stored]:
        table = SOURCES[source]
        query = select(table.c.position, table.c.data).where(table.c.position > after)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(table.c.position).limit(limit))
            return [Stored(r.position, r.data) for r in rows]

    def scan(self, source: str, batch: int = 5000) -> Iterator[Stored]:
        after = 0
        while chunk := self.read(source, after, batch):
            yield from chunk
            after = chunk[-1].position

    def head(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            q = union_all(
                select(func.coalesce(func.max(events.c.position), 0)),
                select(func.coalesce(func.max(rejections.c.position), 0)),
            )
            ev, rj = (r[0] for r in conn.execute(q))
        return {"events": ev, "rejections": rj}
