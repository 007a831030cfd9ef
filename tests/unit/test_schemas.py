"""The Avro contracts: catalogue, privacy rule, fingerprints, compatibility and the release lock."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lienthong.schemas import (
    Catalogue,
    SchemaLoadError,
    UnknownSchemaError,
    avro_fingerprint,
    check_all,
    check_pair,
)
from lienthong.schemas import lock as schema_lock
from lienthong.schemas.catalogue import AVRO_DIR

CAT = Catalogue.default()

EVENT_TYPES = [
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
ENVELOPE_FIELDS = [
    "event_id",
    "event_type",
    "schema_fingerprint",
    "case_id",
    "case_version",
    "occurred_at",
    "recorded_at",
    "emitter_agency_code",
    "emitter_agency_type",
    "emitter_unit_code",
    "actor_pseudonym",
    "legal_regime",
    "legal_basis",
    "admin_unit_code",
    "admin_unit_version",
    "subject_person_ref",
    "sensitivity",
    "consent_ref",
    "submission_id",
    "correlation_id",
    "causation_id",
    "prev_event_hash",
]


# -- catalogue ------------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_event_type_exists_at_v1_with_the_envelope_first(event_type: str) -> None:
    v1 = CAT.versions(event_type)[0]
    assert v1.version == 1 and v1.name == f"lienthong.events.{event_type}"
    first = v1.schema["fields"][0]
    assert first["name"] == "envelope"
    assert first["type"]["name"] == "Envelope" and first["type"]["namespace"] == "lienthong"
    assert [f["name"] for f in first["type"]["fields"]] == ENVELOPE_FIELDS
    raw = json.loads(v1.path.read_text())
    assert raw["fields"][0] == {"name": "envelope", "type": "lienthong.Envelope"}
    assert raw["lienthong.envelope"] == 1


def test_the_backbone_event_types_are_in_the_catalogue() -> None:
    assert set(EVENT_TYPES) <= set(CAT.event_types())


def test_tip_received_has_a_real_second_version() -> None:
    v1, v2 = CAT.versions("TipReceived")
    assert CAT.latest("TipReceived") is v2
    assert [f["name"] for f in v2.schema["fields"]] == [f["name"] for f in v1.schema["fields"]] + ["language"]
    language = v2.schema["fields"][-1]
    assert (language["type"], language["default"]) == (["null", "string"], None)


def test_lookup_by_fingerprint_short_and_full_name() -> None:
    for sv in CAT.all():
        assert CAT.by_fingerprint(sv.fingerprint) is sv
        assert len(sv.fingerprint) == 8 and sv.fingerprint.hex() == sv.fingerprint_hex
        assert sv in CAT.versions(sv.short_name) and sv in CAT.versions(sv.name)
    assert CAT.get("TipReceived", 1) is CAT.versions("lienthong.events.TipReceived")[0]
    with pytest.raises(UnknownSchemaError, match="no schema named 'Nope'"):
        CAT.latest("Nope")
    with pytest.raises(UnknownSchemaError, match="has no version 9"):
        CAT.get("TipReceived", 9)


def test_expanded_schemas_are_self_contained() -> None:
    # A consumer without our catalogue can parse a schema on its own (e.g. with avro-py or Java).
    import avro.schema

    for sv in CAT.all():
        text = json.dumps(sv.schema)
        avro.schema.parse(text)
        assert '"lienthong.Envelope"' not in text.replace('"namespace": "lienthong"', "")


def test_a_named_type_has_one_definition_across_latest_versions() -> None:
    seen: dict[str, tuple[str, Any]] = {}

    def walk(node: Any, owner: str) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n, owner)
        elif isinstance(node, dict):
            if node.get("type") in ("record", "enum", "fixed") and "." not in node["name"]:
                full = f"{node.get('namespace', 'lienthong.events')}.{node['name']}"
                first = seen.setdefault(full, (owner, node))
                assert first[1] == node, f"{full} differs between {first[0]} and {owner}"
            for value in node.values():
                walk(value, owner)

    for name in CAT.names():
        walk(CAT.latest(name).schema, name)
    assert "lienthong.events.Sex" in seen


def test_loader_refuses_a_dangling_reference(tmp_path: Path) -> None:
    root = _copy_avro(tmp_path)
    raw = json.loads((root / "CaseClosed/v1.avsc").read_text())
    raw["fields"].append({"name": "x", "type": "lienthong.DoesNotExist"})
    (root / "CaseClosed/v1.avsc").write_text(json.dumps(raw))
    with pytest.raises(SchemaLoadError, match="unknown type lienthong.DoesNotExist"):
        Catalogue(root)


def test_loader_refuses_a_gap_in_versions(tmp_path: Path) -> None:
    root = _copy_avro(tmp_path)
    shutil.copy(root / "CaseClosed/v1.avsc", root / "CaseClosed/v3.avsc")
    with pytest.raises(SchemaLoadError, match="without gaps"):
        Catalogue(root)


# -- personal data only sealed --------------------------------------------------------------------

PII_TOKENS = set(
    [
        "name",
        "names",
        "fullname",
        "surname",
        "cccd",
        "cmnd",
        "passport",
        "address",
        "phone",
        "mobile",
        "email",
        "contact",
        "contacts",
        "narrative",
        "story",
        "statement",
        "description",
        "comment",
        "notes",
        "dob",
        "photo",
        "photos",
        "biometric",
        "personal",
    ]
)
PII_PHRASES = ("full_name", "id_number", "identity_number", "date_of_birth", "birth_date", "home_town")
SEALED = "lienthong.SealedPersonalData"
# Deliberate exception, reviewed: an agency writes plaintext to ITS OWN inbox topic; the exchange's relay
# seals it before it reaches the submissions topic or any event.
ALLOWED_PLAINTEXT = {("lienthong.InboxSubmission", "personal_data_json")}


def _is_sealed(type_: Any) -> bool:
    branches = type_ if isinstance(type_, list) else [type_]
    named = [b for b in branches if b != "null"]
    return len(named) == 1 and (
        named[0] == SEALED or (isinstance(named[0], dict) and named[0].get("name") == "SealedPersonalData")
    )


def plaintext_personal_fields(schema: dict[str, Any], owner: str) -> list[str]:
    """Dotted paths of fields named like personal data whose type is not SealedPersonalData."""
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, list):
            for branch in node:
                walk(branch, path)
        elif isinstance(node, dict):
            kind = node.get("type")
            if kind == "record":
                for f in node["fields"]:
                    name = f["name"].lower()
                    looks_personal = set(name.split("_")) & PII_TOKENS or any(p in name for p in PII_PHRASES)
                    where = f"{path}.{f['name']}".lstrip(".")
                    if (
                        looks_personal
                        and not _is_sealed(f["type"])
                        and (owner, where) not in ALLOWED_PLAINTEXT
                    ):
                        found.append(where)
                    walk(f["type"], where)
            elif kind == "array":
                walk(node["items"], path + "[]")
            elif kind == "map":
                walk(node["values"], path + "{}")
            elif isinstance(kind, dict | list):
                walk(kind, path)

    walk(schema, "")
    return found


def test_no_schema_carries_personal_data_in_clear() -> None:
    offenders = {
        f"{sv.name} v{sv.version}": bad
        for sv in CAT.all()
        if (bad := plaintext_personal_fields(sv.schema, sv.name))
    }
    assert offenders == {}


def test_the_personal_data_scan_is_not_vacuous() -> None:
    schema = CAT.latest("PersonReported").schema
    tampered = {
        **schema,
        "fields": [
            *schema["fields"],
            {"name": "full_name", "type": "string"},
            {"name": "contact_phone", "type": ["null", "string"]},
            {"name": "home_address", "type": {"type": "array", "items": "string"}},
            {"name": "sealed_address", "type": ["null", SEALED]},
        ],
    }
    assert plaintext_personal_fields(tampered, "x") == ["full_name", "contact_phone", "home_address"]
    assert plaintext_personal_fields(CAT.latest("InboxSubmission").schema, "other") == ["personal_data_json"]
    # every sealed field in the catalogue really is SealedPersonalData
    tip = {f["name"]: f for f in CAT.latest("TipReceived").schema["fields"]}
    assert _is_sealed(tip["narrative"]["type"])


# -- fingerprints ---------------------------------------------------------------------------------

_EMPTY64 = 0xC15D213AA4D7A795  # the Avro spec's CRC-64-AVRO "empty" value


def rabin64(data: bytes) -> int:
    """The Avro spec's reference fingerprint64 algorithm, independent of fastavro."""
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (_EMPTY64 & -(fp & 1))
        table.append(fp)
    fp = _EMPTY64
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


