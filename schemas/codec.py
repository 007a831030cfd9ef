"""Avro single-object encoding (SOE): C3 01 + 8-byte CRC-64-AVRO fingerprint (little-endian) + body.

Any consumer finds the writer schema from the fingerprint in the catalogue, then resolves it to the
reader version it understands (by default the latest version of the same type).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError

from .catalogue import Catalogue, SchemaVersion
from .decoder import NotCompiled, Read, compile_decoder
from .encoder import Encode, compile_encoder
from .errors import ContractError, DecodeError, SchemaError
from .validation import Check, compile_checker

MARKER = b"\xc3\x01"
HEADER_LEN = len(MARKER) + 8


@dataclass(frozen=True, slots=True)
class Decoded:
    schema: SchemaVersion  # the version whose shape `record` has (the reader)
    record: dict[str, Any]
    writer: SchemaVersion  # the version the bytes were written with


class Codec:
    """Encoder/decoder bound to one catalogue; caches per-schema checkers and name lookups."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._checkers: dict[SchemaVersion, Check] = {}
        self._encoders: dict[SchemaVersion, Encode] = {}
        # Marker + fingerprint -> the writer, the latest version of its name (the default reader) and its
        # generated reader (None: fastavro reads it). One lookup in place of the header checks and two
        # catalogue lookups per record.
        self._writers: dict[bytes, tuple[SchemaVersion, SchemaVersion, Read | None]] = {}
        self._latest: dict[str, SchemaVersion] = {}

    @classmethod
    def default(cls) -> Codec:
        return _default_codec()

    def schema_for(self, target: str | SchemaVersion) -> SchemaVersion:
        """A SchemaVersion as given, or the latest version of a full or short name."""
        if isinstance(target, SchemaVersion):
            return target
        sv = self._latest.get(target)
        if sv is None:
            sv = self._latest[target] = self.catalogue.latest(target)
        return sv

    def validate(self, target: str | SchemaVersion, record: Mapping[str, Any]) -> SchemaVersion:
        """Raise ContractError (naming the field and the rule) unless `record` fits the schema."""
        sv = self.schema_for(target)
        checker = self._checkers.get(sv)
        if checker is None:
            checker = self._checkers[sv] = compile_checker(sv.parsed)
        checker(record)
        if sv.is_event:
            _check_envelope(sv, record["envelope"])
        return sv

    def stamp_envelope(self, target: str | SchemaVersion, record: Mapping[str, Any]) -> dict[str, Any]:
        """Copy of an event record whose envelope names this schema (event_type, schema_fingerprint)."""
        sv = self.schema_for(target)
        envelope = dict(record["envelope"], event_type=sv.short_name, schema_fingerprint=sv.fingerprint_hex)
        return {**record, "envelope": envelope}

    def encode(self, target: str | SchemaVersion, record: Mapping[str, Any]) -> bytes:
        """Validate `record` and encode it as SOE (ContractError naming field and rule if not)."""
        sv = self.schema_for(target)
        fast = self._encoders.get(sv)
        if fast is None:
            fast = self._encoders[sv] = compile_encoder(sv.parsed)
        try:
            body = fast(record)  # writes only what validate() would accept, as fastavro would write it
        except Exception:  # noqa: BLE001 - Unvouched, or anything odd: the reference path decides and says why
            return self._encode_checked(sv, record)
        if sv.is_event:
            _check_envelope(sv, record["envelope"])
        return MARKER + sv.fingerprint + body

    def _encode_checked(self, sv: SchemaVersion, record: Mapping[str, Any]) -> bytes:
        """The reference path: the path-aware checker, then fastavro's writer."""
        self.validate(sv, record)
        fo = io.BytesIO()
        fo.write(MARKER)
        fo.write(sv.fingerprint)
        schemaless_writer(fo, sv.parsed, record)
        return fo.getvalue()

    def decode(self, data: bytes, reader: str | SchemaVersion | None = None) -> Decoded:
        if data.__class__ is not bytes:
            data = bytes(data)  # a memoryview or bytearray: the generated reader slices and decodes bytes
        writer, latest, read = self._writer_of(data)
        target = latest if reader is None else self.schema_for(reader)
        if target is writer and read is not None:
            return Decoded(schema=writer, record=self._read(read, writer, data), writer=writer)
        fo = io.BytesIO(data)
        fo.seek(HEADER_LEN)
        try:
            record = schemaless_reader(fo, writer.parsed, None if target is writer else target.parsed)
        except SchemaResolutionError as exc:
            raise DecodeError(
                f"cannot read {writer.name} v{writer.version} as {target.name} v{target.version}: {exc}"
            ) from exc
        except (EOFError, ValueError, IndexError, UnicodeDecodeError, OverflowError) as exc:
            raise DecodeError(f"corrupt {writer.name} v{writer.version} body: {exc!r}") from exc
        _check_end(writer, fo.tell(), len(data))
        return Decoded(schema=target, record=record, writer=writer)

    def _writer_of(self, data: bytes) -> tuple[SchemaVersion, SchemaVersion, Read | None]:
        known = self._writers.get(data[:HEADER_LEN])
        if known is None:
            writer = self.catalogue.by_fingerprint(fingerprint_of(data))
            latest = self.schema_for(writer.name)
            known = self._writers[MARKER + writer.fingerprint] = (writer, latest, _compiled_or_none(writer))
        return known

    @staticmethod
    def _read(read: Read, writer: SchemaVersion, data: bytes) -> Any:
        """The generated reader's record, with the errors fastavro's path gives for the same bytes."""
        try:
            record, end = read(data, HEADER_LEN)
        except (ValueError, IndexError, UnicodeDecodeError, OverflowError, struct.error) as exc:
            raise DecodeError(f"corrupt {writer.name} v{writer.version} body: {exc!r}") from exc
        _check_end(writer, end, len(data))
        return record


