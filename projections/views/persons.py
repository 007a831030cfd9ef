"""Persons, each once per pseudonymous ref, with the merges that make duplicates count as one."""

from __future__ import annotations

import json

from lienthong import places
from lienthong.domain.lifecycle import next_status
from lienthong.projections.facts import EVENT, Fact
from lienthong.projections.rows import RowSet

PERSONS = "persons"
MERGES = "person_merges"
MINOR = "accompanying_minor"


class Persons:
    name = "persons"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        if fact.kind != EVENT:
            return []
        keys: list[tuple[str, object]] = [(PERSONS, ref) for ref in _refs(fact)]
        if fact.event_type in ("PersonsMerged", "PersonsUnmerged"):
            keys.append((MERGES, fact.record["merge_id"]))
        return keys

    def apply(self, rows: RowSet, fact: Fact) -> None:
        if fact.kind != EVENT:
            return
        env, record, event_type = fact.envelope, fact.record, fact.event_type
        subject = env.get("subject_person_ref")
        if subject and event_type not in ("PersonsMerged", "PersonsUnmerged"):
            person = self._person(rows, subject, fact, role="subject")
            person["status"] = next_status(person["status"], event_type, record)
            if record.get("sex") not in (None, "unknown"):
                person["sex"] = record["sex"]
            if record.get("birth_year") is not None:
                person["birth_year"] = record["birth_year"]
        if event_type == "AccompanyingMinorLinked":
            minor = self._person(rows, record["minor_person_ref"], fact, role=MINOR)
            minor.update(
                role=MINOR,
                status=MINOR,
                adult_person_ref=record["adult_person_ref"],
                birth_year=record.get("minor_birth_year"),
                sex=record.get("minor_sex"),
            )
        elif event_type == "PersonsMerged":
            # A merge is recorded on every case it touches (see lienthong.domain.checks.records): the same
            # merge again changes nothing, and its row names the surviving person's case.
            for ref in record["merged_person_refs"]:
                self._person(rows, ref, fact, role="subject")["merged_into"] = record["surviving_person_ref"]
            survivor = rows.get(PERSONS, record["surviving_person_ref"])
            rows.put(
                MERGES,
                record["merge_id"],
                {
                    "merge_id": record["merge_id"],
                    "case_id": survivor["case_id"] if survivor else env["case_id"],
                    "surviving_person_ref": record["surviving_person_ref"],
                    "merged_person_refs": json.dumps(record["merged_person_refs"]),
                    "match_rule_code": record["match_rule_code"],
                    "active": True,
                },
            )
        elif event_type == "PersonsUnmerged":
            merge = rows.get(MERGES, record["merge_id"])
            merged = json.loads(merge["merged_person_refs"]) if merge is not None else []
            restored = record["restored_person_refs"] or merged  # none named: the whole merge is undone
            if merge is not None:
                left = [ref for ref in merged if ref not in restored]
                merge.update(active=bool(left), merged_person_refs=json.dumps(left or merged))
                rows.touch(MERGES, record["merge_id"])
            for ref in restored:
                self._person(rows, ref, fact, role="subject")["merged_into"] = None

    @staticmethod
    def _person(rows: RowSet, ref: str, fact: Fact, *, role: str) -> dict:
        env = fact.envelope
        unit = env["admin_unit_code"]
        row = rows.get_or_create(
            PERSONS,
            ref,
            lambda: {
                "person_ref": ref,
                "case_id": env["case_id"],
                "role": role,
                "adult_person_ref": None,
                "merged_into": None,
                "status": "tip",
                "sex": None,
                "birth_year": None,
                "province_code": places.province_of(unit),
                "commune_code": unit if len(unit) == 5 else None,
                "first_seen_at": env["occurred_at"],
            },
        )
        rows.touch(PERSONS, ref)
        return row


def _refs(fact: Fact) -> list[str]:
    record = fact.record
    refs = [fact.envelope.get("subject_person_ref")]
    refs += record.get("merged_person_refs", []) + record.get("restored_person_refs", [])
    refs += [record.get("minor_person_ref"), record.get("surviving_person_ref")]
    return [r for r in refs if r]


def counted_person(ref: str, merged_into: dict[str, str | None]) -> str:
    """The person a ref is counted as: follow merges to the end (cycles cannot occur; guarded anyway)."""
    seen = {ref}
    while (parent := merged_into.get(ref)) and parent not in seen:
        seen.add(parent)
        ref = parent
    return ref
