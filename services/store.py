"""SQLAlchemy engines for SQLite (embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.exc import DBAPIError

from lienthong.wal_checkpoints import BACKSTOP_PAGES, CHECKPOINTER


def make_engine(url: str, *, durable: bool = False) -> Engine:
    """An engine with the pragmas each use needs. `durable` fsyncs every commit (the event log)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        on_disk = "///" in url and bool(path) and path != ":memory:" and not path.startswith("file:")
        if on_disk:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            cur.execute("PRAGMA foreign_keys=ON")
            # As the file grows, each commit that runs a WAL checkpoint costs more: per-event time grew
            # with the log. A background thread checkpoints instead, once a second after writes
            # (wal_checkpoints.py); the connection's own checkpoint is only a backstop at 256 MiB.
            # 128 MiB of pages stay in memory.
            cur.execute("PRAGMA cache_size=-131072")
            cur.execute("PRAGMA mmap_size=1073741824")
            cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
            cur.close()

        if on_disk:
            CHECKPOINTER.watch(Path(path).resolve(), engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def ensure_schema(metadata: MetaData, engine: Engine, attempts: int = 5) -> None:
    """create_all that tolerates another process creating the same tables at the same moment.

    The gateway, the projector and the portal each make sure their tables exist when they start;
    two of them starting together race between "does it exist?" and "CREATE TABLE". The loser sees
    "already exists" (or PostgreSQL's duplicate-type error) and simply checks again.
    """
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            return
        except DBAPIError as err:
            text = str(err.orig).lower()
            if attempt == attempts - 1 or not ("already exists" in text or "duplicate" in text):
                raise
            time.sleep(0.1 * (attempt + 1))
