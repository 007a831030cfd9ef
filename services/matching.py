"""Duplicate persons: documented matching rules over sealed personal data, opened only here.

Agencies report the same person under different refs. The rules below propose candidates; a data
steward confirms one with PersonsMerged (and can undo it with PersonsUnmerged). Nothing is merged
automatically, and nothing derived from personal data is written to the log: a person whose key was
erased simply stops matching.

Rules (each compares persons not already counted as one):
  R1_ID_NUMBER               same identity document number (CCCD/CMND/passport): letters and digits
                             only, case-folded.
  R2_NAME_BIRTHYEAR_PROVINCE same full name with diacritics, case and spacing removed ("Nguyễn Thị
                             Hoa" = "nguyen thi  hoa"), same birth year, same province.
  R3_PHONE                   same phone number (its last 9 digits).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, select

from lienthong.privacy.keystore import ERASED, KeyStore
from lienthong.projections.tables import case_register, persons
from lienthong.projections.views.case_register import seal_from_text
from lienthong.projections.views.persons import counted_person

RULES = ("R1_ID_NUMBER", "R2_NAME_BIRTHYEAR_PROVINCE", "R3_PHONE")


@dataclass(frozen=True, slots=True)
class Candidate:
    rule: str
    person_refs: tuple[str, ...]  # counted persons that look like one, sorted
    case_ids: tuple[str, ...]


def normalise_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def match_keys(data: dict, birth_year: int | None, province: str | None) -> list[tuple[str, str]]:
    keys = []
    if id_number := re.sub(r"[^0-9A-Za-z]", "", str(data.get("id_number") or "")).casefold():
        keys.append(("R1_ID_NUMBER", id_number))
    if (name := normalise_name(str(data.get("full_name") or ""))) and birth_year and province:
        keys.append(("R2_NAME_BIRTHYEAR_PROVINCE", f"{name}|{birth_year}|{province}"))
    if len(phone := re.sub(r"\D", "", str(data.get("phone") or ""))) >= 9:
        keys.append(("R3_PHONE", phone[-9:]))
    return keys


def find_candidates(readmodels: Engine, keystore: KeyStore) -> list[Candidate]:
    query = select(
        persons.c.person_ref,
        persons.c.case_id,
        persons.c.merged_into,
        persons.c.birth_year,
        persons.c.province_code,
        case_register.c.sealed_personal_data,
    ).join(
        case_register,
        (case_register.c.case_id == persons.c.case_id) & (case_register.c.person_ref == persons.c.person_ref),
        isouter=True,
    )
    with readmodels.connect() as conn:
        rows = conn.execute(query).all()
    merged_into = {r.person_ref: r.merged_into for r in rows}
    groups: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for r in rows:
        data = keystore.open(seal_from_text(r.sealed_personal_data))
        if not data or data == ERASED:
            continue
        for key in match_keys(data, r.birth_year, r.province_code):
            groups[key].setdefault(counted_person(r.person_ref, merged_into), r.case_id)
    found = []
    for (rule, _), members in groups.items():
        if len(members) > 1:
            refs = tuple(sorted(members))
            found.append(Candidate(rule, refs, tuple(members[ref] for ref in refs)))
    return sorted(set(found), key=lambda c: (c.person_refs, c.rule))


def count_persons(readmodels: Engine) -> int:
    """Persons counted once: every ref followed through the merges to the person it counts as."""
    with readmodels.connect() as conn:
        rows = conn.execute(select(persons.c.person_ref, persons.c.merged_into)).all()
    merged_into = {r.person_ref: r.merged_into for r in rows}
    return len({counted_person(ref, merged_into) for ref in merged_into})
