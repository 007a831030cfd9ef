"""About what: the right version of the right kind of case, open, with a subject in the right status."""

from __future__ import annotations

from lienthong.domain import lifecycle as lc
from lienthong.domain.checks._facts import facts, status_facts
from lienthong.domain.context import Context
from lienthong.domain.model import Refusal
from lienthong.domain.refusals import refuse

# Events that add or describe a person rather than require one already there.
_PERSON_MAKERS = lc.OPENING_EVENTS | {"AccompanyingMinorLinked", "PersonsMerged", "PersonsUnmerged"}


def version_is_current(ctx: Context) -> Refusal | None:
    expected, actual = ctx.sub.expected_version, ctx.state.version
    if expected is None or expected == actual:
        return None
    return refuse("stale_version", field="expected_version", expected=expected, actual=actual, **facts(ctx))


def fits_the_case(ctx: Context) -> Refusal | None:
    state, event_type = ctx.state, ctx.event_type
    stream_event = event_type in lc.STREAM_EVENTS
    if not state.exists:
        if stream_event or event_type in lc.OPENING_EVENTS:
            return None
        return refuse("case_not_found", field="case_id", **facts(ctx))
    if (state.kind == "stream") != stream_event:
        return refuse("wrong_stream", field="event_type", **facts(ctx))
    if state.closed and event_type not in lc.ALLOWED_WHEN_CLOSED:
        return refuse("case_closed", **facts(ctx))
    if event_type == "CaseReopened" and not state.closed:
        return refuse("not_closed", **facts(ctx))
    if event_type == "TipReceived":
        return refuse("case_exists", field="case_id", **facts(ctx))
    if (
        state.kind == "case"
        and state.status == lc.TIP
        and not (
            event_type in lc.TIP_LOOP
            or event_type in _PERSON_MAKERS
            or event_type in ("CaseClosed", "ConsentRecorded")
        )
    ):
        return refuse("no_person", **facts(ctx))
    if event_type == "TipAcknowledged" and ctx.agency.code not in state.tip_forwarded_to:
        return refuse(
            "workflow_state",
            what="Tin báo / tip",
            ref=state.case_id,
            state="not forwarded to you",
            **facts(ctx),
        )
    return None


def subject_status(ctx: Context) -> Refusal | None:
    state, event_type = ctx.state, ctx.event_type
    if not state.exists or state.kind == "stream" or event_type in _PERSON_MAKERS or state.status == lc.TIP:
        return None
    ref = ctx.subject_ref
    person = ctx.subject
    if person is None:
        if ctx.sub.subject_person_ref and ctx.sub.subject_person_ref not in state.persons:
            return refuse(
                "unknown_person", field="subject_person_ref", person=ctx.sub.subject_person_ref, **facts(ctx)
            )
        return None
    required = lc.REQUIRED_STATUS.get(event_type)
    if required is not None and person.status not in required:
        labels = [lc.STATUS_LABELS[s] for s in sorted(required)]
        return refuse(
            "wrong_status",
            required_vi=" | ".join(vi for vi, _ in labels),
            required_en=" | ".join(en for _, en in labels),
            person=ref,
            **status_facts(person.status),
            **facts(ctx),
        )
    return None
