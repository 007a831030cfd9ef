"""The data steward's corrections and merges, and linked under-18s.

Merges and the one-off rule. The decider judges one case from that case's own history, so a one-off paid
under a duplicate ref in another case is invisible to it. The data steward, who sees both cases, records
the merge (PersonsMerged v2) on every case it touches, in this order:

1. on each case holding a merged-away ref: from then on that ref receives no support there
   (`person_merged_away`) until PersonsUnmerged is recorded there too. The decider checks that
   `merged_one_offs` lists every one-off this case paid to the merged refs (`merge_one_offs_incomplete`);
2. on the surviving person's case, with the same payload: the survivor's one-offs now include those listed
   (`already_paid_under_merge`), and PersonsUnmerged takes back the ones paid to the refs it restores.

Step 1 freezes the other case before step 2 copies its one-offs, so the list cannot go stale. What the
decider cannot check is that step 1 happened in another case: that stays the steward's duty (and the
matching rules in lienthong.matching find the duplicates to merge).
"""

from __future__ import annotations

from lienthong.domain.checks._facts import facts
from lienthong.domain.context import Context
from lienthong.domain.model import Refusal
from lienthong.domain.refusals import refuse
from lienthong.rules import vocabulary

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
        return _one_offs_listed(ctx) or _one_offs_complete(ctx)
    elif ctx.event_type == "PersonsUnmerged":
        merged = state.merges.get(p["merge_id"])
        if merged is None:
            return refuse(
                "workflow_state", what="Hợp nhất / merge", ref=p["merge_id"], state="not active", **facts(ctx)
            )
        if not set(p["restored_person_refs"]) <= merged.merged_refs:
            return refuse(
                "invalid_field",
                field="payload.restored_person_refs",
                rule="may only restore persons this merge merged",
            )
    return None


def _one_offs_listed(ctx: Context) -> Refusal | None:
    """Each listed one-off names a merged ref, a known support type and a day not after the merge."""
    merged = set(ctx.payload["merged_person_refs"])
    for i, paid in enumerate(ctx.payload["merged_one_offs"]):
        where = f"payload.merged_one_offs[{i}]"
        if paid["paid_person_ref"] not in merged:
            return refuse(
                "invalid_field", field=f"{where}.paid_person_ref", rule="must be one of merged_person_refs"
            )
        if paid["support_type"] not in vocabulary.SUPPORT_TYPES:
            return refuse("invalid_field", field=f"{where}.support_type", rule="must be a known support type")
        if paid["paid_on"] > ctx.on:
            return refuse("invalid_field", field=f"{where}.paid_on", rule="must not be after the merge")
    return None


def _one_offs_complete(ctx: Context) -> Refusal | None:
    """On a case that holds a merged ref, the list must carry every one-off this case paid to it."""
    p = ctx.payload
    listed = {(o["paid_person_ref"], o["support_type"]) for o in p["merged_one_offs"]}
    for ref in p["merged_person_refs"]:
        person = ctx.state.persons.get(ref)
        for support_type, paid_on in sorted((person.one_offs if person else {}).items()):
            if (ref, support_type) not in listed:
                return refuse(
                    "merge_one_offs_incomplete",
                    field="payload.merged_one_offs",
                    merge_id=p["merge_id"],
                    support_type=support_type,
                    paid_on=paid_on.isoformat(),
                    person=ref,
                    **facts(ctx),
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
