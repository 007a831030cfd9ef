"""The reporting read model: per-person facts, per-event services and duty activities, per-tip loops.

All on the shared projection metadata, so a projector creates, fills and rebuilds them with the other
views. Only classifications and pseudonymous refs are stored: never personal data.

Orderable keys (`*_key`) are "<occurred_at ISO>|<event_id>": the view keeps the earliest reception, the
latest determination, the latest sex/birth year… by comparing keys, never by arrival order, so the rows
are the same whatever order events of different cases are applied in (Kafka partitions interleave).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Integer, String, Table, Text

from lienthong.projections.tables import metadata

# One row per pseudonymous person ref (not per counted person: merges are followed at report time with
# the `persons` table's `merged_into`, so a merge or an unmerge never rewrites these rows).
report_persons = Table(
    "report_persons",
    metadata,
    Column("person_ref", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("role", String(24), nullable=False),  # subject | accompanying_minor
    Column("adult_person_ref", String(64)),
    Column("sex", String(16)),
    Column("sex_key", String(120)),
    Column("birth_year", Integer),
    Column("birth_key", String(120)),
    # First ReceptionRegistered of this ref.
    Column("received_on", Date),
    Column("received_key", String(120)),
    Column("received_unit", String(16)),
    Column("received_by", String(64)),
    Column("received_by_type", String(32)),
    Column("reception_type", String(24)),
    Column("received_regime", String(8)),
    # Latest VictimStatusDetermined of this ref.
    Column("determined_on", Date),
    Column("determined_key", String(120)),
    Column("determined_unit", String(16)),
    Column("determined_by", String(64)),
    Column("determination", String(16)),  # victim | not_victim
    Column("determined_regime", String(8)),
    Column("exploitation_types", Text),  # JSON list, as determined
    Column("destination_country", String(8)),
    Column("recruitment_method", String(64)),
    # An accompanying minor's link to the adult (its fallback period and unit).
    Column("linked_on", Date),
    Column("linked_unit", String(16)),
    Column("linked_regime", String(8)),
    # Earliest commune-level unit any event of this ref was recorded in (refines province-level units).
    Column("commune_unit", String(16)),
    Column("commune_key", String(120)),
    # Earliest event showing the person abroad (mission, nationality check, repatriation, handover).
    Column("abroad_on", Date),
    Column("abroad_key", String(120)),
    Column("abroad_unit", String(16)),
    # Derived, per ref (the report combines merged refs itself): the reporting-period date and unit.
    Column("period_on", Date, index=True),
    Column("period_source", String(16)),  # reception | determination | link
    Column("unit_time", String(16)),  # the unit as recorded at the time ("L:…" before 2025-07-01)
    Column("unit_today_province", String(8), index=True),
    Column("unit_today_commune", String(8)),
)

# Support and protection given, ONE ROW PER EVENT: services are counted per event.
report_services = Table(
    "report_services",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("person_ref", String(64)),
    Column("event_type", String(64), nullable=False),
    Column("service_kind", String(16), nullable=False),  # support | protection | shelter
    Column("support_type", String(48), nullable=False),  # DOMAIN §d type, or protection:<measure>
    Column("amount_vnd", BigInteger),
    Column("budget_source", String(48)),
    Column("items", Text),  # JSON list of item codes (essential needs)
    Column("agency_code", String(64), nullable=False),
    Column("agency_type", String(32), nullable=False),
    Column("occurred_on", Date, nullable=False, index=True),
    Column("unit_code", String(16), nullable=False),
    Column("regime", String(8), nullable=False),
)

# What the duty reports of DOMAIN §e count (activity counts, per event): receptions, verifications,
# identifications, protection, repatriation, shelter… with the emitting agency and its type.
report_activities = Table(
    "report_activities",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("person_ref", String(64)),
    Column("event_type", String(64), nullable=False, index=True),
    Column("agency_code", String(64), nullable=False),
    Column("agency_type", String(32), nullable=False, index=True),
    Column("occurred_on", Date, nullable=False, index=True),
    Column("unit_code", String(16), nullable=False),
    Column("detail", String(64)),  # result, outcome, reception or location type, measure…
    Column("amount_vnd", BigInteger),
    Column("items", Text),  # JSON list of item codes (essential needs)
)

# One row per tip (a tip opens its own case): the hotline's received → forwarded → acknowledged loop.
report_tips = Table(
    "report_tips",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("received_on", Date),
    Column("received_by", String(64)),
    Column("received_by_type", String(32)),
    Column("channel", String(24)),
    Column("location_code", String(16)),
    Column("child_flag", Boolean),
    Column("forwards", Integer, nullable=False),
    Column("first_forwarded_on", Date),
    Column("acknowledgements", Integer, nullable=False),
    Column("first_acknowledged_on", Date),
    Column("outcome", String(24)),
    Column("outcome_on", Date),
)

# The courts' and procuracies' annual lists of victims who are injured parties ([S004] §V.8), one row per
# entry, for the reconciliation against the registry (DOMAIN §e double-counting rule 6).
report_court_lists = Table(
    "report_court_lists",
    metadata,
    Column("entry_id", String(80), primary_key=True),  # "<event id>:<index in the list>"
    Column("list_ref", String(80), nullable=False),
    Column("year", Integer, nullable=False, index=True),
    Column("person_ref", String(64), nullable=False),
    Column("agency_code", String(64), nullable=False),
    Column("agency_type", String(32), nullable=False),
    Column("unit_code", String(16), nullable=False),
    Column("submitted_on", Date, nullable=False),
)
