"""A small kit for driving the pure decider through histories in tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from lienthong.agencies import default_registry
from lienthong.domain import CaseState, Decision, Submission, decide, evolve, evolve_rejection
from lienthong.rules import Rules, default_rules

_ids = itertools.count(1)


def at(day: str, hour: int = 9) -> datetime:
    """A Vietnam-local day and hour as a UTC instant."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+07:00").astimezone(UTC)


@dataclass
class History:
    case_id: str = "HS-1"
    state: CaseState = field(init=False)
    events: list[dict] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    rules: Rules | None = None  # None: the packaged rules; passed to decide and evolve alike

    def __post_init__(self) -> None:
        self.state = CaseState(self.case_id)

    def submit(
        self, agency: str, event_type: str, payload: dict, *, when: datetime, unit: str, **extra
    ) -> Decision:
        sub = Submission(
            submission_id=extra.pop("submission_id", f"S-{next(_ids):06d}"),
            case_id=self.case_id,
            event_type=event_type,
            emitter_agency_code=agency,
            occurred_at=when,
            submitted_at=when,
            admin_unit_code=unit,
            actor_pseudonym="cb-01",
            payload=payload,
            **extra,
        )
        decision = decide(
            self.state,
            sub,
            registry=default_registry(),
            recorded_at=when + timedelta(minutes=1),
            rules=self.rules,
        )
        if decision.event is not None:
            evolve(self.state, decision.event, decision.event_hash, rules=self.rules)
            self.events.append(decision.event)
        elif decision.refusal is not None:
            evolve_rejection(self.state, sub.submission_id, decision.refusal)
        self.decisions.append(decision)
        return decision

    def ok(self, *args, **kwargs) -> dict:
        decision = self.submit(*args, **kwargs)
        assert decision.event is not None, decision.refusal
        return decision.event

    def refused(self, code: str, *args, **kwargs):
        decision = self.submit(*args, **kwargs)
        assert decision.refusal is not None, f"expected {code}, got an accepted {args[1]}"
        assert decision.refusal.code == code, decision.refusal
        return decision.refusal


# -- payloads -----------------------------------------------------------------------------------------


def reported(unit: str, sex: str = "female", birth_year: int = 2001) -> dict:
    return {"report_place_code": unit, "representative_flag": False, "sex": sex, "birth_year": birth_year}


def received(agency: str, sex: str = "female") -> dict:
    return {
        "reception_type": "self_return",
        "receiving_agency_code": agency,
        "immediate_needs": ["food"],
        "sex": sex,
    }


def verification(to_agency: str, due: datetime) -> dict:
    return {"to_agency_code": to_agency, "question_codes": ["identity"], "due_at": due.isoformat()}


def victim(org: str, day: str, status: str = "victim") -> dict:
    return {
        "status": status,
        "decision_org": org,
        "decision_no": "1/QĐ",
        "decision_date": day,
        "exploitation_types": ["labour"],
        "control_methods": [],
    }


def certificate(issuer: str, day: str) -> dict:
    return {
        "certificate_no": "GXN-1",
        "issuer_agency_code": issuer,
        "issue_date": day,
        "document_type": "certificate",
    }


def needs(on: str = "2026-03-02", days: int = 5, province: str = "48") -> dict:
    """Food for `days` days at the province's rate in force on `on` (the rate the decider checks)."""
    food = default_rules().rate(province, "essential_needs", date.fromisoformat(on), item="food")
    assert food is not None, (province, on)
    return {
        "items": [{"item_code": "food", "quantity": days, "unit": "day"}],
        "amount_vnd": food.amount_vnd * days,
        "rate_ref": food.rate_table_id,
    }


def paid(support_type: str, amount: int, table: str, **extra) -> dict:
    return {
        "support_type": support_type,
        "amount_vnd": amount,
        "rate_table_id": table,
        "budget_source": "provincial_budget",
        "voucher_no": "PC-1",
        **extra,
    }


# -- ready-made histories ----------------------------------------------------------------------------


def l2024_victim(case_id: str = "HS-1", day: str = "2026-03-02") -> History:
    """A person reported by a Đà Nẵng ward in 2026, received, verified and identified (L2024)."""
    h = History(case_id)
    h.ok(
        "UBND-XA-20242",
        "PersonReported",
        reported("20242"),
        when=at(day),
        unit="20242",
        subject_person_ref="P-1",
    )
    h.ok("SYT-48", "ReceptionRegistered", received("SYT-48"), when=at(day, 11), unit="48")
    h.ok(
        "SYT-48",
        "VerificationRequested",
        verification("CA-TINH-48", at(day) + timedelta(days=3)),
        when=at(day, 12),
        unit="48",
    )
    h.ok("CA-TINH-48", "VictimStatusDetermined", victim("CA-TINH-48", day), when=at(day, 16), unit="48")
    return h
