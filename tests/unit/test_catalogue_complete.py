"""The event catalogue covers every event type of DOMAIN.md §c, and every contract is usable.

Each event type gets a realistic record built generically from its schema, which must pass the codec
(validate, single-object encode, decode), the JSON door of the decider (lienthong.contracts) and the
naming rule for person references.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from fastavro.validation import validate as fastavro_validate

from lienthong.contracts import from_json, to_json
from lienthong.schemas import Catalogue, check_all, decode, encode, stamp_envelope

CAT = Catalogue.default()
UTC = dt.UTC

EXISTING = [
    "TipReceived",
    "PersonReported",
    "ReceptionRegistered",
    "VerificationRequested",
    "InitialVerificationCompleted",
    "VictimStatusDetermined",
    "VictimCertificateIssued",
    "ProtectionMeasureApplied",
    "EssentialNeedsProvided",
    "SupportPaid",
    "ReferralSent",
    "ReferralAccepted",
    "CaseClosed",
]
ADDED = [
    "TipForwarded",
    "TipAcknowledged",
    "TipOutcomeReported",
    "RescueCompleted",
    "VictimHandoverReceived",
    "IdentificationStarted",
    "NationalityVerificationRequested",
    "NationalityVerificationCompleted",
    "ProtectionRequested",
    "ProtectionMeasureLifted",
    "ProtectionRefused",
    "AdmittedToFacility",
    "ShelterStayExtended",
    "DischargedFromFacility",
    "NeedsAssessed",
    "TravelCostPaid",
    "RepatriationCostPaid",
    "MedicalServiceProvided",
    "HealthInsuranceIssued",
    "CounsellingProvided",
    "LegalAidRequested",
    "LegalAidProvided",
    "SupportApplicationSubmitted",
    "SupportApplicationCertified",
    "SupportApproved",
    "SupportRejected",
    "SchoolEnrolmentSupported",
    "TuitionExempted",
    "VocationalTrainingEnrolled",
    "EmploymentCounsellingProvided",
    "LoanApplicationReferred",
    "LoanDisbursed",
    "ReferralRejected",
    "ReferralCompleted",
    "ReferralRevoked",
    "CaseTransferRequested",
    "CaseTransferAccepted",
    "CaseTransferRejected",
    "FamilyContacted",
    "GuardianAssigned",
    "ReturnedToResidence",
    "ReturnedToResidenceConfirmed",
    "ReintegrationFollowUpRecorded",
    "SupportRefused",
    "CriminalCaseLinked",
    "AnnualVictimListSubmitted",
    "ConsentRecorded",
    "ConsentWithdrawn",
    "RecordCorrected",
    "PersonsMerged",
    "PersonsUnmerged",
    "AccompanyingMinorLinked",
    "CaseReopened",
    "PeriodicReportSubmitted",
    "AdministrativeUnitSucceeded",
    "AgencySucceeded",
    "AnnualPlanIssued",
    "BudgetAllocated",
    "InspectionFindingRecorded",
    "TravelDocumentIssued",
]
ALL_TYPES = EXISTING + ADDED
# Support kinds are SupportPaid.support_type codes, not event types of their own.
NOT_EVENT_TYPES = ["InitialHardshipAllowancePaid"]
PERSON_REF = re.compile(r"(^|_)person_refs?$")


# -- an example record from a schema ----------------------------------------------------------------


def _string_for(name: str, i: int) -> str:
    """A plausible value for a string field, by the conventions of its name."""
    if PERSON_REF.search(name):
        return f"p-{0x7C1E + i:04x}"
    if name == "school_year":
        return "2025-2026"
    if name == "period_code":
        return "2026-Q1"
    if name == "new_value_json":
        return json.dumps({"exploitation_type": "forced_labour"})
    if name == "field":
        return "exploitation_types"
    if name in ("snapshot_hash", "prev_event_hash"):
        return "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    if name.endswith("_id") or name.endswith("_ids"):
        return f"{name.removesuffix('s').removesuffix('_id')}-{i:04d}"
    if name.endswith("_ref") or name.endswith("_refs") or name.endswith("_no"):
        return f"{name.split('_')[0].upper()}-2026-{i:05d}"
    return f"{name.removesuffix('s').upper()}-{i:02d}"


class Example:
    """Builds a record for an expanded schema: every optional field filled, every array non-empty."""

    def __init__(self) -> None:
        self.named: dict[str, dict[str, Any]] = {}  # named types met so far (Avro reuses them by name)
        self.counter = 0

    def value(self, schema: Any, name: str, namespace: str | None = None) -> Any:
        self.counter += 1
        i = self.counter
        if isinstance(schema, list):  # a union: take the first non-null branch
            return self.value(next(b for b in schema if b != "null"), name, namespace)
        if isinstance(schema, str):
            if schema in self.named or f"{namespace}.{schema}" in self.named:
                return self.value(self.named.get(schema) or self.named[f"{namespace}.{schema}"], name)
            return self.primitive(schema, name, i)
        kind = schema["type"]
        logical = schema.get("logicalType")
        if logical == "timestamp-micros":
            return dt.datetime(2026, 1, 5, 8, 30, 0, 123456, tzinfo=UTC) + dt.timedelta(hours=i)
        if logical == "date":
            return dt.date(2026, 1, 5) + dt.timedelta(days=i)
        if kind in ("record", "enum", "fixed"):
            ns = schema.get("namespace", namespace)
            full = schema["name"] if "." in schema["name"] else f"{ns}.{schema['name']}"
            self.named[full] = {**schema, "namespace": full.rpartition(".")[0]}
            self.named[schema["name"]] = self.named[full]
            namespace = full.rpartition(".")[0]
        if kind == "record":
            return {f["name"]: self.value(f["type"], f["name"], namespace) for f in schema["fields"]}
        if kind == "enum":
            symbols = schema["symbols"]
            return symbols[i % len(symbols)]
        if kind == "array":
            singular = name.removesuffix("s")
            return [self.value(schema["items"], singular, namespace) for _ in range(2)]
        if kind == "map":
            return {f"k{j}": self.value(schema["values"], name, namespace) for j in range(2)}
        if kind == "fixed":
            return bytes(range(schema["size"]))
        return self.value(kind, name, namespace)  # {"type": "long"} and similar

    @staticmethod
    def primitive(kind: str, name: str, i: int) -> Any:
        if kind == "string":
            return _string_for(name, i)
        if kind == "boolean":
            return i % 2 == 0
        if kind == "int":
            if "year" in name:
                return 2010 if "birth" in name else 2026
            return 3 + i % 5
        if kind == "long":
            return 1_350_000 * (1 + i % 4) if name.endswith("_vnd") else 7 + i
        if kind in ("float", "double"):
            return 0.875
        if kind == "bytes":
            return bytes(range(12)) if name == "nonce" else b"\x8f\x02" * 24
        raise AssertionError(f"no example for {kind}")


def example_event(event_type: str) -> dict[str, Any]:
    record = Example().value(CAT.latest(event_type).schema, event_type)
    record["envelope"].update(
        event_id="0b6f7c9e-3f0a-4f53-9d5c-2f8a9d1e0001",
        case_id="c-2026-HN-000123",
        legal_regime="L2024",
        legal_basis="L53/2024 Art27(2) am. L86/2025",
        subject_person_ref="p-7c1e",
        sensitivity="restricted",
    )
    return stamp_envelope(event_type, record)


def minimal_event(event_type: str) -> dict[str, Any]:
    """Only what a writer must give: every field with a default takes it."""
    full = example_event(event_type)
    fields = CAT.latest(event_type).schema["fields"]
    return {f["name"]: f["default"] if "default" in f else full[f["name"]] for f in fields}


def payload_fields(event_type: str) -> list[dict[str, Any]]:
    fields = CAT.latest(event_type).schema["fields"]
    assert fields[0]["name"] == "envelope"
    return fields[1:]


# -- the catalogue is complete --------------------------------------------------------------------


def test_the_type_lists_are_clean() -> None:
    assert len(set(ALL_TYPES)) == len(ALL_TYPES) == 73
    assert not set(NOT_EVENT_TYPES) & set(ALL_TYPES)


def test_catalogue_contains_every_event_type_of_the_domain() -> None:
    missing = sorted(set(ALL_TYPES) - set(CAT.event_types()))
    assert missing == []
    for name in NOT_EVENT_TYPES:
        assert name not in CAT.event_types()


@pytest.mark.parametrize("event_type", ADDED)
def test_added_type_is_a_v1_event_with_the_pinned_envelope_first(event_type: str) -> None:
    versions = CAT.versions(event_type)
    assert versions[0].version == 1  # later versions (e.g. PersonsMerged v2) keep the same shape rules
    for sv in versions:
        assert sv.name == f"lienthong.events.{event_type}" and sv.is_event
        raw = json.loads(sv.path.read_text(encoding="utf-8"))
        assert raw["namespace"] == "lienthong.events" and raw["lienthong.envelope"] == 1
        assert raw["fields"][0] == {"name": "envelope", "type": "lienthong.Envelope"}
        assert raw.get("doc")


# -- every event type round-trips a realistic record ----------------------------------------------


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_example_record_round_trips(event_type: str) -> None:
    record = example_event(event_type)
    assert fastavro_validate(record, CAT.latest(event_type).parsed, raise_errors=True)
    decoded = decode(encode(event_type, record))
    assert decoded.writer is decoded.schema is CAT.latest(event_type)
    assert decoded.record == record


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_minimal_record_round_trips(event_type: str) -> None:
    record = minimal_event(event_type)
    assert decode(encode(event_type, record)).record == record


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_payload_passes_the_json_door_of_the_decider(event_type: str) -> None:
    # Agencies submit payloads as JSON; lienthong.contracts converts them by the schema. A type it
    # cannot follow (e.g. a map, or a named type reused by name) would make the event unsubmittable.
    schema = CAT.latest(event_type).schema
    record = example_event(event_type)
    payload = {k: v for k, v in record.items() if k != "envelope"}
    assert from_json(schema, to_json(payload), skip=("envelope",)) == payload


# -- naming and typing rules ----------------------------------------------------------------------


def _is_string(type_: Any) -> bool:
    return type_ == "string" or (isinstance(type_, dict) and type_.get("type") == "string")


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_person_refs_are_pseudonymous_strings(event_type: str) -> None:
    for f in payload_fields(event_type):
        name, type_ = f["name"], f["type"]
        if not PERSON_REF.search(name):
            assert "person" not in name or "personal_data" in name, (
                f"{event_type}.{name}: name a person ref *_person_ref(s)"
            )
            continue
        if isinstance(type_, list):  # nullable ref
            assert type_[0] == "null" and len(type_) == 2 and f.get("default", "") is None
            type_ = type_[1]
        if name.endswith("_refs"):
            assert isinstance(type_, dict) and type_["type"] == "array", f"{event_type}.{name}"
            assert _is_string(type_["items"]), f"{event_type}.{name}"
            assert f.get("default") == []
        else:
            assert _is_string(type_), f"{event_type}.{name}"


def test_person_ref_rule_sees_the_new_fields() -> None:
    seen = {f"{t}.{f['name']}" for t in ADDED for f in payload_fields(t) if PERSON_REF.search(f["name"])}
    assert {
        "RescueCompleted.rescued_person_refs",
        "GuardianAssigned.guardian_person_ref",
        "PersonsMerged.surviving_person_ref",
        "AccompanyingMinorLinked.minor_person_ref",
        "AnnualVictimListSubmitted.victim_person_refs",
    } <= seen


@pytest.mark.parametrize("event_type", ADDED)
def test_optional_fields_default_to_null_and_arrays_to_empty(event_type: str) -> None:
    for f in payload_fields(event_type):
        type_ = f["type"]
        if isinstance(type_, list):
            assert type_[0] == "null" and "default" in f and f["default"] is None, f"{event_type}.{f['name']}"
        if isinstance(type_, dict) and type_.get("type") == "array":
            assert f.get("default") == [], f"{event_type}.{f['name']}"


@pytest.mark.parametrize("event_type", ADDED)
def test_money_is_whole_vnd_and_instants_are_micros(event_type: str) -> None:
    for f in payload_fields(event_type):
        name = f["name"]
        type_ = f["type"][1] if isinstance(f["type"], list) else f["type"]
        if name.endswith("_vnd"):
            assert type_ == "long", f"{event_type}.{name}"
        if name.endswith("_at") or name == "valid_until":
            assert type_ == {"type": "long", "logicalType": "timestamp-micros"}, f"{event_type}.{name}"
        if name.endswith("_on") or name.endswith("_date") or name in ("valid_from", "valid_to"):
            assert type_ == {"type": "int", "logicalType": "date"}, f"{event_type}.{name}"


def test_record_corrected_keeps_personal_data_sealed() -> None:
    schema = CAT.latest("RecordCorrected").schema
    assert "sealed_corrections" in schema["doc"]
    sealed = next(f for f in schema["fields"] if f["name"] == "sealed_corrections")
    assert sealed["type"][0] == "null" and sealed["type"][1]["name"] == "SealedPersonalData"


# -- compatibility --------------------------------------------------------------------------------


def test_whole_catalogue_is_compatible() -> None:
    assert check_all(CAT) == []
