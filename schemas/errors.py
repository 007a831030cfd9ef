"""Errors raised by the contract layer."""

from __future__ import annotations


class SchemaError(Exception):
    """Base class for every error of lienthong.schemas."""


class SchemaLoadError(SchemaError):
    """A .avsc file is malformed, misplaced or references a type that does not exist."""


class UnknownSchemaError(SchemaError, LookupError):
    """No schema with this name, version or fingerprint is in the catalogue."""

    def __init__(self, message: str, fingerprint_hex: str | None = None) -> None:
        super().__init__(message)
        self.fingerprint_hex = fingerprint_hex


class ContractError(SchemaError, ValueError):
    """A record does not satisfy its schema.

    `field` is the dotted path from the record root (e.g. "envelope.case_version", "items[2].quantity");
    `rule` names the rule that failed (e.g. "required", "type: expected long", "enum symbol").
    """

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.message = message


class DecodeError(SchemaError, ValueError):
    """Bytes are not a well-formed single-object-encoded record."""
