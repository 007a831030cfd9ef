"""The codec's generated decoder: what fastavro reads from the same bytes, and refusals for corrupt ones."""

from __future__ import annotations

import copy
import datetime as dt
import io
from typing import Any

import fastavro
import pytest

from lienthong.schemas import Catalogue, Codec, DecodeError, decode, encode
from lienthong.schemas.codec import HEADER_LEN
from lienthong.schemas.decoder import NotCompiled, compile_decoder
from tests.unit.test_codec import PAYLOADS, event, inbox_submission, rejection, submission

CAT = Catalogue.default()
SAMPLES = [(t, event(t)) for t in PAYLOADS] + [
    ("Submission", submission()),
    ("InboxSubmission", inbox_submission()),
    ("Rejection", rejection()),
]


def fastavro_read(data: bytes) -> Any:
    """What the codec returned before the generated reader: fastavro with the writer schema alone."""
    sv = CAT.by_fingerprint(data[2:HEADER_LEN])
    fo = io.BytesIO(data)
    fo.seek(HEADER_LEN)
    record = fastavro.schemaless_reader(fo, sv.parsed, None)
    assert fo.tell() == len(data)
    return record


def generated_read(data: bytes) -> Any:
    sv = CAT.by_fingerprint(data[2:HEADER_LEN])
    record, end = compile_decoder(sv.parsed)(data, HEADER_LEN)
    assert end == len(data)
    return record


def test_every_contract_compiles_so_none_falls_back_to_fastavro() -> None:
    for sv in CAT.all():
        compile_decoder(sv.parsed)  # raises NotCompiled for a type it does not read


