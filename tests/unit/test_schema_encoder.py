"""The codec's fast encoder: the same bytes and the same refusals as validate + fastavro, only sooner."""

from __future__ import annotations

import copy
import datetime as dt
import io
import types
import uuid
from typing import Any

import fastavro
import pytest

from lienthong.contracts import from_json
from lienthong.domain.model import EVENT_ID_NAMESPACE, stable_id
from lienthong.schemas import Catalogue, Codec, ContractError, encode, validate
from lienthong.schemas.codec import MARKER
from lienthong.schemas.encoder import Unvouched, compile_encoder
from tests.unit.test_codec import BAD_RECORDS, PAYLOADS, event, inbox_submission, rejection, submission

CAT = Catalogue.default()
UTC = dt.UTC


def reference(name: str, record: Any) -> bytes:
    """What the codec wrote before the fast path: the path-aware check, then fastavro's writer."""
    sv = validate(name, record)
    body = io.BytesIO()
    fastavro.schemaless_writer(body, sv.parsed, record)
    return MARKER + sv.fingerprint + body.getvalue()


def vouched(name: str, record: Any) -> bytes:
    """The fast encoder alone: raises Unvouched instead of falling back."""
    return compile_encoder(CAT.latest(name).parsed)(record)


SAMPLES = [(t, event(t)) for t in PAYLOADS] + [
    ("Submission", submission()),
    ("InboxSubmission", inbox_submission()),
    ("Rejection", rejection()),
]


