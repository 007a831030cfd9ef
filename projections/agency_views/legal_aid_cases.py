"""State Legal Aid Centres: referrals to them, legal aid requested and given, and the person's procedural
status (the latest stage of a linked criminal case). Protection shows as a flag only.

A case enters the view with a referral to a legal-aid agency or a LegalAidRequested/Provided. The row
belongs to the province of the centre the referral addressed (else the case's province).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, String, Table, Text

from lienthong.projections.agency_views._common import (
    OWN_PROVINCE,
    PROTECTION_CONTACT_EN,
    PROTECTION_CONTACT_VI,
    REFERRAL_STATUS,
    ViewSpec,
    agency_province_of,
    agency_type_of,
    context,
    day,
    iso,
    jdump,
    jload,
    new_row,
)
from lienthong.projections.facts import EVENT, Fact
from lienthong.projections.rows import Row, RowSet
from lienthong.projections.tables import metadata

NAME = "legal_aid_cases"
TABLE = "av_legal_aid_cases"
_ENTERING = frozenset({"LegalAidRequested", "LegalAidProvided"})

table = Table(
    TABLE,
    metadata,
    Column("case_id", String, primary_key=True),
    Column("province_code", String, index=True),
    Column("status", String, nullable=False),
    Column("protection_flag", Boolean, nullable=False),
    Column("protection_contact", Text),
    Column("referral_id", String),
    Column("referral_status", String),
    Column("referral_to", String),
    Column("referred_by", String),
    Column("referred_at", String),
    Column("aid_requested", Text, nullable=False),  # JSON [{form, requested_by, requested_at}]
    Column("aid_provided", Text, nullable=False),  # JSON [{form, legal_aid_case_ref, provided_on, by}]
    Column("criminal_case_ref", String),
    Column("criminal_case_role", String),
    Column("procedural_stage", String),  # investigation | prosecution | trial | enforcement
    Column("last_event_at", String, nullable=False),
)

SPEC = ViewSpec(
    name=NAME,
    table=table,
    key="case_id",
    scopes={OWN_PROVINCE: "province_code"},
    json_columns=frozenset({"aid_requested", "aid_provided"}),
)


class LegalAidCases:
    name = f"agency_views.{NAME}"

    def prefetch(self, fact: Fact) -> list[tuple[str, object]]:
        return [(TABLE, fact.envelope["case_id"])] if fact.kind == EVENT else []

    def apply(self, rows: RowSet, fact: Fact) -> None:
        ctx = context(rows, fact)
        if ctx is None or ctx["kind"] != "case":
            return
        env, record, event_type = fact.envelope, fact.record, fact.event_type
        case_id = env["case_id"]
        to_legal_aid = (
            event_type == "ReferralSent" and agency_type_of(record["to_agency_code"]) == "legal_aid"
        )
        row = rows.get(TABLE, case_id)
        if row is None:
            if not (to_legal_aid or event_type in _ENTERING):
                return
            row = new_row(table, case_id=case_id, aid_requested="[]", aid_provided="[]")
            rows.put(TABLE, case_id, row)
        else:
            rows.touch(TABLE, case_id)
        row["status"] = ctx["status"]
        row["province_code"] = row["province_code"] or ctx["province_code"]
        row["last_event_at"] = iso(env["occurred_at"])
        protected = bool(jload(ctx["protection"], []))
        row["protection_flag"] = protected
        row["protection_contact"] = (
            f"{PROTECTION_CONTACT_VI} / {PROTECTION_CONTACT_EN}" if protected else None
        )
        _procedure(row, ctx)
        if to_legal_aid:
            row.update(
                referral_id=record["referral_id"],
                referral_status="sent",
                referral_to=record["to_agency_code"],
                referred_by=env["emitter_agency_code"],
                referred_at=iso(env["occurred_at"]),
                province_code=agency_province_of(record["to_agency_code"]) or row["province_code"],
            )
        elif event_type in REFERRAL_STATUS and record["referral_id"] == row["referral_id"]:
            row["referral_status"] = REFERRAL_STATUS[event_type]
        elif event_type == "LegalAidRequested":
            requested = jload(row["aid_requested"], [])
            requested.append(
                {
                    "form": record["form"],
                    "requested_by": record["requested_by"],
                    "requested_at": iso(env["occurred_at"]),
                }
            )
            row["aid_requested"] = jdump(requested)
        elif event_type == "LegalAidProvided":
            provided = jload(row["aid_provided"], [])
            provided.append(
                {
                    "form": record["form"],
                    "legal_aid_case_ref": record["legal_aid_case_ref"],
                    "provided_on": day(env["occurred_at"]),
                    "by": env["emitter_agency_code"],
                }
            )
            row["aid_provided"] = jdump(provided)


def _procedure(row: Row, ctx: Row) -> None:
    cases = jload(ctx["criminal_cases"], {})
    if not cases:
        return
    ref, latest = max(cases.items(), key=lambda item: (item[1]["at"], item[0]))
    row.update(criminal_case_ref=ref, criminal_case_role=latest["role"], procedural_stage=latest["stage"])
