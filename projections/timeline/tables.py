"""The timeline's table, registered in the shared read-model metadata so the projector creates,
upserts and rebuilds it with the others."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text

from lienthong.projections.tables import metadata

TABLE = "case_timeline"

case_timeline = Table(
    TABLE,
    metadata,
    # One key column: the projector's row sets address rows by a single primary key.
    Column("event_id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("emitter_agency_code", String(64), nullable=False),
    Column("admin_unit_code", String(16), nullable=False),
    Column("payload_json", Text, nullable=False),  # JSON object: non-personal payload fields only
    Index("ix_case_timeline_case_version", "case_id", "version"),
)
