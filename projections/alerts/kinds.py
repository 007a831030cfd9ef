"""The kinds of obligation the alerts view tracks: one per deadline row name in deadlines.toml, plus the
tip loop's acknowledgement, which the rules name but give no time limit.

What a kind needs beyond its deadline row: bilingual labels, and how an event names the thing the clock
is about (the "match key"), so that an answer to referral R stops R's clock and not another one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]
KeyFn = Callable[[Record, Record], "str | None"]  # (envelope, record) -> key; None matches any


def _person(env: Record, record: Record) -> str | None:
    return env.get("subject_person_ref")


def _field(name: str) -> KeyFn:
    def key(env: Record, record: Record) -> str | None:
        value = record.get(name)
        return str(value) if value else None

    return key


def _stay(env: Record, record: Record) -> str | None:
    return f"{record.get('facility_code') or '?'}|{env.get('subject_person_ref') or '?'}"


def _tip(env: Record, record: Record) -> str | None:
    return "tip"


def _target(env: Record, record: Record) -> str | None:
    return record.get("target_agency_code")


def _emitter(env: Record, record: Record) -> str | None:
    return env["emitter_agency_code"]


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    label_vi: str
    label_en: str
    start_key: KeyFn = _person
    satisfy_key: KeyFn = _person
    once: bool = False  # only the first starting event counts ("from the first provision")


@dataclass(frozen=True, slots=True)
class Unruled:
    """A duty the rules name without a time limit: tracked with no due time until a row is added."""

    starts_from: str
    satisfied_by: frozenset[str]
    responsible_agency_type: str
    legal_basis: str


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "initial_verification",
            "Xác minh thông tin ban đầu (Sở Y tế chủ trì với Công an tỉnh)",
            "Initial verification (provincial health with provincial police)",
            # Both starting events are listed in deadlines.toml; whichever comes first starts the one clock.
            once=True,
        ),
        Kind(
            "l2011_dolisa_arrangement",
            "Phòng LĐTBXH bố trí đưa về nơi cư trú, vào cơ sở hoặc đề nghị xác minh",
            "District DOLISA arranges return, admission to a facility or a verification request",
        ),
        Kind(
            "essential_needs_limit",
            "Thời hạn hỗ trợ nhu cầu thiết yếu",
            "Essential-needs support limit",
            once=True,
        ),
        Kind(
            "shelter_stay_limit",
            "Thời hạn lưu trú tại cơ sở (gia hạn hoặc cho rời cơ sở)",
            "Shelter stay limit (extend or discharge)",
            start_key=_stay,
            satisfy_key=_stay,
        ),
        Kind(
            "shelter_stay_extension",
            "Thời hạn lưu trú đã gia hạn",
            "Extended shelter stay limit",
            start_key=_stay,
            satisfy_key=_stay,
        ),
        Kind(
            "reintegration_application",
            "Thời hạn nộp hồ sơ đề nghị hỗ trợ hoà nhập cộng đồng",
            "Time limit to apply for reintegration support",
        ),
        Kind(
            "commune_forward_application",
            "UBND xã xác nhận và chuyển hồ sơ đề nghị hỗ trợ",
            "Commune certifies and forwards a support application",
            start_key=_field("application_id"),
            satisfy_key=_field("application_id"),
        ),
        Kind(
            "referral_answer",
            "Trả lời đề nghị chuyển tuyến (tiếp nhận hoặc từ chối)",
            "Answer a referral (accept or reject)",
            start_key=_field("referral_id"),
            satisfy_key=_field("referral_id"),
        ),
        Kind(
            "tip_forwarding",
            "Chuyển tin báo đến cơ quan có thẩm quyền",
            "Forward a tip to a competent agency",
            start_key=_tip,
            satisfy_key=_tip,
        ),
        Kind(
            "tip_acknowledgement",
            "Xác nhận đã nhận tin báo được chuyển đến",
            "Acknowledge a forwarded tip",
            start_key=_target,
            satisfy_key=_emitter,
        ),
        Kind(
            "commune_notifies_provincial_health",
            "UBND xã thông báo ngay cho Sở Y tế",
            "Commune notifies the provincial health department",
            start_key=_emitter,
            satisfy_key=_emitter,
        ),
        Kind(
            "nationality_verification_reply",
            "Trả lời xác minh quốc tịch",
            "Reply to a nationality verification request",
        ),
    )
}

# Duties with no row in deadlines.toml. A row of the same name added later takes over (and gives a due time).
UNRULED: dict[str, Unruled] = {
    "tip_acknowledgement": Unruled(
        starts_from="TipForwarded",
        satisfied_by=frozenset({"TipAcknowledged"}),
        responsible_agency_type="addressee",
        legal_basis="ND162/2025/NĐ-CP Art4-5 (tip loop: forwarded, then acknowledged); DOMAIN §c",
    ),
}

# Responsible parties that are not an office: such duties concern the person, not an agency's desk.
NOT_AN_OFFICE = frozenset({"applicant"})

# Fields of a starting event that may name the office responsible, in order of preference.
OFFICE_FIELDS = ("facility_code", "to_agency_code", "target_agency_code", "receiving_agency_code")


def kind(name: str) -> Kind:
    """The kind of a deadline name; a row added to the rules without an entry here still works."""
    return KINDS.get(name) or Kind(name, name, name)


def label(name: str) -> tuple[str, str]:
    found = kind(name)
    return found.label_vi, found.label_en