def _compiled_or_none(sv: SchemaVersion) -> Read | None:
    try:
        return compile_decoder(sv.parsed)
    except NotCompiled:
        return None


def _check_end(writer: SchemaVersion, end: int, length: int) -> None:
    if end > length:
        raise DecodeError(f"corrupt {writer.name} v{writer.version} body: it ends {end - length} bytes early")
    if end != length:
        raise DecodeError(f"{length - end} trailing bytes after a {writer.name} v{writer.version} body")


def fingerprint_of(data: bytes) -> bytes:
    """The 8-byte writer-schema fingerprint of a single-object-encoded message."""
    if len(data) < HEADER_LEN or data[:2] != MARKER:
        head = bytes(data[:2]).hex() or "nothing"
        raise DecodeError(
            f"not Avro single-object encoding: expected marker c301 and 8 fingerprint bytes, "
            f"got {head} in {len(data)} bytes"
        )
    return bytes(data[2:HEADER_LEN])


def _check_envelope(sv: SchemaVersion, envelope: Mapping[str, Any]) -> None:
    """The envelope must name the schema the bytes are written with."""
    if envelope["event_type"] != sv.short_name:
        raise ContractError(
            "envelope.event_type",
            "mismatch",
            f"envelope.event_type is {envelope['event_type']!r} but the record is encoded as {sv.short_name}",
        )
    if envelope["schema_fingerprint"] != sv.fingerprint_hex:
        raise ContractError(
            "envelope.schema_fingerprint",
            "mismatch",
            f"envelope.schema_fingerprint is {envelope['schema_fingerprint']!r} but "
            f"{sv.short_name} v{sv.version} has fingerprint {sv.fingerprint_hex}",
        )


@cache
def _default_codec() -> Codec:
    return Codec(Catalogue.default())


def encode(name_or_version: str | SchemaVersion, record: Mapping[str, Any]) -> bytes:
    """Validate `record` and encode it as SOE with the given version (or a name's latest version)."""
    return Codec.default().encode(name_or_version, record)


def decode(data: bytes, reader: str | SchemaVersion | None = None) -> Decoded:
    """Decode SOE bytes, resolving the writer schema to `reader` (default: latest of the same type)."""
    return Codec.default().decode(data, reader)


def stamp_envelope(name_or_version: str | SchemaVersion, record: Mapping[str, Any]) -> dict[str, Any]:
    """Copy of an event record whose envelope carries this schema's event_type and fingerprint hex."""
    return Codec.default().stamp_envelope(name_or_version, record)


def validate(name_or_version: str | SchemaVersion, record: Mapping[str, Any]) -> SchemaVersion:
    """Raise ContractError unless `record` fits; returns the SchemaVersion it was checked against."""
    return Codec.default().validate(name_or_version, record)


__all__ = [
    "HEADER_LEN",
    "MARKER",
    "Codec",
    "ContractError",
    "DecodeError",
    "Decoded",
    "SchemaError",
    "decode",
    "encode",
    "fingerprint_of",
    "stamp_envelope",
    "validate",
]
