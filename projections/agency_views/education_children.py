"""Education: the children referred to it or given school support, with minimal data only.

A child is known by an opaque key (not the case id, not the person ref), a five-year birth cohort, the
school years and item codes supported, and a protection flag with a contact. No status, no story, no
place finer than the province (Decree 162 Art. 24 support needs no more; DOMAIN §a "minimal data").
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, String, Table, Text

from lienthong.projections.agency_views._common import (
    OWN_PROVINCE,
    PERSONS,
    PROTECTION_CONTACT_EN,
    PROTECTION_CONTACT_VI,
    REFERRAL_STATUS,
    ViewSpec,
    add_view_key,
    agency_province_of,
    agency_type_of,
    birth_year_band,
    context,
    day,
    jdump,
    jload,
    new_row,
    opaque_key,
    view_keys,
)
from lienthong.projections.facts import Fact
from lienthong.projections.rows import Row, RowSet
from lienthong.projections.tables import metadata

NAME = "education_children"
TABLE = "av_education_children"
_SCHOOL = frozenset({"SchoolEnrolmentSupported", "TuitionExempted"})

table = Table(
    TABLE,
    metadata,
    Column("child_key", String, primary_key=True),
    Column("case_id", String, nullable=False),  # internal: never served
    Column("person_ref", String, nullable=False),  # internal: never served
    Column("province_code", String, index=True),
    Column("birth_year_band", String),
    Column("referral_status", String),
    Column("referral_id", String),
    Column("referred_at_day", String),
    Column("school_years", Text, nullable=False),  # JSON [school year]
    Column("item_codes", Text, nullable=False),  # JSON [item code]
    Column("tuition_exempted_years", Text, nullable=False),  # JSON [school year]
    Column("protection_flag", Boolean, nullable=False),
    Column("protection_contact", Text),
)

SPEC = ViewSpec(
    name=NAME,
    table=table,
    key="child_key",
    scopes={OWN_PROVINCE: "province_code"},
    json_columns=frozenset({"school_years", "item_codes", "tuition_exempted_years"}),
)


class EducationChildren:
    name = f"agency_views.{NAME}"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        return []  # rows are found through the case context (loaded on first use)

    def apply(self, rows: RowSet, fact: Fact) -> None:
        ctx = context(rows, fact)
        if ctx is None or ctx["kind"] != "case":
            return
        env, record, event_type = fact.envelope, fact.record, fact.event_type
        subject = env.get("subject_person_ref")
        to_education = (
            event_type == "ReferralSent" and agency_type_of(record["to_agency_code"]) == "education"
        )
        if subject and (to_education or event_type in _SCHOOL):
            key = opaque_key("EDU", subject)
            if rows.get(TABLE, key) is None:
                province = agency_province_of(record["to_agency_code"]) if to_education else None
                rows.put(TABLE, key, _new(key, env["case_id"], subject, province or ctx["province_code"]))
            add_view_key(rows, ctx, NAME, key)
        for key in view_keys(ctx, NAME):
            row = rows.get(TABLE, key)
            if row is None:
                continue
            rows.touch(TABLE, key)
            _update(rows, row, ctx, fact)


def _new(key: str, case_id: str, person_ref: str, province: str | None) -> Row:
    return new_row(
        table,
        child_key=key,
        case_id=case_id,
        person_ref=person_ref,
        province_code=province,
        school_years="[]",
        item_codes="[]",
        tuition_exempted_years="[]",
    )


def _update(rows: RowSet, row: Row, ctx: Row, fact: Fact) -> None:
    env, record, event_type = fact.envelope, fact.record, fact.event_type
    person = rows.get(PERSONS, row["person_ref"])
    row["birth_year_band"] = birth_year_band(person["birth_year"] if person else None)
    protected = bool(jload(ctx["protection"], []))
    row["protection_flag"] = protected
    row["protection_contact"] = f"{PROTECTION_CONTACT_VI} / {PROTECTION_CONTACT_EN}" if protected else None
    if env.get("subject_person_ref") != row["person_ref"]:
        return
    if event_type == "ReferralSent" and agency_type_of(record["to_agency_code"]) == "education":
        row.update(
            referral_id=record["referral_id"],
            referral_status="sent",
            referred_at_day=day(env["occurred_at"]),
        )
    elif event_type in REFERRAL_STATUS and record["referral_id"] == row["referral_id"]:
        row["referral_status"] = REFERRAL_STATUS[event_type]
    elif event_type == "SchoolEnrolmentSupported":
        row["school_years"] = jdump(sorted(set(jload(row["school_years"], [])) | {record["school_year"]}))
        row["item_codes"] = jdump(sorted(set(jload(row["item_codes"], [])) | set(record["item_codes"])))
    elif event_type == "TuitionExempted":
        years = set(jload(row["tuition_exempted_years"], [])) | {record["school_year"]}
        row["tuition_exempted_years"] = jdump(sorted(years))
