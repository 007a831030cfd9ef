"""Benchmark data: synthetic submissions, and the event log the pure core makes of them.

:func:`submissions` is the one place that knows which generator feeds the benchmarks
(``lienthong.scenarios.cases`` today; swap in the bigger ``lienthong generate`` here).
:func:`decide_all` runs the functional core in process (decide/evolve + the Avro codec), exactly as the
decider does, so large logs are made without pushing a million submissions through HTTP.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lienthong.agencies import Registry, default_registry
from lienthong.domain import CaseState, Submission, decide, evolve, evolve_rejection
from lienthong.runtime.records import encode_rejection, encode_submission

Body = tuple[str, dict[str, Any]]  # (submitting agency, submission body as POSTed to the gateway)

# The gateway's record time for generated history: fixed, so the same seed gives the same bytes.
RECORDED_AT = datetime(2026, 6, 1, tzinfo=UTC)


# scenarios.cases() walks one day per case from 2026-01-05 and the rate tables it prices support from
# end with 2026, so one seed gives at most about 350 cases; longer streams chain seeds (seed, k).
CASES_PER_SEED = 300


def generate(seed: int = 7, registry: Registry | None = None) -> Iterator[Body]:
    """An endless, deterministic stream of submissions, whole cases in the order agencies send them."""
    from lienthong.scenarios import cases

    registry = registry or default_registry()
    for k in itertools.count():
        yield from cases(CASES_PER_SEED, seed=seed * 1_000_003 + k, registry=registry)


def submissions(n: int, seed: int = 7, registry: Registry | None = None) -> list[Body]:
    """The first ``n`` submissions of the synthetic generator for ``seed`` (whole cases, then a cut)."""
    return list(itertools.islice(generate(seed, registry), n))


def interleave(bodies: list[Body], width: int) -> list[Body]:
    """Reorder so that ``width`` cases run side by side, each case's own order kept.

    Open-loop load sends submissions concurrently; spreading a case's submissions ``width`` apart
    keeps them from overtaking each other in flight (which would turn them into lifecycle refusals).
    """
    by_case: dict[str, list[Body]] = {}
    for item in bodies:
        by_case.setdefault(item[1]["case_id"], []).append(item)
    queues = [list(reversed(v)) for v in by_case.values()]
    out: list[Body] = []
    active = [queues.pop(0) for _ in range(min(width, len(queues)))] if queues else []
    waiting = queues
    while active:
        still = []
        for q in active:
            out.append(q.pop())
            if q:
                still.append(q)
            elif waiting:
                still.append(waiting.pop(0))
        active = still
    return out


class Sealer:
    """Seals personal data as the gateway's key store does (same contract shape, AES-256-GCM).

    Keys are random and not kept: benchmark data never needs opening, only the same bytes on the log.
    """

    def __init__(self) -> None:
        self._keys: dict[str, tuple[str, bytes]] = {}

    def seal(self, person_ref: str, data: dict[str, Any]) -> dict[str, Any]:
        key_id, key = self._keys.setdefault(person_ref, (secrets.token_hex(8), AESGCM.generate_key(256)))
        nonce = secrets.token_bytes(12)
        plaintext = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
        return {
            "person_ref": person_ref,
            "key_id": key_id,
            "algorithm": "AES-256-GCM",
            "nonce": nonce,
            "ciphertext": AESGCM(key).encrypt(nonce, plaintext, person_ref.encode()),
        }


def as_submission(
    agency: str, body: dict[str, Any], sealer: Sealer | None = None, submitted_at: datetime | None = None
) -> Submission:
    """What the gateway makes of a POSTed body (emitter stamped, personal data sealed)."""
    person_ref = body.get("subject_person_ref")
    sealed = None
    if body.get("personal_data"):
        # Deterministic ref per case, like the gateway's fresh uuid but reproducible for a seed.
        person_ref = person_ref or f"P-{body['case_id']}"
        sealed = (sealer or Sealer()).seal(person_ref, body["personal_data"])
    return Submission(
        submission_id=body["submission_id"],
        case_id=body["case_id"],
        event_type=body["event_type"],
        emitter_agency_code=agency,
        occurred_at=datetime.fromisoformat(body["occurred_at"]).astimezone(UTC),
        submitted_at=submitted_at or RECORDED_AT,
        admin_unit_code=body["admin_unit_code"],
        actor_pseudonym=body["actor"],
        payload=body["payload"],
        door="gateway",
        expected_version=body.get("expected_version"),
        legal_basis=body.get("legal_basis"),
        subject_person_ref=person_ref,
        consent_ref=body.get("consent_ref"),
        correlation_id=body.get("correlation_id"),
        causation_id=body.get("causation_id"),
        sealed_personal_data=sealed,
    )


def encoded_submissions(bodies: Iterable[Body]) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs exactly as the gateway puts them on the submissions topic."""
    sealer = Sealer()
    out = []
    for agency, body in bodies:
        sub = as_submission(agency, body, sealer)
        out.append((sub.case_id.encode(), encode_submission(sub)))
    return out


@dataclass(frozen=True, slots=True)
class Decided:
    """One entry of the log the core produced: an event or a rejection, with what the log stores."""

    kind: str  # "event" | "rejection"
    case_id: str
    submission_id: str
    data: bytes
    case_version: int | None = None
    event_id: str | None = None
    event_type: str | None = None
    event_hash: str | None = None
    emitter_agency_code: str | None = None
    recorded_at: datetime | None = None


def decide_all(bodies: Iterable[Body], registry: Registry | None = None) -> Iterator[Decided]:
    """Run the functional core over the submissions, in order, as the decider would."""
    registry = registry or default_registry()
    sealer = Sealer()
    states: dict[str, CaseState] = {}
    tick = timedelta(microseconds=1)
    for n, (agency, body) in enumerate(bodies):
        now = RECORDED_AT + n * tick
        sub = as_submission(agency, body, sealer, submitted_at=now)
        state = states.get(sub.case_id)
        if state is None:
            state = states[sub.case_id] = CaseState(sub.case_id)
        decision = decide(state, sub, registry=registry, recorded_at=now)
        if decision.duplicate_of is not None:
            continue
        if decision.refusal is not None:
            yield Decided(
                "rejection",
                sub.case_id,
                sub.submission_id,
                encode_rejection(sub, decision.refusal, now),
                emitter_agency_code=agency,
            )
            evolve_rejection(state, sub.submission_id, decision.refusal)
        else:
            env = decision.event["envelope"]
            yield Decided(
                "event",
                sub.case_id,
                sub.submission_id,
                decision.data,
                case_version=env["case_version"],
                event_id=env["event_id"],
                event_type=sub.event_type,
                event_hash=decision.event_hash,
                emitter_agency_code=agency,
                recorded_at=now,
            )
            evolve(state, decision.event, decision.event_hash)
        if state.closed and len(states) > 50_000:
            # A closed case takes no more submissions from this generator: keep memory flat at 10^6.
            states.pop(sub.case_id, None)


def history_for_events(events: int, seed: int, registry: Registry | None = None) -> Iterator[Decided]:
    """Decided entries until ``events`` events (plus the rejections mixed in among them)."""
    registry = registry or default_registry()
    made = 0
    for entry in decide_all(generate(seed, registry), registry):
        yield entry
        if entry.kind == "event":
            made += 1
            if made >= events:
                return


def agencies_of(bodies: Iterable[Body]) -> set[str]:
    return {agency for agency, _ in bodies}
