"""The read-model tables, all in one metadata so a projector creates and rebuilds them together."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

checkpoints = Table(
    "projector_checkpoints",
    metadata,
    Column("projector", String(64), primary_key=True),
    Column("source", String(200), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, nullable=False),  # last applied offset/position
)

# One row per projector: the generation names this database's copy of the views. A new database
# (or a reset) gets a new generation, which the Kafka projector uses in its consumer group id.
projector_meta = Table(
    "projector_meta",
    metadata,
    Column("projector", String(64), primary_key=True),
    Column("generation", String(64), nullable=False),
)

# One row: how many batches have been written to these read models, by any projector. A projector that
# finds the number it wrote last knows no one else changed a row since, so its cached rows are current.
write_serial = Table(
    "projector_write_serial",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("serial", BigInteger, nullable=False),
)

case_register = Table(
    "case_register",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("person_ref", String(64)),
    Column("status", String(32), nullable=False),
    Column("closed", Boolean, nullable=False),
    Column("close_reason", String(32)),
    Column("province_code", String(8), index=True),
    Column("commune_code", String(8), index=True),
    Column("opened_by", String(64), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("last_event_type", String(64), nullable=False),
    Column("last_event_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("sex", String(16)),
    Column("birth_year", Integer),
    Column("certificate_no", String(64)),
    Column("sealed_personal_data", Text),  # JSON of the sealed blob; opened only for entitled readers
)

commune_caseload = Table(
    "commune_caseload",
    metadata,
    Column("unit_code", String(8), primary_key=True),  # commune code, or a province code for cases held there
    Column("province_code", String(8), index=True, nullable=False),
    Column("open_cases", Integer, nullable=False),
    Column("closed_cases", Integer, nullable=False),
    Column("persons", Integer, nullable=False),
    Column("in_identification", Integer, nullable=False),
    Column("identified_victims", Integer, nullable=False),
)

# Private to the caseload view: how each case was last counted, so a change moves it between buckets.
caseload_cases = Table(
    "caseload_cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("unit_code", String(8), nullable=False),
    Column("closed", Boolean, nullable=False),
    Column("has_person", Boolean, nullable=False),
    Column("status", String(32), nullable=False),
)

submission_outcomes = Table(
    "submission_outcomes",
    metadata,
    Column("submission_id", String(80), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("emitter_agency_code", String(64), nullable=False, index=True),
    Column("event_type", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # accepted | rejected
    Column("event_id", String(64)),
    Column("case_version", Integer),
    Column("code", String(64)),
    Column("field", String(200)),
    Column("message_vi", Text),
    Column("message_en", Text),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

# Every person the log has named, once per pseudonymous ref. `merged_into` points at the ref a data
# steward merged this one into (PersonsMerged); following it to the end gives the counted person.
persons = Table(
    "persons",
    metadata,
    Column("person_ref", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("role", String(24), nullable=False),  # subject | accompanying_minor
    Column("adult_person_ref", String(64)),
    Column("merged_into", String(64), index=True),
    Column("status", String(32), nullable=False),
    Column("sex", String(16)),
    Column("birth_year", Integer),
    Column("province_code", String(8), index=True),
    Column("commune_code", String(8)),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
)

person_merges = Table(
    "person_merges",
    metadata,
    Column("merge_id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False),
    Column("surviving_person_ref", String(64), nullable=False),
    Column("merged_person_refs", Text, nullable=False),  # JSON list
    Column("match_rule_code", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
)