def soe_bytes(signed_java_long: int) -> bytes:
    return (signed_java_long & (2**64 - 1)).to_bytes(8, "little")


# apache/avro share/test/data/schema-tests.txt: (input, canonical form, Java fingerprint64).
RECORD_IN = '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}'
ENUM_IN = '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}'
SPEC_VECTORS = [
    ('"null"', '"null"', 7195948357588979594),
    ('"string"', '"string"', -8142146995180207161),
    ('{"type":"long"}', '"long"', -3434872931120570953),
    (RECORD_IN, '{"name":"x.y.foo","type":"record","fields":[]}', 5916914534497305771),
    (ENUM_IN, '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}', -4448647247586288245),
    # The [PRIMITIVES] rule strips logicalType: same as plain "long" (avro-py 1.12 gets this wrong).
    ('{"type":"long","logicalType":"timestamp-micros"}', '"long"', -3434872931120570953),
]


@pytest.mark.parametrize(("text", "canonical", "java_fp"), SPEC_VECTORS)
def test_fingerprint_matches_the_avro_spec(text: str, canonical: str, java_fp: int) -> None:
    from fastavro.schema import to_parsing_canonical_form

    assert to_parsing_canonical_form(json.loads(text)) == canonical
    assert rabin64(canonical.encode()) == java_fp & (2**64 - 1)
    assert avro_fingerprint(json.loads(text)) == soe_bytes(java_fp)


