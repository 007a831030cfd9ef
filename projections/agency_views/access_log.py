"""The access log of personal data read through the agency views (DOMAIN §f duty 4; ARCHITECTURE rule 10).

Append-only: who (the officer's pseudonym from X-Actor, when given), which agency, which view and row,
for what purpose (X-Purpose), when, and whether the read was granted. Requests refused before any data
was opened (wrong agency type, outside the jurisdiction, no such row, no purpose) are logged too.

Its own MetaData, apart from the read models: a rebuild drops and replays the views, never this log.
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Engine, Integer, MetaData, String, Table, Text, select

from lienthong.store import ensure_schema

metadata = MetaData()

access_log = Table(
    "agency_view_access_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", String, nullable=False),
    Column("agency_code", String, nullable=False, index=True),
    Column("agency_type", String, nullable=False),
    Column("actor", String),
    Column("view", String, nullable=False),
    Column("row_key", String, nullable=False),
    Column("purpose", Text),
    # granted | denied_type | denied_scope | not_found | no_purpose
    Column("outcome", String, nullable=False),
)

_ready: weakref.WeakSet[Engine] = weakref.WeakSet()


def ensure(engine: Engine) -> None:
    """Create the log's table on first use of an engine."""
    if engine not in _ready:
        ensure_schema(metadata, engine)
        _ready.add(engine)


def record(
    engine: Engine,
    *,
    agency_code: str,
    agency_type: str,
    view: str,
    row_key: str,
    purpose: str | None,
    outcome: str,
    actor: str | None = None,
    at: datetime | None = None,
) -> None:
    ensure(engine)
    with engine.begin() as conn:
        conn.execute(
            access_log.insert().values(
                at=(at or datetime.now(UTC)).isoformat(),
                agency_code=agency_code,
                agency_type=agency_type,
                actor=actor,
                view=view,
                row_key=row_key,
                purpose=purpose,
                outcome=outcome,
            )
        )


def entries(engine: Engine, *, view: str | None = None, row_key: str | None = None) -> list[dict[str, Any]]:
    """The log in order, optionally for one view or one row (per-record access transparency)."""
    ensure(engine)
    query = select(access_log).order_by(access_log.c.id)
    if view is not None:
        query = query.where(access_log.c.view == view)
    if row_key is not None:
        query = query.where(access_log.c.row_key == row_key)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
