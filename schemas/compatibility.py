"""FULL_TRANSITIVE compatibility of every version of a type with all its earlier versions.

BACKWARD_TRANSITIVE: each new version reads data written with every older one.
FORWARD_TRANSITIVE: each older version reads data written with every newer one.
Uses avro-py's ReaderWriterCompatibilityChecker on the EXPANDED schemas (avro-py cannot resolve our
cross-file references). avro-py ignores logical types, so a logical-type change at the same place
(e.g. timestamp-micros -> timestamp-millis, which reads without error but means other numbers) is
reported here too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from .catalogue import PRIMITIVES, Catalogue, SchemaVersion

BACKWARD = "backward"  # the newer version reads the older one's data
FORWARD = "forward"  # the older version reads the newer one's data


@dataclass(frozen=True)
class Incompatibility:
    name: str
    reader_version: int
    writer_version: int
    direction: str  # BACKWARD or FORWARD
    messages: list[str]
    locations: list[str]  # JSON pointers into the reader schema, as avro-py reports them
    fields: list[str] = field(default_factory=list)  # the same locations as dotted field paths

    def __str__(self) -> str:
        where = ", ".join(self.fields or self.locations)
        return (
            f"{self.name}: v{self.reader_version} cannot read v{self.writer_version} ({self.direction}) "
            f"at {where}: {'; '.join(self.messages)}"
        )


def check_all(catalogue: Catalogue | None = None) -> list[Incompatibility]:
    """Every incompatibility between any two versions of the same type, both ways; [] when all is well."""
    catalogue = catalogue or Catalogue.default()
    found: list[Incompatibility] = []
    for name in catalogue.names():
        versions = catalogue.versions(name)
        for i, newer in enumerate(versions):
            for older in versions[:i]:
                found += check_pair(reader=newer, writer=older, direction=BACKWARD)
                found += check_pair(reader=older, writer=newer, direction=FORWARD)
    return found


def check_pair(reader: SchemaVersion, writer: SchemaVersion, direction: str = "") -> list[Incompatibility]:
    """Can `reader` read what `writer` wrote? [] if yes, else one Incompatibility explaining why."""
    direction = direction or (BACKWARD if reader.version >= writer.version else FORWARD)
    result = ReaderWriterCompatibilityChecker().get_compatibility(_avro_py(reader), _avro_py(writer))
    messages = sorted(_explain(m) for m in result.messages)
    locations = sorted(loc for loc in result.locations if loc != "/")
    if result.compatibility is SchemaCompatibilityType.compatible:
        messages, locations = [], []
    for path, r_logical, w_logical in _logical_type_changes(reader.schema, writer.schema, []):
        locations.append(path)
        messages.append(f"logical type changed: writer {w_logical or 'none'}, reader {r_logical or 'none'}")
    if not messages and not locations:
        return []
    return [
        Incompatibility(
            name=reader.name,
            reader_version=reader.version,
            writer_version=writer.version,
            direction=direction,
            messages=messages,
            locations=locations,
            fields=[pointer_to_field(reader.schema, loc) for loc in locations],
        )
    ]


def _explain(message: str) -> str:
    # avro-py reports a reader field that has no default and is missing from the writer by its bare name.
    if message.isidentifier():
        return f"reader field {message!r} is not in the writer schema and has no default"
    return message


@cache
def _avro_py(sv: SchemaVersion) -> avro.schema.Schema:
    return avro.schema.parse(json.dumps(sv.schema))


def pointer_to_field(schema: Any, pointer: str) -> str:
    """'/fields/0/type/fields/4/type' -> 'envelope.case_version' (as far as the schema can be followed)."""
    node, names = schema, []
    tokens = [t for t in pointer.split("/") if t]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "fields" and isinstance(node, dict) and i + 1 < len(tokens):
            fields = node.get("fields", [])
            index = int(tokens[i + 1])
            if index >= len(fields):
                break
            node = fields[index]
            names.append(node["name"])
            i += 2
            continue
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            break
        i += 1
    return ".".join(names) or pointer


def _unwrap(node: Any) -> Any:
    """["null", X] -> X; {"type": {...}} -> {...}; "long" -> {"type": "long"}."""
    if isinstance(node, list):
        branches = [b for b in node if b != "null"]
        return branches[0] if len(branches) == 1 else node
    if isinstance(node, dict) and isinstance(node.get("type"), dict | list):
        return _unwrap(node["type"])
    if isinstance(node, str) and node in PRIMITIVES:
        return {"type": node}
    return node


def _logical_type_changes(reader: Any, writer: Any, path: list[str]) -> list[tuple[str, Any, Any]]:
    """(pointer, reader logicalType, writer logicalType) where a same-named field changed logical type."""
    reader, writer = _unwrap(reader), _unwrap(writer)
    if not (isinstance(reader, dict) and isinstance(writer, dict)):
        return []
    kind = reader.get("type")
    if kind != writer.get("type"):
        return []  # a type change; avro-py reports those
    if kind == "record":
        by_name = {f["name"]: f for f in writer["fields"]}
        out = []
        for index, f in enumerate(reader["fields"]):
            other = by_name.get(f["name"]) or next(
                (by_name[a] for a in f.get("aliases", []) if a in by_name), None
            )
            if other is not None:
                out += _logical_type_changes(f["type"], other["type"], [*path, "fields", str(index), "type"])
        return out
    if kind == "array":
        return _logical_type_changes(reader["items"], writer["items"], [*path, "items"])
    if kind == "map":
        return _logical_type_changes(reader["values"], writer["values"], [*path, "values"])
    if reader.get("logicalType") != writer.get("logicalType"):
        return [("/" + "/".join(path), reader.get("logicalType"), writer.get("logicalType"))]
    return []
