"""Courts and procuracies: is a party they named a registered victim? ([S004] §V.8; DOMAIN §e duty 6)

One row per party named in an AnnualVictimListSubmitted, and per CriminalCaseLinked. The answer is
re-checked whenever the named person's status changes, so an entry listed before the person was
identified becomes matched later; entries that match no identified victim are flagged `unmatched`.
The row says only yes or no: nothing of the person's case, support or story.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from lienthong.domain import lifecycle as lc
from lienthong.projections.agency_views._common import (
    OWN_PROVINCE,
    PERSONS,
    ViewSpec,
    context,
    iso,
    jdump,
    jload,
    new_row,
    opaque_key,
    person_index,
    place,
)
from lienthong.projections.facts import EVENT, Fact
from lienthong.projections.rows import Row, RowSet
from lienthong.projections.tables import metadata

NAME = "justice_reconciliation"
TABLE = "av_justice_reconciliation"
UNREGISTERED = "unregistered"

table = Table(
    TABLE,
    metadata,
    Column("entry_key", String, primary_key=True),
    Column("province_code", String, index=True),
    Column("source", String, nullable=False),  # annual_list | criminal_case
    Column("submitted_by", String, nullable=False),
    Column("submitted_at", String, nullable=False),
    Column("list_ref", String),
    Column("year", Integer),
    Column("criminal_case_refs", Text, nullable=False),  # JSON [ref]
    Column("role", String),
    Column("stage", String),
    Column("person_ref", String, nullable=False),
    Column("registered_victim", Boolean, nullable=False),
    Column("unmatched", Boolean, nullable=False),
)

SPEC = ViewSpec(
    name=NAME,
    table=table,
    key="entry_key",
    scopes={OWN_PROVINCE: "province_code"},
    json_columns=frozenset({"criminal_case_refs"}),
)


class JusticeReconciliation:
    name = f"agency_views.{NAME}"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        if fact.kind != EVENT:
            return []
        refs = list(fact.record.get("victim_person_refs", []))
        subject = fact.envelope.get("subject_person_ref")
        return [(PERSONS, ref) for ref in (*refs, subject) if ref]

    def apply(self, rows: RowSet, fact: Fact) -> None:
        ctx = context(rows, fact)
        if ctx is None:
            return
        env, record, event_type = fact.envelope, fact.record, fact.event_type
        base = {
            "submitted_by": env["emitter_agency_code"],
            "submitted_at": iso(env["occurred_at"]),
        }
        if event_type == "AnnualVictimListSubmitted":
            province = place(env["admin_unit_code"])[0]
            for ref in dict.fromkeys(record["victim_person_refs"]):
                self._entry(
                    rows,
                    opaque_key("DS", env["case_id"], ref),
                    ref,
                    province=province,
                    source="annual_list",
                    list_ref=record["list_ref"],
                    year=record["year"],
                    criminal_case_refs=jdump(sorted(record["criminal_case_refs"])),
                    **base,
                )
        elif event_type == "CriminalCaseLinked" and env.get("subject_person_ref"):
            self._entry(
                rows,
                opaque_key("VA", env["case_id"], record["criminal_case_ref"]),
                env["subject_person_ref"],
                province=ctx["province_code"],
                source="criminal_case",
                criminal_case_refs=jdump([record["criminal_case_ref"]]),
                role=record["role"],
                stage=record["stage"],
                **base,
            )
        subject = env.get("subject_person_ref")
        for ref in {subject, *record.get("merged_person_refs", []), *record.get("restored_person_refs", [])}:
            person = rows.get(PERSONS, ref) if ref else None
            for key in jload(person["justice_entries"], []) if person else []:
                entry = rows.get(TABLE, key)
                if entry is not None:
                    rows.touch(TABLE, key)
                    _check(rows, entry)

    def _entry(self, rows: RowSet, key: str, ref: str, *, province: str | None, **values) -> None:
        entry = rows.get(TABLE, key)
        if entry is None:
            entry = new_row(table, entry_key=key, person_ref=ref, province_code=province)
            rows.put(TABLE, key, entry)
        else:
            rows.touch(TABLE, key)
        entry.update(values)
        person = rows.get(PERSONS, ref)
        if person is None:  # named before the register knows them: remember, to re-check on arrival
            person = new_row(
                person_index,
                person_ref=ref,
                case_id="",
                role=UNREGISTERED,
                status=lc.TIP,
                justice_entries="[]",
            )
            rows.put(PERSONS, ref, person)
        entries = jload(person["justice_entries"], [])
        if key not in entries:
            person["justice_entries"] = jdump([*entries, key])
            rows.touch(PERSONS, ref)
        _check(rows, entry)


def _check(rows: RowSet, entry: Row) -> None:
    person = rows.get(PERSONS, entry["person_ref"])
    seen: set[str] = set()
    while person is not None and person["merged_into"] and person["merged_into"] not in seen:
        seen.add(person["person_ref"])
        person = rows.get(PERSONS, person["merged_into"])
    registered = person is not None and person["status"] == lc.IDENTIFIED
    entry["registered_victim"] = registered
    entry["unmatched"] = not registered
