"""Per-person data keys (AES-256-GCM), wrapped by a master key, stored apart from the log.

Sealing happens at the door, before an event is written, so the hash chain covers ciphertext.
Erasing a person deletes their wrapped key: every copy of their data in the log, in replays and in
views becomes unreadable, and no byte of the log changes.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, DateTime, Engine, LargeBinary, MetaData, String, Table, select, update

from lienthong.store import ensure_schema

ALGORITHM = "AES-256-GCM"
ERASED = {"erased": True}  # what a reader gets for a shredded person: a typed placeholder, not an error

metadata = MetaData()
person_keys = Table(
    "person_keys",
    metadata,
    Column("person_ref", String(64), primary_key=True),
    Column("key_id", String(64), nullable=False),
    Column("wrapped_key", LargeBinary, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=True),
)


def load_master_key(value: str | None, key_file: Path) -> bytes:
    """The key-encryption key: from the environment, else a 0600 file created on first use."""
    if value:
        return base64.b64decode(value)
    if key_file.exists():
        return base64.b64decode(key_file.read_text().strip())
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.b64encode(key).decode())
    return key


class KeyStore:
    def __init__(self, engine: Engine, master_key: bytes) -> None:
        self._engine = engine
        self._kek = AESGCM(master_key)
        ensure_schema(metadata, engine)

    def seal(self, person_ref: str, data: dict[str, Any]) -> dict[str, Any]:
        """Encrypt `data` for `person_ref` into the SealedPersonalData contract shape."""
        key_id, key = self._key(person_ref, create=True)
        if key is None:
            raise PermissionError(f"person {person_ref} has been erased; no new personal data may be sealed")
        nonce = secrets.token_bytes(12)
        plaintext = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
        ciphertext = AESGCM(key).encrypt(nonce, plaintext, _aad(person_ref, key_id))
        return {
            "person_ref": person_ref,
            "key_id": key_id,
            "algorithm": ALGORITHM,
            "nonce": nonce,
            "ciphertext": ciphertext,
        }

    def open(self, sealed: dict[str, Any] | None) -> dict[str, Any] | None:
        """Decrypt sealed personal data; ERASED when the person's key was destroyed."""
        if sealed is None:
            return None
        key_id, key = self._key(sealed["person_ref"], create=False)
        if key is None or key_id != sealed["key_id"]:
            return ERASED
        plaintext = AESGCM(key).decrypt(
            sealed["nonce"], sealed["ciphertext"], _aad(sealed["person_ref"], key_id)
        )
        return json.loads(plaintext)

    def erase(self, person_ref: str) -> bool:
        """Destroy the person's key. Returns False if there was no live key."""
        with self._engine.begin() as conn:
            done = conn.execute(
                update(person_keys)
                .where(person_keys.c.person_ref == person_ref, person_keys.c.wrapped_key.is_not(None))
                .values(wrapped_key=None, erased_at=datetime.now(UTC))
            ).rowcount
        return bool(done)

    def _key(self, person_ref: str, *, create: bool) -> tuple[str, bytes | None]:
        # No cache on purpose: an erasure made by another process must take effect at the next read.
        with self._engine.begin() as conn:
            row = conn.execute(
                select(person_keys.c.key_id, person_keys.c.wrapped_key).where(
                    person_keys.c.person_ref == person_ref
                )
            ).first()
            if row is None and create:
                key_id = str(uuid.uuid4())
                key = AESGCM.generate_key(bit_length=256)
                nonce = secrets.token_bytes(12)
                wrapped = nonce + self._kek.encrypt(nonce, key, key_id.encode())
                conn.execute(
                    person_keys.insert().values(
                        person_ref=person_ref,
                        key_id=key_id,
                        wrapped_key=wrapped,
                        created_at=datetime.now(UTC),
                    )
                )
                return key_id, key
            if row is None:
                return "", None
            if row.wrapped_key is None:
                return row.key_id, None
            wrapped = bytes(row.wrapped_key)
            return row.key_id, self._kek.decrypt(wrapped[:12], wrapped[12:], row.key_id.encode())


def _aad(person_ref: str, key_id: str) -> bytes:
    return f"{person_ref}\x1f{key_id}".encode()