@pytest.mark.parametrize(("name", "record"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_fast_path_writes_the_reference_bytes_for_every_contract(name: str, record: Any) -> None:
    expected = reference(name, record)
    assert encode(name, record) == expected
    assert MARKER + CAT.latest(name).fingerprint + vouched(name, record) == expected  # not a fallback


def test_fast_path_matches_on_a_generated_history() -> None:
    # Events, rejections and submissions as the decider makes them, across every kind the scenarios send.
    from lienthong.agencies import default_registry
    from lienthong.bench.data import Sealer, as_submission, submissions
    from lienthong.domain import CaseState, decide, evolve, evolve_rejection
    from lienthong.runtime.records import rejection_record, submission_record

    registry, sealer, states = default_registry(), Sealer(), {}
    now = dt.datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)
    kinds: set[str] = set()
    for agency, body in submissions(1500, seed=3, registry=registry):
        sub = as_submission(agency, body, sealer)
        assert encode("Submission", submission_record(sub)) == reference("Submission", submission_record(sub))
        state = states.setdefault(sub.case_id, CaseState(sub.case_id))
        decision = decide(state, sub, registry=registry, recorded_at=now)
        if decision.refusal is not None:
            record = rejection_record(sub, decision.refusal, now)
            assert encode("Rejection", record) == reference("Rejection", record)
            evolve_rejection(state, sub.submission_id, decision.refusal)
        elif decision.event is not None:
            assert decision.data == reference(sub.event_type, decision.event)
            kinds.add(sub.event_type)
            evolve(state, decision.event, decision.event_hash)
    assert len(kinds) >= 10


@pytest.mark.parametrize(
    ("event_type", "mutate", "field", "rule"), BAD_RECORDS, ids=[f"{b[2]}-{b[3]}" for b in BAD_RECORDS]
)
def test_bad_records_get_the_reference_error(event_type: str, mutate: Any, field: str, rule: str) -> None:
    record = event(event_type)
    mutate(record)
    with pytest.raises(ContractError) as fast:
        encode(event_type, record)
    with pytest.raises(ContractError) as checked:
        reference(event_type, record)
    assert (fast.value.field, fast.value.rule, str(fast.value)) == (field, rule, str(checked.value))


def _edge_cases() -> list[tuple[str, str, Any]]:
    """Values the fast path leaves to the reference path: it must still write (or refuse) the same."""
    ict = dt.timezone(dt.timedelta(hours=7))
    base = event("EssentialNeedsProvided")
    cases: list[tuple[str, str, Any]] = []

    def variant(label: str, mutate: Any) -> None:
        record = copy.deepcopy(base)
        mutate(record)
        cases.append((label, "EssentialNeedsProvided", record))

    variant("int timestamp", lambda r: r["envelope"].update(recorded_at=1_700_000_000_000_000))
    variant(
        "non-UTC offset", lambda r: r["envelope"].update(occurred_at=dt.datetime(2025, 3, 1, 8, tzinfo=ict))
    )
    variant(
        "int date", lambda r: r["items"][0].update(given_on=20_000) if "given_on" in r["items"][0] else None
    )
    variant("tuple array", lambda r: r.update(items=tuple(r["items"])))
    variant("defaults left out", lambda r: r["envelope"].pop("sensitivity"))
    variant("long varints", lambda r: r["envelope"].update(case_version=2**62, actor_pseudonym="ệ" * 300))
    cases.append(("mapping proxy", "Rejection", types.MappingProxyType(rejection())))
    cases.append(("bool for int", "Rejection", {**rejection(), "actual_version": True}))
    cases.append(("int out of range", "Rejection", {**rejection(), "actual_version": 2**31}))
    cases.append(
        ("str subclass", "Rejection", {**rejection(), "code": type("S", (str,), {})("stale_version")})
    )
    return cases


@pytest.mark.parametrize(("label", "name", "record"), _edge_cases(), ids=[c[0] for c in _edge_cases()])
def test_edge_values_encode_or_fail_as_the_reference_does(label: str, name: str, record: Any) -> None:
    try:
        expected: Any = reference(name, record)
    except ContractError as err:
        expected = (err.field, err.rule, str(err))
    try:
        got: Any = encode(name, record)
    except ContractError as err:
        got = (err.field, err.rule, str(err))
    assert got == expected


def test_the_fast_path_refuses_to_vouch_rather_than_guess() -> None:
    record = rejection()
    for bad in ({**record, "actual_version": True}, {**record, "extra": 1}, {**record, "code": None}):
        with pytest.raises(Unvouched):
            vouched("Rejection", bad)
    naive = event("TipReceived")
    naive["envelope"]["recorded_at"] = dt.datetime(2025, 3, 1)
    with pytest.raises(Unvouched):
        vouched("TipReceived", naive)


def test_codec_compiles_each_encoder_once() -> None:
    codec = Codec(CAT)
    codec.encode("Rejection", rejection())
    first = codec._encoders[CAT.latest("Rejection")]
    codec.encode("Rejection", rejection())
    assert codec._encoders[CAT.latest("Rejection")] is first


def test_stable_id_is_uuid5_in_the_event_namespace() -> None:
    for name in ("", "c-1\x1fs-1", "person\x1fc-2026-HN-000001\x1fs-ệ", "x" * 500):
        assert stable_id(name) == str(uuid.uuid5(EVENT_ID_NAMESPACE, name))


FROM_JSON_ERRORS = [
    # (event type, payload change, ContractError.field, rule) — as from_json reported them before plans
    ("TipReceived", {"channel": "fax"}, "payload.channel", "must be one of"),
    ("TipReceived", {"suspected_count": True}, "payload.suspected_count", "must be an integer"),
    (
        "TipReceived",
        {"exploitation_indicators": "x"},
        "payload.exploitation_indicators",
        "must be a JSON array",
    ),
    ("TipReceived", {"recording_ref": 4}, "payload.recording_ref", "must be a string"),
    ("TipReceived", {"envelope": {}}, "payload.envelope", "is not a field of this event type"),
    ("TipReceived", {"bogus": 1}, "payload.bogus", "is not a field of this event type"),
    (
        "VictimStatusDetermined",
        {"decision_date": "01/03/2025"},
        "payload.decision_date",
        "must be an ISO 8601",
    ),
    # Inside arrays and records the path names the item and the field that broke.
    (
        "TipReceived",
        {"exploitation_indicators": ["forced_labour", 5]},
        "payload.exploitation_indicators[1]",
        "must be a string",
    ),
    (
        "EssentialNeedsProvided",
        {
            "items": [
                {"item_code": "food_day", "quantity": 7, "unit": "day"},
                {"item_code": "food_day", "quantity": "7"},
            ]
        },
        "payload.items[1].quantity",
        "must be an integer",
    ),
    # A union names itself, with the rule its branch broke.
    (
        "TipReceived",
        {"narrative": {"person_ref": "p", "key_id": 3}},
        "payload.narrative",
        "must be a string",
    ),
]


@pytest.mark.parametrize(("event_type", "change", "field", "rule"), FROM_JSON_ERRORS)
def test_from_json_names_the_field_and_rule(event_type: str, change: dict, field: str, rule: str) -> None:
    from lienthong.contracts import to_json

    payload = {**to_json(PAYLOADS[event_type]), **change}
    with pytest.raises(ContractError) as info:
        from_json(CAT.latest(event_type).schema, payload, skip=("envelope",))
    assert info.value.field == field and info.value.rule.startswith(rule)


def test_from_json_round_trips_every_sample_with_its_plan_reused() -> None:
    from lienthong.contracts import to_json

    for event_type, payload in PAYLOADS.items():
        schema = CAT.latest(event_type).schema
        for _ in range(2):
            got = from_json(schema, to_json(payload), skip=("envelope",))
            assert {k: v for k, v in got.items() if k in payload} == payload


def test_varints_of_every_length_are_avros() -> None:
    # Each length has its own generated expression: its boundaries, against fastavro's writer.
    from lienthong.schemas.encoder import _long

    values = [0, 1, -1, 63, -64, 64, -65] + [
        s * (2**k + d) for k in range(6, 63) for d in (-1, 0) for s in (1, -1)
    ]
    values += [2**63 - 1, -(2**63)]
    for n in values:
        body = io.BytesIO()
        fastavro.schemaless_writer(body, "long", n)
        assert _long(n) == body.getvalue(), n
