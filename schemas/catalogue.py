"""Every released Avro contract, expanded to a self-contained schema and fingerprinted.

Layout: avro/<ShortName>/v<N>.avsc, one file per type and version, never edited once released.
A file may reference shared named types of other files by full name (e.g. "lienthong.Envelope").
The version used is pinned in the file, so a released schema never changes when a shared type ships a
new version: "lienthong.envelope": N pins lienthong.Envelope; "lienthong.refs": {"<full name>": N}
pins any other; an unpinned shared type resolves to its v1.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.schema import fingerprint as _fastavro_fingerprint
from fastavro.schema import to_parsing_canonical_form

from .errors import SchemaLoadError, UnknownSchemaError

AVRO_DIR = Path(__file__).parent / "avro"
EVENTS_NAMESPACE = "lienthong.events"
ENVELOPE = "lienthong.Envelope"
ENVELOPE_PIN = "lienthong.envelope"
REFS_PIN = "lienthong.refs"

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})
_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.avsc$")


@dataclass(frozen=True, eq=False)
class SchemaVersion:
    """One released version of one named type."""

    name: str  # full name, e.g. "lienthong.events.TipReceived"
    short_name: str  # e.g. "TipReceived"
    version: int
    schema: dict[str, Any]  # expanded, self-contained schema (plain JSON)
    parsed: dict[str, Any] = field(repr=False)  # fastavro.parse_schema(schema)
    canonical_form: str = field(repr=False)  # Avro Parsing Canonical Form (fastavro)
    fingerprint: bytes = field(repr=False)  # CRC-64-AVRO, 8 bytes little-endian (as in the SOE header)
    fingerprint_hex: str
    path: Path = field(repr=False)

    @property
    def is_event(self) -> bool:
        return self.name.startswith(EVENTS_NAMESPACE + ".")


def avro_fingerprint(schema: Any) -> bytes:
    """CRC-64-AVRO fingerprint of a schema's Parsing Canonical Form, 8 bytes little-endian.

    Uses fastavro only: avro-py's canonical form keeps logicalType on primitives and gives other values.
    """
    return bytes.fromhex(_fastavro_fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))


def fullname(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _named_types(node: Any, namespace: str | None, out: set[str]) -> None:
    """Collect the full names of every named type defined in `node`."""
    if isinstance(node, list):
        for branch in node:
            _named_types(branch, namespace, out)
    elif isinstance(node, dict):
        kind = node.get("type")
        if kind in NAMED:
            full = fullname(node["name"], node.get("namespace", namespace))
            out.add(full)
            inner_ns = full.rpartition(".")[0] or None
            for f in node.get("fields", ()):
                _named_types(f["type"], inner_ns, out)
        elif kind == "array":
            _named_types(node["items"], namespace, out)
        elif kind == "map":
            _named_types(node["values"], namespace, out)
        elif isinstance(kind, dict | list):
            _named_types(kind, namespace, out)


class Catalogue:
    """All contracts under one avro/ directory. Immutable after construction."""

    def __init__(self, root: Path | str = AVRO_DIR) -> None:
        self.root = Path(root)
        self._raw: dict[tuple[str, int], tuple[dict[str, Any], Path]] = {}
        self._short: dict[str, str] = {}  # short name -> full name
        self._scan()
        self._expanded: dict[tuple[str, int], dict[str, Any]] = {}
        self._versions: dict[str, list[SchemaVersion]] = {}
        self._by_fp: dict[bytes, SchemaVersion] = {}
        for key in sorted(self._raw):
            sv = self._build(*key)
            self._versions.setdefault(sv.name, []).append(sv)
            other = self._by_fp.setdefault(sv.fingerprint, sv)
            if other is not sv:
                raise SchemaLoadError(
                    f"{sv.path} has the same canonical form as {other.path} (fingerprint "
                    f"{sv.fingerprint_hex}); single-object encoding could not tell them apart"
                )
        # Asked by the decider for every submission: computed once (the catalogue never changes).
        self._event_types = tuple(sorted(v[0].short_name for v in self._versions.values() if v[0].is_event))
        self._event_type_set = frozenset(self._event_types)

    @classmethod
    def default(cls) -> Catalogue:
        """The catalogue shipped with the package (loaded once per process)."""
        return _default_catalogue()

    # -- queries --------------------------------------------------------------------------------------

    def resolve_name(self, name: str) -> str:
        """Full name for a full or short name."""
        if name in self._versions:
            return name
        full = self._short.get(name)
        if full is None:
            raise UnknownSchemaError(f"no schema named {name!r} in {self.root}")
        return full

    def versions(self, name: str) -> list[SchemaVersion]:
        return list(self._versions[self.resolve_name(name)])

    def latest(self, name: str) -> SchemaVersion:
        return self._versions[self.resolve_name(name)][-1]

    def get(self, name: str, version: int | None = None) -> SchemaVersion:
        """A given version of a type (the latest when version is None)."""
        versions = self._versions[self.resolve_name(name)]
        if version is None:
            return versions[-1]
        if not 1 <= version <= len(versions):
            raise UnknownSchemaError(f"{name} has no version {version} (latest is {len(versions)})")
        return versions[version - 1]

    def by_fingerprint(self, fp: bytes) -> SchemaVersion:
        sv = self._by_fp.get(bytes(fp))
        if sv is None:
            hexfp = bytes(fp).hex()
            raise UnknownSchemaError(
                f"no schema with fingerprint {hexfp} in the catalogue (written by a newer release?)",
                fingerprint_hex=hexfp,
            )
        return sv

    def event_types(self) -> list[str]:
        """Short names of all event types, e.g. ["CaseClosed", ..., "TipReceived", ...]."""
        return list(self._event_types)

    def is_event_type(self, name: str) -> bool:
        return name in self._event_type_set

    def names(self) -> list[str]:
        return sorted(self._versions)

    def all(self) -> list[SchemaVersion]:
        return [sv for name in sorted(self._versions) for sv in self._versions[name]]

    def __contains__(self, fp: object) -> bool:
        return isinstance(fp, bytes | bytearray) and bytes(fp) in self._by_fp

    # -- loading --------------------------------------------------------------------------------------

    def _scan(self) -> None:
        if not self.root.is_dir():
            raise SchemaLoadError(f"schema directory {self.root} does not exist")
        for type_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            numbers = []
            for path in sorted(type_dir.glob("*.avsc")):
                match = _VERSION_FILE.match(path.name)
                if not match:
                    raise SchemaLoadError(f"{path}: schema files must be named v<N>.avsc")
                try:
                    raw = json.loads(path.read_text(encoding="utf-8"))
                except json.JSONDecodeError as exc:
                    raise SchemaLoadError(f"{path}: invalid JSON: {exc}") from exc
                if not isinstance(raw, dict) or raw.get("type") not in NAMED:
                    raise SchemaLoadError(f"{path}: top level must be a named type (record, enum or fixed)")
                full = fullname(raw["name"], raw.get("namespace"))
                short = full.rpartition(".")[2]
                if short != type_dir.name:
                    raise SchemaLoadError(f"{path}: defines {full}, but lives in folder {type_dir.name}/")
                if self._short.setdefault(short, full) != full:
                    raise SchemaLoadError(
                        f"{path}: short name {short} is already used by {self._short[short]}"
                    )
                version = int(match.group(1))
                numbers.append(version)
                self._raw[(full, version)] = (raw, path)
            if numbers and sorted(numbers) != list(range(1, len(numbers) + 1)):
                raise SchemaLoadError(
                    f"{type_dir}: versions must be v1..vN without gaps, found {sorted(numbers)}"
                )

    def _build(self, name: str, version: int) -> SchemaVersion:
        schema = self._expand(name, version, ())
        path = self._raw[(name, version)][1]
        try:
            parsed = parse_schema(copy.deepcopy(schema))
        except Exception as exc:  # fastavro raises several types for bad schemas
            raise SchemaLoadError(f"{path}: {exc}") from exc
        pcf = to_parsing_canonical_form(parsed)
        fp = bytes.fromhex(_fastavro_fingerprint(pcf, "CRC-64-AVRO"))
        return SchemaVersion(
            name=name,
            short_name=name.rpartition(".")[2],
            version=version,
            schema=schema,
            parsed=parsed,
            canonical_form=pcf,
            fingerprint=fp,
            fingerprint_hex=fp.hex(),
            path=path,
        )

    def _pinned_version(self, raw: dict[str, Any], ref: str, path: Path) -> int:
        if ref == ENVELOPE:
            if ENVELOPE_PIN not in raw:
                raise SchemaLoadError(f'{path}: references {ENVELOPE} but lacks "{ENVELOPE_PIN}": <version>')
            return int(raw[ENVELOPE_PIN])
        return int(raw.get(REFS_PIN, {}).get(ref, 1))

    def _expand(self, name: str, version: int, stack: tuple[tuple[str, int], ...]) -> dict[str, Any]:
        """Self-contained copy of a schema: the first use of an external named type is inlined
        (its pinned version, itself expanded); later uses stay name references, as Avro requires."""
        key = (name, version)
        if key in self._expanded:
            return self._expanded[key]
        if key in stack:
            cycle = " -> ".join(f"{n}@v{v}" for n, v in (*stack, key))
            raise SchemaLoadError(f"cyclic reference between schema files: {cycle}")
        raw, path = self._raw[key]
        defined: set[str] = set()

        def walk(node: Any, namespace: str | None) -> Any:
            if isinstance(node, str):
                if node in PRIMITIVES:
                    return node
                full = fullname(node, namespace)
                if full in defined:
                    return node
                pinned = self._pinned_version(raw, full, path)
                if (full, pinned) not in self._raw:
                    raise SchemaLoadError(f"{path}: unknown type {full} (version {pinned})")
                inlined = copy.deepcopy(self._expand(full, pinned, (*stack, key)))
                _named_types(inlined, None, defined)
                return inlined
            if isinstance(node, list):
                return [walk(branch, namespace) for branch in node]
            if not isinstance(node, dict):
                raise SchemaLoadError(f"{path}: invalid schema node {node!r}")
            kind = node.get("type")
            out = dict(node)
            if kind in NAMED:
                full = fullname(node["name"], node.get("namespace", namespace))
                if full in defined:
                    raise SchemaLoadError(f"{path}: type {full} is defined twice")
                defined.add(full)
                inner_ns = full.rpartition(".")[0] or None
                if "fields" in node:
                    out["fields"] = [{**f, "type": walk(f["type"], inner_ns)} for f in node["fields"]]
            elif kind == "array":
                out["items"] = walk(node["items"], namespace)
            elif kind == "map":
                out["values"] = walk(node["values"], namespace)
            elif isinstance(kind, str) and kind not in PRIMITIVES:
                return walk(kind, namespace)  # {"type": "lienthong.Envelope"} written as an object
            elif isinstance(kind, dict | list):
                out["type"] = walk(kind, namespace)
            return out

        expanded = walk(raw, None)
        # The top level of an inlined type must carry its namespace explicitly.
        if "." not in expanded["name"]:
            expanded["namespace"] = name.rpartition(".")[0]
        self._expanded[key] = expanded
        return expanded


@cache
def _default_catalogue() -> Catalogue:
    return Catalogue(AVRO_DIR)
