"""Adapters between domain values and their contract records (Submission, Rejection) on the wire."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from lienthong.domain.model import Refusal, Submission
from lienthong.schemas import decode, encode

SUBMISSION = "lienthong.Submission"
REJECTION = "lienthong.Rejection"


def submission_record(sub: Submission) -> dict[str, Any]:
    return {
        "submission_id": sub.submission_id,
        "case_id": sub.case_id,
        "event_type": sub.event_type,
        "expected_version": sub.expected_version,
        "occurred_at": sub.occurred_at,
        "submitted_at": sub.submitted_at,
        "emitter_agency_code": sub.emitter_agency_code,
        "door": sub.door,
        "actor_pseudonym": sub.actor_pseudonym,
        "admin_unit_code": sub.admin_unit_code,
        "legal_basis": sub.legal_basis,
        "subject_person_ref": sub.subject_person_ref,
        "consent_ref": sub.consent_ref,
        "correlation_id": sub.correlation_id,
        "causation_id": sub.causation_id,
        "payload_json": json.dumps(sub.payload, ensure_ascii=False, default=str),
        "sealed_personal_data": sub.sealed_personal_data,
    }


def encode_submission(sub: Submission) -> bytes:
    return encode(SUBMISSION, submission_record(sub))


def decode_submission(data: bytes) -> Submission:
    r = decode(data).record
    return Submission(
        submission_id=r["submission_id"],
        case_id=r["case_id"],
        event_type=r["event_type"],
        emitter_agency_code=r["emitter_agency_code"],
        occurred_at=r["occurred_at"],
        submitted_at=r["submitted_at"],
        admin_unit_code=r["admin_unit_code"],
        actor_pseudonym=r["actor_pseudonym"],
        payload=json.loads(r["payload_json"]),
        door=r["door"],
        expected_version=r["expected_version"],
        legal_basis=r["legal_basis"],
        subject_person_ref=r["subject_person_ref"],
        consent_ref=r["consent_ref"],
        correlation_id=r["correlation_id"],
        causation_id=r["causation_id"],
        sealed_personal_data=r["sealed_personal_data"],
    )


def rejection_record(sub: Submission, refusal: Refusal, rejected_at: datetime) -> dict[str, Any]:
    return {
        "submission_id": sub.submission_id,
        "case_id": sub.case_id,
        "event_type": sub.event_type,
        "emitter_agency_code": sub.emitter_agency_code,
        "rejected_at": rejected_at,
        "code": refusal.code,
        "field": refusal.field,
        "message_vi": refusal.message_vi,
        "message_en": refusal.message_en,
        "expected_version": refusal.expected_version,
        "actual_version": refusal.actual_version,
    }


def encode_rejection(sub: Submission, refusal: Refusal, rejected_at: datetime) -> bytes:
    return encode(REJECTION, rejection_record(sub, refusal, rejected_at))


def refusal_of(record: dict[str, Any]) -> Refusal:
    return Refusal(
        code=record["code"],
        message_vi=record["message_vi"],
        message_en=record["message_en"],
        field=record["field"],
        expected_version=record["expected_version"],
        actual_version=record["actual_version"],
    )