@pytest.mark.parametrize(("name", "record"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_reads_what_fastavro_reads_for_every_contract(name: str, record: Any) -> None:
    data = encode(name, record)
    expected = fastavro_read(data)
    assert generated_read(data) == expected
    assert decode(data).record == expected
    assert [type(v) for v in decode(data).record.values()] == [type(v) for v in expected.values()]


def test_reads_what_fastavro_reads_on_a_generated_history() -> None:
    from lienthong.agencies import default_registry
    from lienthong.bench.data import Sealer, as_submission, submissions
    from lienthong.domain import CaseState, decide, evolve, evolve_rejection
    from lienthong.runtime.records import encode_rejection, encode_submission

    registry, sealer, states = default_registry(), Sealer(), {}
    now = dt.datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
    kinds: set[str] = set()
    for agency, body in submissions(1500, seed=5, registry=registry):
        sub = as_submission(agency, body, sealer)
        data = encode_submission(sub)
        assert decode(data).record == fastavro_read(data)
        state = states.setdefault(sub.case_id, CaseState(sub.case_id))
        decision = decide(state, sub, registry=registry, recorded_at=now)
        if decision.refusal is not None:
            data = encode_rejection(sub, decision.refusal, now)
            assert decode(data).record == fastavro_read(data)
            evolve_rejection(state, sub.submission_id, decision.refusal)
        elif decision.data is not None:
            assert decode(decision.data).record == fastavro_read(decision.data) == decision.event
            kinds.add(sub.event_type)
            evolve(state, decision.event, decision.event_hash)
    assert len(kinds) >= 10


def test_edge_values_read_as_fastavro_reads_them() -> None:
    record = copy.deepcopy(event("EssentialNeedsProvided"))
    record["envelope"].update(
        case_version=2**62,  # a ten-byte varint
        actor_pseudonym="ệ" * 300,  # a multi-byte length and UTF-8
        occurred_at=dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),  # before the epoch
        legal_basis="",
    )
    data = encode("EssentialNeedsProvided", record)
    assert generated_read(data) == fastavro_read(data)
    assert generated_read(data)["envelope"]["occurred_at"] == record["envelope"]["occurred_at"]
    negative = encode("Rejection", {**rejection(), "expected_version": -5, "actual_version": -(2**31)})
    assert generated_read(negative) == fastavro_read(negative)


def test_booleans_and_array_blocks_read_as_fastavro_reads_them() -> None:
    schema = fastavro.parse_schema(
        {
            "type": "record",
            "name": "T",
            "fields": [
                {"name": "flag", "type": "boolean"},
                {"name": "xs", "type": {"type": "array", "items": "long"}},
                {"name": "d", "type": ["double", "null"]},
            ],
        }
    )
    read = compile_decoder(schema)
    # flag byte 5 (fastavro: any non-zero is true); xs as two blocks: count 1 (item 3), then count -2
    # with its size in bytes (2), as writers may do (items 4 and 0), then the end; d as the union's
    # first branch, the double 1.0.
    body = bytes([5, 2, 6, 3, 4, 8, 0, 0]) + b"\x00" + b"\x00" * 6 + b"\xf0\x3f"
    expected = fastavro.schemaless_reader(io.BytesIO(body), schema, None)
    assert read(body, 0) == (expected, len(body))
    assert expected == {"flag": True, "xs": [3, 4, 0], "d": 1.0}


def test_types_it_does_not_read_are_left_to_fastavro() -> None:
    for schema in (
        {"type": "map", "values": "string"},
        {"type": "fixed", "name": "F", "size": 4},
        "float",
        ["null", "string", "long"],
        {"type": "string", "logicalType": "uuid"},
    ):
        with pytest.raises(NotCompiled):
            compile_decoder(fastavro.parse_schema(schema))


def _corrupt() -> list[tuple[str, bytes]]:
    good = encode("ReferralSent", event("ReferralSent"))
    sub = encode("Submission", submission())
    cases = [(f"cut at {n}", good[:n]) for n in range(HEADER_LEN, len(good), 7)]
    cases.append(("cut before the last byte", good[:-1]))
    cases.append(("bad union branch", sub[:HEADER_LEN] + _with_union_byte(sub, 9)))
    cases.append(("negative string length", good[:HEADER_LEN] + b"\x01" + good[HEADER_LEN + 1 :]))
    cases.append(("varint over 10 bytes", good[:HEADER_LEN] + b"\xff" * 11 + b"\x00"))
    text = good[HEADER_LEN:]
    cases.append(("invalid UTF-8", good[:HEADER_LEN] + text[:1] + b"\xff" + text[2:]))
    return cases


def _with_union_byte(data: bytes, byte: int) -> bytes:
    """The Submission body with its first union (expected_version) given a branch byte out of range."""
    fields = Codec.default().decode(data).record
    head = encode("Submission", {**fields, "expected_version": None})[HEADER_LEN:]
    prefix = sum(1 + len(fields[k].encode()) for k in ("submission_id", "case_id", "event_type"))
    return head[:prefix] + bytes([byte]) + head[prefix + 1 :]


@pytest.mark.parametrize(("label", "data"), _corrupt(), ids=[c[0] for c in _corrupt()])
def test_corrupt_bodies_are_refused_never_read_as_something_else(label: str, data: bytes) -> None:
    with pytest.raises(DecodeError, match=r"corrupt lienthong\.\S+ v\d+ body"):
        decode(data)


def test_trailing_bytes_are_refused() -> None:
    data = encode("ReferralSent", event("ReferralSent"))
    with pytest.raises(DecodeError, match="2 trailing bytes after a lienthong.events.ReferralSent"):
        decode(data + b"\x00\x00")


def test_views_of_the_bytes_read_the_same() -> None:
    data = encode("Submission", submission())
    expected = decode(data).record
    assert decode(memoryview(data)).record == expected
    assert decode(bytearray(data)).record == expected


def test_resolution_to_another_version_still_goes_through_fastavro() -> None:
    # A reader named explicitly as the writer's own version reads the same as the default.
    data = encode("Submission", submission())
    sv = CAT.latest("lienthong.Submission")
    assert decode(data, sv).record == decode(data).record == fastavro_read(data)
