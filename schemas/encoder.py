"""A per-schema Avro binary encoder that vouches for what it writes, compiled once per schema.

The reference path is validate (validation.py) then fastavro's writer; per event it costs two walks of the
record, both generic. This encoder walks once and writes only values of which it is sure that the
reference checker would accept them and fastavro would write exactly these bytes: exact Python types
(str, int in range, aware datetime, ...), plain dicts with no unknown keys, nullable unions. Anything else
raises Unvouched and the codec redoes the record by the reference path, which raises (or writes) what it
always did. tests/unit/test_schema_encoder.py compares both paths on every contract and on generated data.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .validation import INT_MAX, INT_MIN, LONG_MAX, LONG_MIN

Put = Callable[[list[bytes], Any], None]  # appends the value's encoding to the parts
Encode = Callable[[Any], bytes]

# As fastavro's writer counts (fastavro/_logical_writers_py.py); (t - EPOCH) // MICROSECOND is its
# timestamp-micros value in one C call.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
DAYS_SHIFT = date(1970, 1, 1).toordinal()
_SMALL = tuple(bytes([n]) for n in range(128))  # varints of 0..127: one byte each
_REQUIRED = object()
_pack_double = struct.Struct("<d").pack


class Unvouched(Exception):
    """Internal: a value this encoder does not vouch for; the caller falls back to the reference path."""


def compile_encoder(parsed: Any) -> Encode:
    """The Avro body encoder of a fastavro-parsed schema (Unvouched for values it cannot vouch for)."""
    put = _compile(parsed, {})

    def encode(record: Any) -> bytes:
        out: list[bytes] = []
        put(out, record)
        return b"".join(out)

    return encode


def _varint_of_length(k: int) -> Callable[[int], bytes]:
    """The varint of a value that takes k bytes, as one expression: no loop, no bytearray."""
    groups = [f"n >> {7 * i} & 127 | 128" for i in range(k - 1)] + [f"n >> {7 * (k - 1)}"]
    return eval(f"lambda n: bytes(({', '.join(groups)},))")  # noqa: S307 - our own source, fixed k


_VARINT_OF_LENGTH = (None, *(_varint_of_length(k) for k in range(1, 11)))  # 10 bytes hold any long


def _varint(n: int) -> bytes:
    """Avro's variable-length encoding of an unsigned (already zig-zagged) value."""
    if n < 128:
        return _SMALL[n]
    # Timestamps take 8 bytes: one generated expression is a third faster than a loop over them.
    return _VARINT_OF_LENGTH[(n.bit_length() + 6) // 7](n)  # type: ignore[misc]


def _long(n: int) -> bytes:
    """Zig-zag + varint, as fastavro writes int and long alike."""
    z = (n << 1) ^ (n >> 63)
    return _SMALL[z] if z < 128 else _varint(z)


def _fail(out: list[bytes], x: Any) -> None:
    raise Unvouched


def _put_null(out: list[bytes], x: Any) -> None:
    if x is not None:
        raise Unvouched


def _put_boolean(out: list[bytes], x: Any) -> None:
    if x is True:
        out.append(b"\x01")
    elif x is False:
        out.append(b"\x00")
    else:
        raise Unvouched


def _integer(low: int, high: int) -> Put:
    def put(out: list[bytes], x: Any) -> None:
        if x.__class__ is not int or not low <= x <= high:
            raise Unvouched
        out.append(_long(x))

    return put


def _put_double(out: list[bytes], x: Any) -> None:
    if x.__class__ is not float:
        raise Unvouched
    out.append(_pack_double(x))


def _put_bytes(out: list[bytes], x: Any) -> None:
    if x.__class__ is not bytes:
        raise Unvouched
    n = len(x) << 1
    out.append(_SMALL[n] if n < 128 else _varint(n))
    out.append(x)


def _put_string(out: list[bytes], x: Any) -> None:
    if x.__class__ is not str:
        raise Unvouched
    b = x.encode()
    n = len(b) << 1
    out.append(_SMALL[n] if n < 128 else _varint(n))
    out.append(b)


def _put_optional_string(out: list[bytes], x: Any) -> None:
    """["null", "string"], the commonest field type: one call instead of two."""
    if x is None:
        out.append(b"\x00")
        return
    if x.__class__ is not str:
        raise Unvouched
    b = x.encode()
    n = len(b) << 1
    out.append(b"\x02")
    out.append(_SMALL[n] if n < 128 else _varint(n))
    out.append(b)


def _put_timestamp_micros(out: list[bytes], x: Any) -> None:
    # Aware datetimes only: the checker refuses naive ones, and ints there are rare enough to leave
    # to the reference path.
    if x.__class__ is not datetime:
        raise Unvouched
    tz = x.tzinfo
    if tz is not UTC and (tz is None or x.utcoffset() is None):
        raise Unvouched
    out.append(_long((x - EPOCH) // MICROSECOND))


def _put_date(out: list[bytes], x: Any) -> None:
    if x.__class__ is not date:
        raise Unvouched
    out.append(_long(x.toordinal() - DAYS_SHIFT))


_PRIMITIVES: dict[str, Put] = {
    "null": _put_null,
    "boolean": _put_boolean,
    "int": _integer(INT_MIN, INT_MAX),
    "long": _integer(LONG_MIN, LONG_MAX),
    "double": _put_double,
    "bytes": _put_bytes,
    "string": _put_string,
}
_LOGICAL: dict[tuple[str, str], Put] = {
    ("long", "timestamp-micros"): _put_timestamp_micros,
    ("int", "date"): _put_date,
}


def _compile(schema: Any, named: dict[str, Put]) -> Put:
    if isinstance(schema, str):
        if schema in _PRIMITIVES:
            return _PRIMITIVES[schema]
        if schema in named:
            return named[schema]
        return lambda out, x: named[schema](out, x)  # a named type still being compiled (recursion)
    if isinstance(schema, list):
        return _compile_union(schema, named)
    kind = schema["type"]
    if isinstance(kind, dict | list):
        return _compile(kind, named)
    if kind == "record":
        return _compile_record(schema, named)
    if kind == "enum":
        return _compile_enum(schema, named)
    if kind == "array":
        return _compile_array(schema, named)
    logical = schema.get("logicalType")
    if logical is not None:
        return _LOGICAL.get((kind, logical), _fail)
    if kind in _PRIMITIVES:
        return _PRIMITIVES[kind]
    return _fail  # float, fixed, map, error: not in the contracts; left to the reference path


def _compile_record(schema: dict[str, Any], named: dict[str, Put]) -> Put:
    """A record's encoder, generated as straight-line code: strings, enums and timestamps (most of every
    event) are written inline; other fields call their compiled Put."""
    env: dict[str, Any] = {
        "Unvouched": Unvouched,
        "SMALL": _SMALL,
        "varint": _varint,
        "long": _long,
        "UTC": UTC,
        "EPOCH": EPOCH,
        "MICROSECOND": MICROSECOND,
        "datetime": datetime,
        "REQUIRED": _REQUIRED,
    }
    # Registered before the fields compile, so a recursive reference finds it.
    named[schema["name"]] = lambda out, x: env["put_record"](out, x)
    lines = [
        "def put_record(out, x):",
        "    if x.__class__ is not dict or not names.issuperset(x):",
        "        raise Unvouched  # another mapping type, or an unknown key",
        "    get = x.get",
        "    ap = out.append",
    ]
    for i, f in enumerate(schema["fields"]):
        ftype = f["type"]
        nullable = isinstance(ftype, list) and "null" in ftype
        # fastavro writes a missing field's default (None if nullable); no default: not vouched for.
        env[f"default_{i}"] = f.get("default", None if nullable else _REQUIRED)
        lines.append(f"    v = get({f['name']!r}, default_{i})")
        lines += _field_lines(i, ftype, named, env)
    env["names"] = frozenset(f["name"] for f in schema["fields"])
    exec(compile("\n".join(lines), f"<avro encoder {schema['name']}>", "exec"), env)  # noqa: S102
    named[schema["name"]] = env["put_record"]
    return env["put_record"]


_STRING_LINES = [
    "    b = v.encode()",
    "    n = len(b) << 1",
    "    ap(SMALL[n] if n < 128 else varint(n))",
    "    ap(b)",
]


def _field_lines(i: int, ftype: Any, named: dict[str, Put], env: dict[str, Any]) -> list[str]:
    """Source lines appending the encoding of `v`, a value of type `ftype`, with `ap`."""
    if ftype == "string":
        return ["    if v.__class__ is not str:", "        raise Unvouched", *_STRING_LINES]
    if ftype == ["null", "string"]:
        return [
            "    if v is None:",
            "        ap(b'\\x00')",
            "    elif v.__class__ is str:",
            "        ap(b'\\x02')",
            *("    " + line for line in _STRING_LINES),
            "    else:",
            "        raise Unvouched",
        ]
    if isinstance(ftype, dict) and ftype.get("type") == "enum":
        env[f"symbols_{i}"] = _compile_enum(ftype, named).index  # type: ignore[attr-defined]
        return [
            f"    code = symbols_{i}.get(v) if v.__class__ is str else None",
            "    if code is None:",
            "        raise Unvouched",
            "    ap(code)",
        ]
    if isinstance(ftype, dict) and (ftype["type"], ftype.get("logicalType")) == ("long", "timestamp-micros"):
        return [
            "    if v.__class__ is not datetime:",
            "        raise Unvouched",
            "    tz = v.tzinfo",
            "    if tz is not UTC and (tz is None or v.utcoffset() is None):",
            "        raise Unvouched",
            "    ap(long((v - EPOCH) // MICROSECOND))",
        ]
    env[f"put_{i}"] = _compile(ftype, named)
    return ["    if v is REQUIRED:", "        raise Unvouched", f"    put_{i}(out, v)"]


def _compile_enum(schema: dict[str, Any], named: dict[str, Put]) -> Put:
    index = {symbol: _long(i) for i, symbol in enumerate(schema["symbols"])}

    def put_enum(out: list[bytes], x: Any) -> None:
        code = index.get(x) if x.__class__ is str else None
        if code is None:
            raise Unvouched
        out.append(code)

    put_enum.index = index  # type: ignore[attr-defined]  # for records that write it inline
    named[schema["name"]] = put_enum
    return put_enum


def _compile_array(schema: dict[str, Any], named: dict[str, Put]) -> Put:
    put_item = _compile(schema["items"], named)

    def put_array(out: list[bytes], x: Any) -> None:
        if x.__class__ is not list:
            raise Unvouched
        if x:
            out.append(_long(len(x)))
            for item in x:
                put_item(out, item)
        out.append(b"\x00")

    return put_array


def _compile_union(branches: list[Any], named: dict[str, Put]) -> Put:
    """Only [null, T] or [T, null]: fastavro picks the null branch for None and T for any value T takes."""
    others = [i for i, b in enumerate(branches) if b != "null"]
    if len(branches) != 2 or len(others) != 1:
        return _fail
    if branches == ["null", "string"]:
        return _put_optional_string
    tag_null, tag_value = _long(1 - others[0]), _long(others[0])
    put_value = _compile(branches[others[0]], named)

    def put_optional(out: list[bytes], x: Any) -> None:
        if x is None:
            out.append(tag_null)
        else:
            out.append(tag_value)
            put_value(out, x)

    return put_optional
