"""Synthetic multi-agency case histories (Faker vi_VN, real communes) as gateway submissions.

Deterministic for a seed: the same seed yields the same submissions, ids included, so both runtimes
can be fed the same history and compared. The full 2023–2026 generator grows out of this.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Faker

from lienthong.agencies import Registry, default_registry
from lienthong.places import province_of
from lienthong.rules import default_rules

Submission = tuple[str, dict[str, Any]]  # (agency code that submits, submission body)


def cases(
    count: int,
    seed: int = 7,
    registry: Registry | None = None,
    start: datetime = datetime(2026, 1, 5, 1, 30, tzinfo=UTC),
) -> Iterator[Submission]:
    """Yield submissions for `count` cases in the order the agencies would send them."""
    registry = registry or default_registry()
    rng = random.Random(seed)
    fake = Faker("vi_VN")
    fake.seed_instance(seed)
    ids = _Ids(rng)
    # The demo communes: the ones whose agencies also have a Kafka door, so both runtimes can be fed.
    communes = sorted(c for c in registry.kafka_agencies() if registry.get(c).agency_type == "commune_pc")
    for n in range(count):
        commune_agency = registry.get(rng.choice(communes))
        commune = commune_agency.jurisdiction
        province = _province(commune)
        case_id = f"HS-{ids.hex(12)}"
        t = start + timedelta(days=n, hours=rng.randint(0, 8))
        sex = rng.choice(["female", "female", "female", "male"])
        person = {
            "full_name": fake.name_female() if sex == "female" else fake.name_male(),
            "id_number": fake.numerify("0###########"),
            "address": fake.address().replace("\n", ", "),
            "phone": fake.phone_number(),
        }

        def sub(
            agency: str,
            event_type: str,
            payload: dict[str, Any],
            at: datetime,
            case_id: str = case_id,
            commune: str = commune,
            **extra: Any,
        ) -> Submission:
            body = {
                "submission_id": ids.uuid(),
                "case_id": case_id,
                "event_type": event_type,
                "occurred_at": at.isoformat(),
                "admin_unit_code": extra.pop("unit", commune),
                "actor": f"can-bo-{rng.randint(1, 40):02d}",
                "payload": payload,
                **extra,
            }
            return agency, body

        yield sub(
            commune_agency.code,
            "PersonReported",
            {
                "report_place_code": commune,
                "representative_flag": False,
                "sex": sex,
                "birth_year": rng.randint(1975, 2009),
                "nationality": "VN",
                "accompanying_minor_refs": [],
            },
            t,
            personal_data=person,
        )
        yield sub(
            f"SYT-{province}",
            "ReceptionRegistered",
            {
                "reception_type": rng.choice(["self_return", "rescued", "handed_over"]),
                "receiving_agency_code": f"SYT-{province}",
                "immediate_needs": ["food", "shelter"],
                "sex": sex,
            },
            t + timedelta(hours=3),
        )
        if rng.random() < 0.25:  # a certificate sent too early: refused, then sent again in time
            yield sub(
                f"CA-TINH-{province}",
                "VictimCertificateIssued",
                _certificate(ids, province, t),
                t + timedelta(hours=5),
                unit=province,
            )
        yield sub(
            f"SYT-{province}",
            "VerificationRequested",
            {
                "to_agency_code": f"CA-TINH-{province}",
                "question_codes": ["identity", "nationality"],
                "due_at": (t + timedelta(days=3)).isoformat(),
            },
            t + timedelta(hours=6),
            unit=province,
        )
        yield sub(
            f"CA-TINH-{province}",
            "InitialVerificationCompleted",
            {
                "result": "grounds_found",
                "evidence_source_codes": ["ND62-A5-1"],
                "co_verifier_agency_code": f"SYT-{province}",
            },
            t + timedelta(days=2),
            unit=province,
        )
        victim = rng.random() < 0.85
        yield sub(
            f"CA-TINH-{province}",
            "VictimStatusDetermined",
            {
                "status": "victim" if victim else "not_victim",
                "decision_org": f"CA-TINH-{province}",
                "decision_no": f"{rng.randint(1, 999)}/QĐ-CAT",
                "decision_date": (t + timedelta(days=3)).date().isoformat(),
                "exploitation_types": rng.sample(["sexual", "labour", "forced_marriage", "organ_removal"], 1),
                "destination_country": rng.choice(["CN", "KH", "LA", "MY", None]),
                "control_methods": [],
            },
            t + timedelta(days=3),
            unit=province,
        )
        if not victim:
            yield sub(
                f"SYT-{province}",
                "CaseClosed",
                {"reason": "not_victim"},
                t + timedelta(days=4),
                unit=province,
            )
            continue
        yield sub(
            f"CA-TINH-{province}",
            "VictimCertificateIssued",
            _certificate(ids, province, t),
            t + timedelta(days=3, hours=2),
            unit=province,
        )
        food = default_rules().rate(province, "essential_needs", (t + timedelta(days=4)).date(), item="food")
        yield sub(
            f"TTCTXH-{province}",
            "EssentialNeedsProvided",
            {
                "items": [{"item_code": "food", "quantity": 30, "unit": "day"}],
                "amount_vnd": 30 * food.amount_vnd,
                "rate_ref": food.rate_table_id,
            },
            t + timedelta(days=4),
            unit=province,
        )
        course = default_rules().rate(province, "vocational_training", (t + timedelta(days=10)).date())
        yield sub(
            f"SYT-{province}",
            "SupportPaid",
            {
                "support_type": "vocational_training",
                "amount_vnd": course.amount_vnd,
                "units": 1,
                "rate_table_id": course.rate_table_id,
                "budget_source": "provincial_budget",
                "voucher_no": f"PC-{rng.randint(100, 999)}",
            },
            t + timedelta(days=10),
            unit=province,
        )
        consent_id = f"CONSENT-{ids.hex(6)}"
        yield sub(
            f"SYT-{province}",
            "ConsentRecorded",
            {
                "consent_id": consent_id,
                "scope_agency_codes": [commune_agency.code],
                "purpose_codes": ["reintegration"],
                "given_by": "self",
            },
            t + timedelta(days=11),
            unit=province,
        )
        referral_id = ids.uuid()
        yield sub(
            f"SYT-{province}",
            "ReferralSent",
            {
                "referral_id": referral_id,
                "to_agency_code": commune_agency.code,
                "reason_code": "return_home",
                "service_type": "reintegration",
                "consent_ref": consent_id,
            },
            t + timedelta(days=12),
            unit=province,
        )
        yield sub(
            commune_agency.code, "ReferralAccepted", {"referral_id": referral_id}, t + timedelta(days=13)
        )
        if rng.random() < 0.3:
            yield sub(
                f"SYT-{province}",
                "CaseClosed",
                {"reason": "reintegrated"},
                t + timedelta(days=40),
                unit=province,
            )


def _certificate(ids: _Ids, province: str, t: datetime) -> dict[str, Any]:
    return {
        "certificate_no": f"GXN-{ids.hex(6).upper()}",
        "issuer_agency_code": f"CA-TINH-{province}",
        "issue_date": (t + timedelta(days=3)).date().isoformat(),
        "document_type": "certificate",
    }


def _province(commune: str) -> str:
    province = province_of(commune)
    assert province, f"registry commune {commune} is not a current unit"
    return province


class _Ids:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def hex(self, n: int) -> str:
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(n))