def test_pinned_vector_for_a_record_with_logical_types() -> None:
    schema = {
        "type": "record",
        "name": "Tick",
        "namespace": "lienthong.test",
        "fields": [
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        ],
    }
    canonical = '{"name":"lienthong.test.Tick","type":"record","fields":[{"name":"at","type":"long"},{"name":"day","type":"int"}]}'  # noqa: E501
    assert rabin64(canonical.encode()).to_bytes(8, "little").hex() == "3164e2937c83ab6e"
    assert avro_fingerprint(schema).hex() == "3164e2937c83ab6e"


def test_catalogue_fingerprints_are_crc64_of_the_canonical_form() -> None:
    for sv in CAT.all():
        assert sv.fingerprint == rabin64(sv.canonical_form.encode()).to_bytes(8, "little")
        assert '"logicalType"' not in sv.canonical_form and '"default"' not in sv.canonical_form


# -- compatibility --------------------------------------------------------------------------------


def test_shipped_catalogue_is_full_transitive_compatible() -> None:
    assert check_all(CAT) == []


def test_tip_received_versions_really_are_checked_both_ways() -> None:
    v1, v2 = CAT.versions("TipReceived")
    assert check_pair(reader=v2, writer=v1) == [] and check_pair(reader=v1, writer=v2) == []


def _copy_avro(tmp_path: Path) -> Path:
    root = tmp_path / "avro"
    shutil.copytree(AVRO_DIR, root)
    return root


def _add_tip_v3(root: Path, edit: Any) -> None:
    raw = json.loads((root / "TipReceived/v2.avsc").read_text())
    edit(raw)
    (root / "TipReceived/v3.avsc").write_text(json.dumps(raw))


def _field(raw: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in raw["fields"] if f["name"] == name)


def test_new_required_field_without_default_is_detected(tmp_path: Path) -> None:
    root = _copy_avro(tmp_path)
    _add_tip_v3(root, lambda raw: raw["fields"].append({"name": "priority", "type": "int"}))
    found = check_all(Catalogue(root))
    assert {(i.reader_version, i.writer_version, i.direction) for i in found} == {
        (3, 1, "backward"),
        (3, 2, "backward"),
    }
    for inc in found:
        assert inc.fields == ["priority"] and inc.locations == ["/fields/10"]
        assert "'priority'" in str(inc) and "no default" in str(inc)


def test_changed_type_is_detected_both_ways(tmp_path: Path) -> None:
    root = _copy_avro(tmp_path)
    _add_tip_v3(root, lambda raw: _field(raw, "suspected_count").update(type="string"))
    found = check_all(Catalogue(root))
    assert {(i.reader_version, i.writer_version, i.direction) for i in found} == {
        (3, 1, "backward"),
        (3, 2, "backward"),
        (1, 3, "forward"),
        (2, 3, "forward"),
    }
    assert all(i.fields == ["suspected_count"] for i in found)
    assert "reader type: string not compatible with writer type: int" in found[0].messages


def test_changed_logical_type_is_detected(tmp_path: Path) -> None:
    # Same bytes, different meaning: avro-py alone would call this compatible.
    root = _copy_avro(tmp_path)
    micros = {"type": "long", "logicalType": "timestamp-micros"}
    heard_at = {"name": "heard_at", "type": ["null", micros], "default": None}
    _add_tip_v3(root, lambda raw: raw["fields"].append(heard_at))
    v4 = json.loads(
        (root / "TipReceived/v3.avsc").read_text().replace("timestamp-micros", "timestamp-millis")
    )
    (root / "TipReceived/v4.avsc").write_text(json.dumps(v4))
    # With only the logical type changed, v3 and v4 have one canonical form: SOE could not tell them apart.
    with pytest.raises(SchemaLoadError, match="same canonical form"):
        Catalogue(root)
    v4["fields"].append({"name": "y", "type": ["null", "int"], "default": None})
    (root / "TipReceived/v4.avsc").write_text(json.dumps(v4))
    found = check_all(Catalogue(root))
    assert found and all(
        i.fields == ["heard_at"] and {i.reader_version, i.writer_version} == {3, 4} for i in found
    )
    assert "logical type changed: writer timestamp-micros, reader timestamp-millis" in found[0].messages


