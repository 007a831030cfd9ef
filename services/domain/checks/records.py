"""The data steward's corrections and merges, and linked under-18s."""

from __future__ import annotations

from lienthong.domain.checks._facts import facts
from lienthong.domain.context import Context
from lienthong.domain.model import Refusal
from lienthong.domain.refusals import refuse

# Field names that would carry personal data in clear; corrections to them must be sealed.
_PERSONAL = ("name", "id_number", "cccd", "address", "phone", "email", "narrative", "personal_data")


def merges(ctx: Context) -> Refusal | None:
    p, state = ctx.payload, ctx.state
    if ctx.event_type == "PersonsMerged":
        if p["merge_id"] in state.merges:
            return refuse("duplicate_id", field="payload.merge_id", ref=p["merge_id"], **facts(ctx))
        if not p["merged_person_refs"] or p["surviving_person_ref"] in p["merged_person_refs"]:
            return refuse(
                "invalid_field",
                field="payload.merged_person_refs",
                rule="must name at least one person other than the surviving one",
            )
    elif ctx.event_type == "PersonsUnmerged":
        merged = state.merges.get(p["merge_id"])
        if merged is None:
            return refuse(
                "workflow_state", what="Hợp nhất / merge", ref=p["merge_id"], state="not active", **facts(ctx)
            )
        if not set(p["restored_person_refs"]) <= merged:
            return refuse(
                "invalid_field",
                field="payload.restored_person_refs",
                rule="may only restore persons this merge merged",
            )
    return None


def corrections(ctx: Context) -> Refusal | None:
    if ctx.event_type != "RecordCorrected":
        return None
    for event_id in ctx.payload["corrected_event_ids"]:
        if event_id not in ctx.state.event_ids:
            return refuse(
                "unknown_event_ref", field="payload.corrected_event_ids", ref=event_id, **facts(ctx)
            )
    for correction in ctx.payload["corrections"]:
        if any(word in correction["field"].lower() for word in _PERSONAL):
            return refuse("personal_field_correction", field=correction["field"])
    return None


def minors(ctx: Context) -> Refusal | None:
    if ctx.event_type != "AccompanyingMinorLinked":
        return None
    p = ctx.payload
    if p["adult_person_ref"] not in ctx.state.persons:
        return refuse(
            "unknown_person", field="payload.adult_person_ref", person=p["adult_person_ref"], **facts(ctx)
        )
    if p["minor_person_ref"] in ctx.state.persons:
        return refuse(
            "duplicate_id", field="payload.minor_person_ref", ref=p["minor_person_ref"], **facts(ctx)
        )
    born = p.get("minor_birth_year")
    # Only a birth year is known: someone who may still be 17 is treated as a minor (in doubt, a child).
    if born is not None and ctx.on.year - born > 18:
        return refuse("not_a_minor", field="payload.minor_birth_year", birth_year=born, **facts(ctx))
    return None
