"""Per-agency API keys, stored hashed. The gateway stamps the emitter from the key, never from the body.

Keys are 256-bit random secrets, so a salted SHA-256 is a sound verifier (slow password hashes exist
for guessable human passwords) and keeps authentication off the gateway's hot path.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    select,
    update,
)

from lienthong.store import ensure_schema

PREFIX = "lt"
metadata = MetaData()
agency_keys = Table(
    "agency_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("agency_code", String(64), nullable=False, index=True),
    Column("salt", LargeBinary, nullable=False),
    Column("digest", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# Built once: the gateway authenticates every request, and building a statement costs more than running it.
_KEY_BY_ID = select(agency_keys).where(agency_keys.c.key_id == bindparam("key_id"))


class Credentials:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        ensure_schema(metadata, engine)

    def issue(self, agency_code: str) -> str:
        """Create a key for the agency and return it; only its digest is kept."""
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        with self._engine.begin() as conn:
            conn.execute(
                agency_keys.insert().values(
                    key_id=key_id,
                    agency_code=agency_code,
                    salt=salt,
                    digest=_digest(salt, secret),
                    created_at=datetime.now(UTC),
                )
            )
        return f"{PREFIX}_{key_id}_{secret}"

    def register(self, agency_code: str, api_key: str) -> None:
        """Keep a key handed in by deployment secrets (e.g. LIENTHONG_AGENCY_KEYS); idempotent."""
        parts = api_key.split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX or len(parts[2]) < 32:
            raise ValueError(
                f"agency key for {agency_code} must look like {PREFIX}_<key id>_<secret of 32+ chars>"
            )
        if self.authenticate(api_key) == agency_code:
            return
        salt = secrets.token_bytes(16)
        with self._engine.begin() as conn:
            conn.execute(
                agency_keys.insert().values(
                    key_id=parts[1],
                    agency_code=agency_code,
                    salt=salt,
                    digest=_digest(salt, parts[2]),
                    created_at=datetime.now(UTC),
                )
            )

    def authenticate(self, api_key: str) -> str | None:
        """The agency code the key belongs to, or None for an unknown, malformed or revoked key."""
        parts = api_key.split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        _, key_id, secret = parts
        with self._engine.connect() as conn:
            row = conn.execute(_KEY_BY_ID, {"key_id": key_id}).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(bytes(row.digest), _digest(bytes(row.salt), secret)):
            return None
        return row.agency_code

    def revoke(self, key_id: str) -> bool:
        with self._engine.begin() as conn:
            return bool(
                conn.execute(
                    update(agency_keys)
                    .where(agency_keys.c.key_id == key_id)
                    .values(revoked_at=datetime.now(UTC))
                ).rowcount
            )


def _digest(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode()).digest()