def test_enum_symbols_may_grow_only_where_a_default_exists(tmp_path: Path) -> None:
    root = _copy_avro(tmp_path)

    def grow(raw: dict[str, Any]) -> None:
        _field(raw, "channel")["type"]["symbols"].insert(-1, "zalo")

    _add_tip_v3(root, grow)
    assert check_all(Catalogue(root)) == []  # TipChannel has default "other"
    raw = json.loads((root / "InitialVerificationCompleted/v1.avsc").read_text())
    _field(raw, "result")["type"]["symbols"].append("referred")
    (root / "InitialVerificationCompleted/v2.avsc").write_text(json.dumps(raw))
    found = check_all(Catalogue(root))
    assert [(i.name, i.direction) for i in found] == [
        ("lienthong.events.InitialVerificationCompleted", "forward")
    ]
    assert found[0].fields == ["result"]


# -- release lock ---------------------------------------------------------------------------------


def test_every_released_schema_keeps_its_locked_fingerprint() -> None:
    fps, digests = schema_lock.current(CAT)
    for path, now in ((schema_lock.FINGERPRINTS_LOCK, fps), (schema_lock.CONTENTS_LOCK, digests)):
        drift = schema_lock.compare(schema_lock.read_lock(path), now, path.name)
        assert drift.changed == [], "a released .avsc was edited; add a new version instead"
        assert drift.removed == [], "a released .avsc was deleted"
        assert drift.added == [], "new schema versions must be locked: python -m lienthong.schemas.lock"


def test_lock_file_shape() -> None:
    lock = json.loads(schema_lock.FINGERPRINTS_LOCK.read_text())
    assert lock["lienthong.events.TipReceived"] == {
        "1": CAT.get("TipReceived", 1).fingerprint_hex,
        "2": CAT.get("TipReceived", 2).fingerprint_hex,
    }


def _lock_tool(root: Path, lock_dir: Path, *extra: str) -> int:
    return schema_lock.main(["--avro-dir", str(root), "--lock-dir", str(lock_dir), *extra])


def test_lock_tool_adds_new_versions_and_refuses_to_change_released_ones(tmp_path: Path, capsys: Any) -> None:
    root = _copy_avro(tmp_path)
    lock_dir = tmp_path / "locks"
    lock_dir.mkdir()
    for lock in (schema_lock.FINGERPRINTS_LOCK, schema_lock.CONTENTS_LOCK):
        shutil.copy(lock, lock_dir / lock.name)
    assert _lock_tool(root, lock_dir, "--check") == 0

    # a new compatible version: --check fails until it is locked deliberately
    _add_tip_v3(
        root, lambda raw: raw["fields"].append({"name": "x", "type": ["null", "int"], "default": None})
    )
    assert _lock_tool(root, lock_dir, "--check") == 1
    assert _lock_tool(root, lock_dir) == 0
    locked = json.loads((lock_dir / "fingerprints.lock.json").read_text())["lienthong.events.TipReceived"]
    assert locked == {
        "1": CAT.get("TipReceived", 1).fingerprint_hex,
        "2": CAT.get("TipReceived", 2).fingerprint_hex,
        "3": Catalogue(root).get("TipReceived", 3).fingerprint_hex,
    }

    # editing a released file: refused, lock untouched
    before = (lock_dir / "fingerprints.lock.json").read_text()
    raw = json.loads((root / "CaseClosed/v1.avsc").read_text())
    _field(raw, "reason")["type"]["symbols"].append("transferred")
    (root / "CaseClosed/v1.avsc").write_text(json.dumps(raw))
    capsys.readouterr()
    assert _lock_tool(root, lock_dir) == 1
    assert "REFUSED lienthong.events.CaseClosed v1" in capsys.readouterr().err
    assert (lock_dir / "fingerprints.lock.json").read_text() == before


def test_content_lock_catches_edits_the_fingerprint_cannot_see(tmp_path: Path) -> None:
    # Defaults and logical types are not in the canonical form, but they change what readers get.
    root = _copy_avro(tmp_path)
    raw = json.loads((root / "CaseClosed/v1.avsc").read_text())
    _field(raw, "reason")["type"]["default"] = "duplicate"
    (root / "CaseClosed/v1.avsc").write_text(json.dumps(raw))
    edited = Catalogue(root).latest("CaseClosed")
    assert edited.fingerprint == CAT.latest("CaseClosed").fingerprint
    fps, digests = schema_lock.current(Catalogue(root))
    locked = schema_lock.read_lock(schema_lock.CONTENTS_LOCK)
    assert schema_lock.compare(locked, digests, "content").changed
