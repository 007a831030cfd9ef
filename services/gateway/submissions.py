"""POST /v1/submissions and reading outcomes back. Both runtimes share this door."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import anyio
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlalchemy import bindparam, select

from lienthong.agencies import Agency
from lienthong.domain import Submission
from lienthong.gateway.auth import _msg, current_agency
from lienthong.gateway.models import OutcomeOut, RejectionOut, SubmissionIn
from lienthong.projections.tables import submission_outcomes as outcomes

router = APIRouter(prefix="/v1", tags=["submissions"])
_CLIENT_ERRORS = frozenset({"invalid_field", "unknown_event_type"})


@router.post(
    "/submissions",
    response_model=OutcomeOut,
    status_code=202,
    responses={201: {"model": OutcomeOut}, 409: {"model": OutcomeOut}, 422: {"model": OutcomeOut}},
)
async def submit(
    body: SubmissionIn, request: Request, response: Response, agency: Agency = Depends(current_agency)
) -> OutcomeOut:
    # async: the request waits for the backend without holding a worker thread (the Kafka backend's
    # acknowledgement arrives on this loop). The idempotency read below is one indexed row.
    services = request.app.state.services
    if body.emitter_agency_code not in (None, agency.code):
        raise HTTPException(
            403,
            detail=_msg(
                f"Đơn vị gửi được xác định theo khoá truy cập ({agency.code}), không theo nội dung "
                f"({body.emitter_agency_code}).",
                f"The emitter is stamped from your key ({agency.code}), not from the body "
                f"({body.emitter_agency_code}).",
            ),
        )
    first = _row(services, body.submission_id)
    if first is None:
        now = datetime.now(UTC)
        person_ref = body.subject_person_ref
        sealed = None
        if body.personal_data:
            person_ref = person_ref or str(uuid.uuid4())
            # sealing may create the person's key: a durable (fsynced) write, kept off the event loop
            sealed = await anyio.to_thread.run_sync(services.keystore.seal, person_ref, body.personal_data)
        await services.backend.accept(
            Submission(
                submission_id=body.submission_id,
                case_id=body.case_id,
                event_type=body.event_type,
                emitter_agency_code=agency.code,
                occurred_at=body.occurred_at.astimezone(UTC),
                submitted_at=now,
                admin_unit_code=body.admin_unit_code,
                actor_pseudonym=body.actor,
                payload=body.payload,
                door="gateway",
                expected_version=body.expected_version,
                legal_basis=body.legal_basis,
                subject_person_ref=person_ref,
                consent_ref=body.consent_ref,
                correlation_id=body.correlation_id,
                causation_id=body.causation_id,
                sealed_personal_data=sealed,
            )
        )
        if services.backend.kind != "kafka":  # the embedded runtime decided it already; Kafka: pending
            first = _row(services, body.submission_id)
    elif first["case_id"] != body.case_id or first["emitter_agency_code"] != agency.code:
        raise HTTPException(
            409,
            detail=_msg(
                "Mã lần gửi này đã được dùng cho một hồ sơ hoặc đơn vị khác.",
                "This submission id was already used for another case or by another agency.",
            ),
        )
    if first is None:
        response.status_code = 202
        return OutcomeOut(
            submission_id=body.submission_id,
            status="pending",
            case_id=body.case_id,
            event_type=body.event_type,
        )
    outcome = _to_out(first)
    response.status_code = _status_code(outcome)
    return outcome


@router.get(
    "/submissions/{submission_id}",
    response_model=OutcomeOut,
    responses={404: {"description": "unknown, or not decided yet"}},
)
def get_outcome(submission_id: str, request: Request, agency: Agency = Depends(current_agency)) -> OutcomeOut:
    row = _row(request.app.state.services, submission_id)
    if row is None or row["emitter_agency_code"] != agency.code:
        raise HTTPException(
            404,
            detail=_msg(
                "Chưa có kết quả cho lần gửi này (chưa xử lý hoặc không tồn tại).",
                "No outcome for this submission (not decided yet, or unknown).",
            ),
        )
    return _to_out(row)


@router.get("/rejections", response_model=list[OutcomeOut])
def my_rejections(
    request: Request,
    after: datetime | None = None,
    limit: int = 100,
    agency: Agency = Depends(current_agency),
) -> list[OutcomeOut]:
    """The caller's own rejections, oldest first (the HTTP twin of its Kafka rejections topic)."""
    query = select(outcomes).where(
        outcomes.c.emitter_agency_code == agency.code, outcomes.c.status == "rejected"
    )
    if after is not None:
        query = query.where(outcomes.c.decided_at > after)
    query = query.order_by(outcomes.c.decided_at).limit(min(limit, 1000))
    with request.app.state.services.readmodels.connect() as conn:
        return [_to_out(r) for r in conn.execute(query).mappings()]


_OUTCOME_BY_ID = select(outcomes).where(outcomes.c.submission_id == bindparam("submission_id"))


def _row(services, submission_id: str):
    with services.readmodels.connect() as conn:
        return conn.execute(_OUTCOME_BY_ID, {"submission_id": submission_id}).mappings().first()


def _to_out(row) -> OutcomeOut:
    rejection = None
    if row["status"] == "rejected":
        rejection = RejectionOut(
            code=row["code"], field=row["field"], message_vi=row["message_vi"], message_en=row["message_en"]
        )
    return OutcomeOut(
        submission_id=row["submission_id"],
        status=row["status"],
        case_id=row["case_id"],
        event_type=row["event_type"],
        event_id=row["event_id"],
        case_version=row["case_version"],
        rejection=rejection,
    )


def _status_code(outcome: OutcomeOut) -> int:
    if outcome.status == "accepted":
        return 201
    return 422 if outcome.rejection and outcome.rejection.code in _CLIENT_ERRORS else 409
