"""The HTTP contract of the doors (OpenAPI is generated from these)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field


class SubmissionIn(BaseModel):
    submission_id: str = Field(min_length=8, max_length=80, description="Client-chosen idempotency key")
    case_id: str = Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    event_type: str = Field(min_length=3, max_length=64)
    expected_version: int | None = Field(None, ge=0, description="Case version this submission was based on")
    occurred_at: AwareDatetime
    admin_unit_code: str = Field(
        min_length=2, max_length=8, description="Commune (5 digits) or province code"
    )
    actor: str = Field(min_length=1, max_length=80, description="Pseudonym of the officer")
    legal_basis: str | None = Field(None, max_length=200)
    subject_person_ref: str | None = Field(None, max_length=64)
    consent_ref: str | None = Field(None, max_length=80)
    correlation_id: str | None = Field(None, max_length=80)
    causation_id: str | None = Field(None, max_length=80)
    payload: dict[str, Any] = Field(default_factory=dict)
    personal_data: dict[str, Any] | None = Field(
        None,
        description="Names, ID numbers, addresses, contacts, narrative: sealed at the door, never logged",
    )
    emitter_agency_code: str | None = Field(
        None, description="Ignored if equal to the caller; refused if it names another agency"
    )


class RejectionOut(BaseModel):
    code: str
    field: str | None = None
    message_vi: str
    message_en: str


class OutcomeOut(BaseModel):
    submission_id: str
    status: Literal["accepted", "rejected", "pending"]
    case_id: str
    event_type: str
    event_id: str | None = None
    case_version: int | None = None
    rejection: RejectionOut | None = None
