"""The single-object-encoding codec: what producers and consumers of the event log rely on."""

from __future__ import annotations

import copy
import datetime as dt
import io
from typing import Any

import fastavro
import pytest
from fastavro.schema import fingerprint as fastavro_fingerprint
from fastavro.schema import to_parsing_canonical_form
from fastavro.validation import ValidationError
from fastavro.validation import validate as fastavro_validate

from lienthong.schemas import (
    Catalogue,
    ContractError,
    DecodeError,
    UnknownSchemaError,
    decode,
    encode,
    fingerprint_of,
    stamp_envelope,
    validate,
)

UTC = dt.UTC
ICT = dt.timezone(dt.timedelta(hours=7))  # Vietnam
CAT = Catalogue.default()


def sealed(person_ref: str = "p-7c1e") -> dict[str, Any]:
    return {
        "person_ref": person_ref,
        "key_id": "k-2025-03-7c1e",
        "algorithm": "AES-256-GCM",
        "nonce": bytes(range(12)),
        "ciphertext": b"\x8f\x02" * 60,
    }


def envelope(event_type: str, **overrides: Any) -> dict[str, Any]:
    env = {
        "event_id": "0b6f7c9e-3f0a-4f53-9d5c-2f8a9d1e0001",
        "event_type": event_type,
        "schema_fingerprint": CAT.latest(event_type).fingerprint_hex,
        "case_id": "c-2025-HN-000123",
        "case_version": 3,
        "occurred_at": dt.datetime(2025, 3, 1, 8, 30, 12, 345678, tzinfo=UTC),
        "recorded_at": dt.datetime(2025, 3, 1, 8, 31, tzinfo=UTC),
        "emitter_agency_code": "CA-HN",
        "emitter_agency_type": "provincial_police",
        "emitter_unit_code": "01",
        "actor_pseudonym": "u-91af",
        "legal_regime": "L2024",
        "legal_basis": "L53/2024 Art27(2) am. L86/2025",
        "admin_unit_code": "00004",
        "admin_unit_version": "2025-07-01",
        "subject_person_ref": "p-7c1e",
        "sensitivity": "restricted",
        "consent_ref": None,
        "submission_id": "s-0001",
        "correlation_id": "corr-0001",
        "causation_id": "0b6f7c9e-3f0a-4f53-9d5c-2f8a9d1e0000",
        "prev_event_hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    }
    env.update(overrides)
    return env


PAYLOADS: dict[str, dict[str, Any]] = {
    "TipReceived": {
        "channel": "hotline_111",
        "reporter_type": "relative",
        "suspected_count": 2,
        "location_code": "00004",
        "exploitation_indicators": ["forced_labour", "debt_bondage"],
        "child_flag": False,
        "recording_ref": "rec-111-20250301-0042",
        "narrative": sealed(),
        "language": "vi",
    },
    "PersonReported": {
        "report_place_code": "BG-LC-01",
        "representative_flag": True,
        "sex": "female",
        "birth_year": 2004,
        "nationality": "VN",
        "accompanying_minor_refs": ["p-aa01"],
        "personal_data": sealed(),
    },
    "ReceptionRegistered": {
        "reception_type": "handed_over",
        "receiving_agency_code": "SYT-HN",
        "declaration_form_ref": "JC01-2014-00017",
        "interpreter_language": None,
        "immediate_needs": ["food", "clothing", "medical"],
        "sex": "male",
        "birth_year": None,
        "personal_data": None,
    },
    "VerificationRequested": {
        "to_agency_code": "CA-LC",
        "question_codes": ["identity", "trafficking_route"],
        "due_at": dt.datetime(2025, 3, 4, 17, 0, tzinfo=UTC),
    },
    "InitialVerificationCompleted": {
        "result": "grounds_found",
        "evidence_source_codes": ["D62-A5-1a", "D62-A5-1c"],
        "co_verifier_agency_code": "BDBP-LC",
    },
    "VictimStatusDetermined": {
        "status": "victim",
        "decision_org": "CA-HN",
        "decision_no": "123/QD-CAT",
        "decision_date": dt.date(2025, 3, 10),
        "exploitation_types": ["forced_labour"],
        "destination_country": "KH",
        "trafficking_period_start": dt.date(2024, 11, 2),
        "trafficking_period_end": None,
        "recruitment_method": "online_job_offer",
        "control_methods": ["document_confiscation", "debt"],
    },
    "VictimCertificateIssued": {
        "certificate_no": "GXN-2025-0042",
        "issuer_agency_code": "CA-HN",
        "issue_date": dt.date(2025, 3, 11),
        "document_type": "certificate",
    },
    "ProtectionMeasureApplied": {
        "measure_code": "D62-A7-1",
        "protected_person_refs": ["p-7c1e", "p-aa01"],
        "decision_org": "CA-HN",
        "risk_level": "high",
        "valid_until": dt.datetime(2025, 6, 1, tzinfo=UTC),
    },
    "EssentialNeedsProvided": {
        "items": [
            {"item_code": "food_day", "quantity": 7, "unit": "day"},
            {"item_code": "clothing_set", "quantity": 2, "unit": "set"},
        ],
        "amount_vnd": 1_850_000,
        "rate_ref": "HN-ND20-2021-2025-01-01",
    },
    "SupportPaid": {
        "support_type": "initial_cash",
        "amount_vnd": 1_500_000,
        "rate_table_id": "HN/QD-12-2024/2024-07-01",
        "budget_source": "state_budget",
        "voucher_no": "PC-0091",
        "period": None,
    },
    "ReferralSent": {
        "referral_id": "r-0007",
        "to_agency_code": "TGPL-HN",
        "reason_code": "legal_aid",
        "service_type": "legal_aid",
        "consent_ref": "consent-0003",
    },
    "ReferralAccepted": {"referral_id": "r-0007", "note_code": None},
    "CaseClosed": {"reason": "reintegrated"},
}


def event(event_type: str, **payload_overrides: Any) -> dict[str, Any]:
    return {"envelope": envelope(event_type), **copy.deepcopy(PAYLOADS[event_type]), **payload_overrides}


def submission() -> dict[str, Any]:
    return {
        "submission_id": "s-0001",
        "case_id": "c-2025-HN-000123",
        "event_type": "TipReceived",
        "expected_version": None,
        "occurred_at": dt.datetime(2025, 3, 1, 8, 30, tzinfo=UTC),
        "submitted_at": dt.datetime(2025, 3, 1, 8, 30, 5, tzinfo=UTC),
        "emitter_agency_code": "HOTLINE111",
        "door": "gateway",
        "actor_pseudonym": "u-91af",
        "admin_unit_code": "00004",
        "legal_basis": None,
        "subject_person_ref": None,
        "consent_ref": None,
        "correlation_id": "corr-0001",
        "causation_id": None,
        "payload_json": '{"channel": "hotline_111", "suspected_count": 2}',
        "sealed_personal_data": sealed(),
    }


def inbox_submission() -> dict[str, Any]:
    drop = {"emitter_agency_code", "door", "submitted_at", "sealed_personal_data"}
    body = {k: v for k, v in submission().items() if k not in drop}
    return {**body, "personal_data_json": '{"full_name": "Nguyễn Thị A"}'}


def rejection() -> dict[str, Any]:
    return {
        "submission_id": "s-0002",
        "case_id": "c-2025-HN-000123",
        "event_type": "VictimCertificateIssued",
        "emitter_agency_code": "UBND-X-00004",
        "rejected_at": dt.datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
        "code": "stale_version",
        "field": "expected_version",
        "message_vi": "Phiên bản hồ sơ đã cũ",
        "message_en": "The case version is stale",
        "expected_version": 2,
        "actual_version": 3,
    }


# -- round trips ----------------------------------------------------------------------------------


def test_every_sample_is_a_catalogue_event_type() -> None:
    # The hand-written samples cover the backbone; test_catalogue_complete round-trips every type.
    assert set(PAYLOADS) <= set(CAT.event_types())


@pytest.mark.parametrize("event_type", sorted(PAYLOADS))
def test_event_round_trip(event_type: str) -> None:
    record = event(event_type)
    decoded = decode(encode(event_type, record))
    latest = CAT.latest(event_type)
    # Fields a sample leaves out come back with their defaults (newer versions add optional fields).
    defaults = {
        f["name"]: f["default"] for f in latest.schema["fields"] if "default" in f and f["name"] not in record
    }
    assert decoded.record == {**record, **defaults}
    assert decoded.schema is decoded.writer is latest


@pytest.mark.parametrize(
    ("name", "build"),
    [("Submission", submission), ("InboxSubmission", inbox_submission), ("Rejection", rejection)],
)
def test_non_event_contract_round_trip(name: str, build: Any) -> None:
    record = build()
    assert decode(encode(name, record)).record == record


def test_samples_are_valid_for_fastavro_too() -> None:
    # Guards our checker against drifting from fastavro's own rules.
    for event_type in PAYLOADS:
        assert fastavro_validate(event(event_type), CAT.latest(event_type).parsed, raise_errors=True)


def test_timestamps_come_back_utc_aware_and_dates_as_date() -> None:
    local = dt.datetime(2025, 3, 1, 15, 30, tzinfo=ICT)
    record = event("VictimStatusDetermined")
    record["envelope"]["occurred_at"] = local
    got = decode(encode("VictimStatusDetermined", record)).record
    occurred = got["envelope"]["occurred_at"]
    assert occurred == local and occurred.utcoffset() == dt.timedelta(0)
    assert occurred.hour == 8  # same instant, expressed in UTC
    assert type(got["decision_date"]) is dt.date
    assert got["trafficking_period_end"] is None


def test_integers_are_accepted_for_timestamps_and_dates() -> None:
    record = event("VerificationRequested", due_at=1_741_107_600_000_000)
    got = decode(encode("VerificationRequested", record)).record
    assert got["due_at"] == dt.datetime(2025, 3, 4, 17, 0, tzinfo=UTC)


# -- the SOE frame --------------------------------------------------------------------------------


def test_header_is_c301_plus_fastavro_fingerprint_then_plain_avro_body() -> None:
    sv = CAT.latest("TipReceived")
    record = event("TipReceived")
    data = encode("TipReceived", record)
    expected_fp = bytes.fromhex(fastavro_fingerprint(to_parsing_canonical_form(sv.schema), "CRC-64-AVRO"))
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == expected_fp == sv.fingerprint == fingerprint_of(data)
    body = io.BytesIO()
    fastavro.schemaless_writer(body, fastavro.parse_schema(copy.deepcopy(sv.schema)), record)
    assert data[10:] == body.getvalue()


def test_encoding_with_an_older_version_writes_its_fingerprint() -> None:
    v1 = CAT.versions("TipReceived")[0]
    record = stamp_envelope(v1, event("TipReceived"))
    del record["language"]
    data = encode(v1, record)
    assert data[2:10] == v1.fingerprint
    assert decode(data, v1).record == record


def test_stamp_envelope_names_the_schema() -> None:
    record = event("CaseClosed")
    record["envelope"].update(event_type="", schema_fingerprint="")
    stamped = stamp_envelope("CaseClosed", record)
    assert stamped["envelope"]["event_type"] == "CaseClosed"
    assert stamped["envelope"]["schema_fingerprint"] == CAT.latest("CaseClosed").fingerprint_hex
    assert record["envelope"]["event_type"] == ""  # the input is not mutated


# -- evolution ------------------------------------------------------------------------------------


def test_v1_data_read_by_v2_gets_language_none() -> None:
    v1, v2 = CAT.versions("TipReceived")
    record = stamp_envelope(v1, event("TipReceived"))
    del record["language"]
    data = encode(v1, record)
    for decoded in (decode(data), decode(data, v2), decode(data, "TipReceived")):
        assert decoded.writer is v1 and decoded.schema is v2
        assert decoded.record["language"] is None
        assert {k: v for k, v in decoded.record.items() if k != "language"} == record


def test_v2_data_read_by_v1_drops_language() -> None:
    v1, v2 = CAT.versions("TipReceived")
    data = encode(v2, event("TipReceived", language="km"))
    decoded = decode(data, v1)
    assert decoded.writer is v2 and decoded.schema is v1
    assert "language" not in decoded.record
    assert decoded.record["narrative"] == sealed()


def test_reading_as_another_type_is_refused() -> None:
    data = encode("CaseClosed", event("CaseClosed"))
    with pytest.raises(DecodeError, match="cannot read lienthong.events.CaseClosed v1 as"):
        decode(data, "ReferralAccepted")


# -- decode errors --------------------------------------------------------------------------------


def test_unknown_fingerprint_names_the_hex() -> None:
    data = b"\xc3\x01" + bytes.fromhex("0123456789abcdef") + b"\x00"
    with pytest.raises(UnknownSchemaError, match="0123456789abcdef") as info:
        decode(data)
    assert info.value.fingerprint_hex == "0123456789abcdef"


@pytest.mark.parametrize(
    "data", [b"", b"\xc3", b"\x00\x01" + bytes(8) + b"x", b'{"json": true}', b"\xc3\x01\x00"]
)
def test_missing_marker_or_short_header_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(DecodeError, match="not Avro single-object encoding: expected marker c301"):
        decode(data)


def test_truncated_body_and_trailing_bytes_are_refused() -> None:
    data = encode("ReferralSent", event("ReferralSent"))
    with pytest.raises(DecodeError, match="corrupt lienthong.events.ReferralSent v[0-9]+ body"):
        decode(data[:-5])
    with pytest.raises(DecodeError, match="3 trailing bytes"):
        decode(data + b"abc")


# -- contract errors ------------------------------------------------------------------------------


def _without(record: dict[str, Any], dotted: str) -> dict[str, Any]:
    *parents, last = dotted.split(".")
    node = record
    for p in parents:
        node = node[p]
    del node[last]
    return record


def put(**values: Any) -> Any:
    return lambda r: r.update(values)


def put_env(**values: Any) -> Any:
    return lambda r: r["envelope"].update(values)


def drop(dotted: str) -> Any:
    return lambda r: _without(r, dotted)


NAIVE = dt.datetime(2025, 3, 1)
BAD_RECORDS = [
    # (event type, mutation, ContractError.field, ContractError.rule)
    ("TipReceived", drop("envelope.case_version"), "envelope.case_version", "required"),
    ("TipReceived", put_env(case_version=None), "envelope.case_version", "required"),
    ("TipReceived", put_env(case_version="3"), "envelope.case_version", "type"),
    ("TipReceived", put_env(case_version=2**63), "envelope.case_version", "range"),
    ("TipReceived", put(channel="fax"), "channel", "enum"),
    ("TipReceived", put_env(legal_regime="L2030"), "envelope.legal_regime", "enum"),
    ("TipReceived", put(suspected_count=2.0), "suspected_count", "type"),
    ("TipReceived", put(suspected_count=True), "suspected_count", "type"),
    ("TipReceived", put(child_flag=1), "child_flag", "type"),
    ("TipReceived", put(exploitation_indicators="forced_labour"), "exploitation_indicators", "type"),
    ("TipReceived", put(exploitation_indicators=["ok", 7]), "exploitation_indicators[1]", "type"),
    ("TipReceived", drop("narrative.key_id"), "narrative.key_id", "required"),
    ("TipReceived", lambda r: r["narrative"].update(nonce="abc"), "narrative.nonce", "type"),
    ("TipReceived", put(recording_ref=42), "recording_ref", "type"),
    ("TipReceived", put(full_name="Nguyễn Văn B"), "full_name", "unknown_field"),
    ("TipReceived", put_env(recorded_at=NAIVE), "envelope.recorded_at", "timezone"),
    ("TipReceived", put_env(occurred_at="2025-03-01T08:30Z"), "envelope.occurred_at", "type"),
    ("TipReceived", put_env(event_type="PersonReported"), "envelope.event_type", "mismatch"),
    ("TipReceived", put_env(schema_fingerprint="00" * 8), "envelope.schema_fingerprint", "mismatch"),
    ("VictimStatusDetermined", put(decision_date=NAIVE.replace(tzinfo=UTC)), "decision_date", "type"),
    ("EssentialNeedsProvided", lambda r: r["items"][1].update(quantity="2"), "items[1].quantity", "type"),
    ("EssentialNeedsProvided", drop("amount_vnd"), "amount_vnd", "required"),
    ("CaseClosed", put(reason=None), "reason", "required"),
]


@pytest.mark.parametrize(
    ("event_type", "mutate", "field", "rule"), BAD_RECORDS, ids=[f"{b[2]}-{b[3]}" for b in BAD_RECORDS]
)
def test_contract_error_names_field_and_rule(event_type: str, mutate: Any, field: str, rule: str) -> None:
    record = event(event_type)
    mutate(record)
    with pytest.raises(ContractError) as info:
        encode(event_type, record)
    assert (info.value.field, info.value.rule) == (field, rule)
    assert field in str(info.value)


def test_fastavro_also_rejects_what_we_call_type_enum_required_or_range() -> None:
    # Our checker is stricter than fastavro, never looser. fastavro accepts unknown keys (dropped),
    # naive datetimes (read in the host's zone) and a datetime for a date (time silently dropped).
    for event_type, mutate, field, rule in BAD_RECORDS:
        if rule not in {"type", "enum", "required", "range"} or field == "decision_date":
            continue
        record = event(event_type)
        mutate(record)
        with pytest.raises(ValidationError):
            fastavro_validate(record, CAT.latest(event_type).parsed, raise_errors=True)


def test_missing_field_with_a_default_is_filled_in() -> None:
    record = event("TipReceived")
    for name in ("exploitation_indicators", "recording_ref", "narrative", "language"):
        del record[name]
    del record["envelope"]["sensitivity"]
    got = decode(encode("TipReceived", record)).record
    assert got["exploitation_indicators"] == [] and got["narrative"] is None and got["language"] is None
    assert got["envelope"]["sensitivity"] == "sensitive"


def test_validate_does_not_encode() -> None:
    assert validate("Rejection", rejection()) is CAT.latest("Rejection")
    with pytest.raises(ContractError) as info:
        validate("Rejection", {**rejection(), "code": None})
    assert (info.value.field, info.value.rule) == ("code", "required")


def test_unknown_type_name() -> None:
    with pytest.raises(UnknownSchemaError, match="TipRecieved"):
        encode("TipRecieved", {})
