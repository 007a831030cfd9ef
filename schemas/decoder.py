"""A per-schema Avro binary decoder, generated once per schema as straight-line Python.

fastavro's reader walks the parsed schema for every record and converts logical types through generic
calls; for the exchange's contracts (strings, enums, timestamps, nullable unions: most of every record)
one generated function per record type reads the fields in order instead, with the one-byte cases of
lengths and varints inline. It returns exactly what fastavro's schemaless_reader returns with no reader
schema (tests/unit/test_schema_decoder.py compares both on every contract). Schemas with a type it does
not read (map, fixed, float, unions other than [null, T]) raise NotCompiled, and the codec keeps
fastavro for them; schema resolution (writer and reader differ) always goes through fastavro.

Corrupt input raises IndexError, ValueError, UnicodeDecodeError, OverflowError or struct.error; a body
that ends early is caught by the caller comparing the returned position with the length, since every
length read is non-negative and the position never moves back.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

Read = Callable[[bytes, int], tuple[Any, int]]  # (data, position) -> (value, position after it)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # fastavro's epoch: its timestamps come back tz-aware UTC
DAYS_SHIFT = date(1970, 1, 1).toordinal()
MAX_VARINT_BYTES = 10  # a 64-bit zig-zag value never needs more
_unpack_double = struct.Struct("<d").unpack_from
_IDENTIFIER = re.compile(r"\W")  # what may not appear in a generated function's name


class NotCompiled(Exception):
    """The schema uses a type this decoder does not read; the caller decodes it with fastavro."""


def long_at(b: bytes, p: int) -> tuple[int, int]:
    """A zig-zag varint at p: (value, position after it)."""
    c = b[p]
    n = c & 0x7F
    shift = 7
    end = p + MAX_VARINT_BYTES
    p += 1
    while c & 0x80:
        if p >= end:
            raise ValueError("varint longer than 10 bytes")
        c = b[p]
        p += 1
        n |= (c & 0x7F) << shift
        shift += 7
    return (n >> 1) ^ -(n & 1), p


def span_at(b: bytes, p: int) -> tuple[int, int]:
    """A length-prefixed string or bytes at p: (start, end) of its content."""
    n, p = long_at(b, p)
    if n < 0:
        raise ValueError(f"negative length {n}")
    return p, p + n


def compile_decoder(parsed: Any) -> Read:
    """The Avro body reader of a fastavro-parsed schema (NotCompiled for types it does not read)."""
    gen = _Generator()
    top = gen.value("value", parsed, "    ")
    source = "\n".join([*gen.functions, "def read(b, p):", *top, "    return value, p"])
    name = parsed.get("name", "value") if isinstance(parsed, dict) else str(parsed)
    exec(compile(source, f"<avro decoder {name}>", "exec"), gen.env)  # noqa: S102
    read: Read = gen.env["read"]
    return read


class _Generator:
    """Source of one reader function per record type, sharing one namespace (so records may nest)."""

    def __init__(self) -> None:
        self.env: dict[str, Any] = {
            "long_at": long_at,
            "span_at": span_at,
            "EPOCH": EPOCH,
            "DAYS_SHIFT": DAYS_SHIFT,
            "timedelta": timedelta,
            "fromordinal": date.fromordinal,
            "unpack_double": _unpack_double,
        }
        self.functions: list[str] = []
        self.named: dict[str, Any] = {}  # full name -> its schema, as fastavro refers to it after parsing
        self.readers: dict[str, str] = {}  # record full name -> its function's name
        self._serial = 0

    def fresh(self, stem: str) -> str:
        self._serial += 1
        return f"{stem}{self._serial}"

    def value(self, var: str, schema: Any, indent: str) -> list[str]:
        """Lines that read a value of `schema` at p into `var` and advance p."""
        if isinstance(schema, str):
            if schema in self.named:
                schema = self.named[schema]
            else:
                return self.primitive(var, schema, indent)
        if isinstance(schema, list):
            return self.union(var, schema, indent)
        kind = schema["type"]
        if isinstance(kind, dict | list):
            return self.value(var, kind, indent)
        if kind == "record":
            return [f"{indent}{var}, p = {self.record(schema)}(b, p)"]
        if kind == "enum":
            return self.enum(var, schema, indent)
        if kind == "array":
            return self.array(var, schema, indent)
        logical = schema.get("logicalType")
        if (kind, logical) == ("long", "timestamp-micros"):
            return [*self.long(var, indent), f"{indent}{var} = EPOCH + timedelta(microseconds={var})"]
        if (kind, logical) == ("int", "date"):
            return [*self.long(var, indent), f"{indent}{var} = fromordinal({var} + DAYS_SHIFT)"]
        if logical is not None:
            raise NotCompiled(f"logical type {logical} on {kind}")
        return self.primitive(var, kind, indent)

    def primitive(self, var: str, kind: str, indent: str) -> list[str]:
        if kind in ("int", "long"):
            return self.long(var, indent)
        if kind == "string":
            return [*self.span(indent), f"{indent}{var} = b[s:p].decode()"]
        if kind == "bytes":
            return [*self.span(indent), f"{indent}{var} = b[s:p]"]
        if kind == "null":
            return [f"{indent}{var} = None"]
        if kind == "boolean":
            return [f"{indent}{var} = b[p] != 0", f"{indent}p += 1"]  # as fastavro: any non-zero byte
        if kind == "double":
            return [f"{indent}{var} = unpack_double(b, p)[0]", f"{indent}p += 8"]
        raise NotCompiled(f"type {kind}")

    @staticmethod
    def long(var: str, indent: str) -> list[str]:
        return [
            f"{indent}c = b[p]",
            f"{indent}if c < 128:",
            f"{indent}    p += 1",
            f"{indent}    {var} = (c >> 1) ^ -(c & 1)",
            f"{indent}else:",
            f"{indent}    {var}, p = long_at(b, p)",
        ]

    @staticmethod
    def span(indent: str) -> list[str]:
        """Lines that leave the content of a length-prefixed value at b[s:p]."""
        return [
            f"{indent}c = b[p]",
            f"{indent}if c < 128 and not c & 1:",
            f"{indent}    s = p + 1",
            f"{indent}    p = s + (c >> 1)",
            f"{indent}else:",
            f"{indent}    s, p = span_at(b, p)",
        ]

    def record(self, schema: dict[str, Any]) -> str:
        name = schema["name"]
        if name in self.readers:
            return self.readers[name]
        function = f"read_{_IDENTIFIER.sub('_', name)}_{len(self.readers)}"
        self.readers[name] = function  # before the fields, so a recursive reference finds it
        self.named[name] = schema
        lines = [f"def {function}(b, p):"]
        fields = []
        for i, f in enumerate(schema["fields"]):
            lines += self.value(f"f{i}", f["type"], "    ")
            fields.append(f"{f['name']!r}: f{i}")
        lines.append(f"    return {{{', '.join(fields)}}}, p")
        self.functions.append("\n".join(lines))
        return function

    def enum(self, var: str, schema: dict[str, Any], indent: str) -> list[str]:
        self.named.setdefault(schema["name"], schema)
        symbols = self.fresh("SYMBOLS")
        self.env[symbols] = tuple(schema["symbols"])
        return [
            *self.long(var, indent),
            f"{indent}if {var} < 0:",
            f"{indent}    raise ValueError(f'negative enum index {{{var}}}')",
            f"{indent}{var} = {symbols}[{var}]",
        ]

    def union(self, var: str, branches: list[Any], indent: str) -> list[str]:
        """Only [null, T] and [T, null], the contracts' only unions: the branch index is one byte."""
        if len(branches) != 2 or branches.count("null") != 1:
            raise NotCompiled(f"union {branches}")
        null_tag = branches.index("null") * 2  # zig-zag of the branch index
        value_tag = 2 - null_tag
        other = branches[1 - branches.index("null")]
        return [
            f"{indent}c = b[p]",
            f"{indent}p += 1",
            f"{indent}if c == {null_tag}:",
            f"{indent}    {var} = None",
            f"{indent}elif c == {value_tag}:",
            *self.value(var, other, indent + "    "),
            f"{indent}else:",
            f"{indent}    raise ValueError(f'union branch byte {{c}} out of range')",
        ]

    def array(self, var: str, schema: dict[str, Any], indent: str) -> list[str]:
        count, item = self.fresh("count"), self.fresh("item")
        return [
            f"{indent}{var} = []",
            f"{indent}while True:",
            f"{indent}    {count}, p = long_at(b, p)",
            f"{indent}    if {count} == 0:",
            f"{indent}        break",
            f"{indent}    if {count} < 0:  # a block that also gives its size in bytes",
            f"{indent}        {count} = -{count}",
            f"{indent}        _, p = long_at(b, p)",
            f"{indent}    for _ in range({count}):",
            *self.value(item, schema["items"], indent + "        "),
            f"{indent}        {var}.append({item})",
        ]
