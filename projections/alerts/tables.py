"""The alerts read model: open and closed obligations ("clocks"), on the shared projection metadata.

Only facts from the log are stored: when a clock started, when it falls due, when (if ever) it was
satisfied or lifted. Whether it is overdue depends on the time of the question, so the query decides
(see `lienthong.projections.alerts.status`); the wall clock never enters these tables.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Table, Text

from lienthong.projections.tables import metadata

obligations = Table(
    "alert_obligations",
    metadata,
    Column("obligation_id", String(120), primary_key=True),  # "<kind>:<starting event id>"
    Column("kind", String(64), nullable=False, index=True),  # the deadline row's name
    Column("case_id", String(64), nullable=False, index=True),
    Column("person_ref", String(64)),  # pseudonymous; alerts carry refs only
    Column("match_key", String(200)),  # what an answer must name (referral id, application id, ...)
    Column("unit_code", String(8)),  # admin unit of the starting event
    Column("province_code", String(8), index=True),  # today's province of the responsible office
    Column("responsible_agency_code", String(64), index=True),
    Column("responsible_agency_type", String(32), nullable=False),  # the office's type, when known
    Column("responsible_party", String(32), nullable=False),  # the row's: a type, addressee or emitter
    Column("regime", String(8), nullable=False),
    Column("deadline_kind", String(16), nullable=False),  # deadline | limit
    Column("period_value", Integer),
    Column("period_unit", String(16)),  # days | working_days | hours | months
    Column("legal_basis", Text, nullable=False),
    Column("uncertain", Boolean, nullable=False),
    Column("design_choice", Boolean, nullable=False),
    Column("satisfied_by", String(400), nullable=False),  # event types, space-separated (row at start)
    Column("start_event_id", String(64), nullable=False),
    Column("start_event_type", String(64), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True)),  # null: no due time could be computed (see reason)
    Column("satisfied_at", DateTime(timezone=True)),
    Column("satisfied_event_id", String(64)),
    Column("satisfied_event_type", String(64)),
    Column("lifted_at", DateTime(timezone=True)),  # the case was closed with the clock still running
    Column("status", String(16), nullable=False),  # open | met | late | lifted (as the log stands)
    Column("reason", Text),  # why due_at or the responsible office is missing; who handed the duty over
)

# Private to the alerts view: the obligations of each case, so an answer or a closure finds its clocks.
obligation_cases = Table(
    "alert_obligation_cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("obligation_ids", Text, nullable=False),  # JSON list, in the order they started
)
