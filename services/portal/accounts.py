"""Officer accounts and the portal's access log.

Officers are people: their passwords are guessable, so they are kept as scrypt hashes (a slow,
memory-hard key derivation), never as the fast salted digest used for the agencies' random API keys.
After `MAX_FAILURES` wrong passwords in a row the account locks until an administrator unlocks it
(`lienthong officer unlock`). An officer belongs to one agency and sees that agency's jurisdiction.

The access log is append-only: every sign-in, every failed sign-in (unknown user included), every
sign-out and every page that shows case data or opens personal data gets a row saying who, for which
agency, what, about which case, when and from where (DOMAIN.md §f, design duty 4). Both tables live
in the credentials store (`Settings.keystore_url`), apart from the log and the read models.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
    update,
)

from lienthong.agencies import Agency, Registry
from lienthong.store import ensure_schema

MAX_FAILURES = 5
MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# scrypt cost: N=2^15, r=8, p=1 uses 32 MiB and takes ~0.1 s: slow for a guesser, fine for a sign-in.
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN = 2**15, 8, 1, 32

metadata = MetaData()

officers = Table(
    "portal_officers",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("agency_code", String(64), nullable=False, index=True),
    Column("jurisdiction", String(16), nullable=False),  # the agency's, copied when the account is made
    Column("password_hash", String(255), nullable=False),  # scrypt$N$r$p$salt$hash (base64)
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_at", DateTime(timezone=True), nullable=True),
    Column("session_nonce", String(32), nullable=False),  # rotated at sign-out: ends every session
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("last_login_at", DateTime(timezone=True), nullable=True),
)

access_log = Table(
    "portal_access_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("username", String(64), nullable=False, index=True),  # as typed, for a failed sign-in
    Column("agency_code", String(64), nullable=True),
    Column("action", String(40), nullable=False),
    Column("case_id", String(64), nullable=True, index=True),
    Column("outcome", String(16), nullable=False),  # ok | refused
    Column("detail", Text, nullable=True),  # reason, purpose, filters, ...
    Column("client", String(64), nullable=True),
    Column("path", String(400), nullable=True),
)

# What the access log names (action column).
SIGN_IN = "sign_in"
SIGN_OUT = "sign_out"
CASE_LIST = "case_list"
CASE_VIEW = "case_view"
CASE_DENIED = "case_denied"
PERSONAL_DATA = "personal_data_open"
ALERTS_VIEW = "alerts_view"
REPORT_VIEW = "report_view"
REPORT_DOWNLOAD = "report_download"


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class Officer:
    username: str
    display_name: str
    agency_code: str
    jurisdiction: str
    failed_logins: int
    locked: bool
    disabled: bool
    session_nonce: str
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> Officer:
        return cls(
            row.username,
            row.display_name,
            row.agency_code,
            row.jurisdiction,
            row.failed_logins,
            row.locked_at is not None,
            row.disabled_at is not None,
            row.session_nonce,
            row.created_at,
            row.last_login_at,
        )


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt. `reason` is for the log; the page says the same to everyone
    whose attempt failed, so it does not tell a guesser which usernames exist."""

    officer: Officer | None
    reason: str  # ok | unknown_user | bad_password | locked | disabled | agency_inactive
    failures: int = 0

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        found = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=256 * n * r + 2**20
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# A hash to check against when the username is unknown, so both paths cost one scrypt.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class Accounts:
    """Officer accounts and the access log over the credentials store."""

    def __init__(self, engine: Engine, registry: Registry) -> None:
        self._engine = engine
        self._registry = registry
        ensure_schema(metadata, engine)

    # -- accounts ----------------------------------------------------------------------------------

    def create(
        self, username: str, agency_code: str, password: str, display_name: str | None = None
    ) -> Officer:
        """Create an officer of `agency_code` (which must exist and be in being today)."""
        username = username.strip().lower()
        if not USERNAME_PATTERN.match(username):
            raise AccountError(
                f"username {username!r}: 3-64 characters, lower-case letters, digits, '.', '_' or '-'"
            )
        agency = self._registry.find(agency_code)
        if agency is None:
            raise AccountError(f"unknown agency {agency_code!r}")
        if not agency.active_on(date.today()):
            raise AccountError(f"agency {agency_code} is not in being today; use its successor")
        check_password(password)
        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            if conn.execute(select(officers.c.username).where(officers.c.username == username)).first():
                raise AccountError(f"officer {username!r} already exists")
            conn.execute(
                officers.insert().values(
                    username=username,
                    display_name=(display_name or username).strip(),
                    agency_code=agency.code,
                    jurisdiction=agency.jurisdiction,
                    password_hash=hash_password(password),
                    failed_logins=0,
                    locked_at=None,
                    session_nonce=secrets.token_hex(8),
                    created_at=now,
                    disabled_at=None,
                )
            )
        found = self.get(username)
        assert found is not None
        return found

    def get(self, username: str) -> Officer | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(officers).where(officers.c.username == username)).first()
        return Officer.of(row) if row else None

    def list_officers(self, agency_code: str | None = None) -> list[Officer]:
        query = select(officers).order_by(officers.c.agency_code, officers.c.username)
        if agency_code:
            query = query.where(officers.c.agency_code == agency_code)
        with self._engine.connect() as conn:
            return [Officer.of(r) for r in conn.execute(query)]

    def set_password(self, username: str, password: str) -> None:
        check_password(password)
        self._update(username, password_hash=hash_password(password), session_nonce=secrets.token_hex(8))

    def disable(self, username: str) -> None:
        self._update(username, disabled_at=datetime.now(UTC), session_nonce=secrets.token_hex(8))

    def enable(self, username: str) -> None:
        self._update(username, disabled_at=None)

    def unlock(self, username: str) -> None:
        self._update(username, failed_logins=0, locked_at=None)

    def end_sessions(self, username: str) -> None:
        """Sign the officer out everywhere: signed cookies carry the nonce this rotates."""
        self._update(username, session_nonce=secrets.token_hex(8))

    def _update(self, username: str, **values: Any) -> None:
        with self._engine.begin() as conn:
            done = conn.execute(update(officers).where(officers.c.username == username).values(**values))
        if not done.rowcount:
            raise AccountError(f"no officer {username!r}")

    # -- sign-in -----------------------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> SignIn:
        """Check a password, count failures and lock at MAX_FAILURES. Does not write the access log."""
        username = username.strip().lower()
        with self._engine.connect() as conn:
            row = conn.execute(select(officers).where(officers.c.username == username)).first()
        if row is None:
            verify_password(password, _DUMMY_HASH)
            return SignIn(None, "unknown_user")
        officer = Officer.of(row)
        good = verify_password(password, row.password_hash)
        if officer.disabled:
            return SignIn(officer, "disabled", officer.failed_logins)
        if officer.locked:
            return SignIn(officer, "locked", officer.failed_logins)
        if not good:
            with self._engine.begin() as conn:
                conn.execute(
                    update(officers)
                    .where(officers.c.username == username)
                    .values(failed_logins=officers.c.failed_logins + 1)
                )
                failures = conn.execute(
                    select(officers.c.failed_logins).where(officers.c.username == username)
                ).scalar_one()
                if failures >= MAX_FAILURES:
                    conn.execute(
                        update(officers)
                        .where(officers.c.username == username, officers.c.locked_at.is_(None))
                        .values(locked_at=datetime.now(UTC))
                    )
            return SignIn(
                self.get(username), "locked" if failures >= MAX_FAILURES else "bad_password", failures
            )
        agency = self._registry.find(officer.agency_code)
        if agency is None or not agency.active_on(date.today()):
            return SignIn(officer, "agency_inactive", officer.failed_logins)
        with self._engine.begin() as conn:
            conn.execute(
                update(officers)
                .where(officers.c.username == username)
                .values(failed_logins=0, last_login_at=datetime.now(UTC))
            )
        return SignIn(self.get(username), "ok")

    def agency_of(self, officer: Officer) -> Agency | None:
        return self._registry.find(officer.agency_code)

    # -- access log --------------------------------------------------------------------------------

    def log(
        self,
        username: str,
        agency_code: str | None,
        action: str,
        *,
        case_id: str | None = None,
        outcome: str = "ok",
        detail: str | None = None,
        client: str | None = None,
        path: str | None = None,
    ) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                access_log.insert().values(
                    at=datetime.now(UTC),
                    username=username[:64],
                    agency_code=agency_code,
                    action=action,
                    case_id=case_id,
                    outcome=outcome,
                    detail=detail,
                    client=(client or "")[:64] or None,
                    path=(path or "")[:400] or None,
                )
            )

    def access_log(
        self, *, username: str | None = None, case_id: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        query = select(access_log).order_by(access_log.c.id.desc()).limit(limit)
        if username:
            query = query.where(access_log.c.username == username)
        if case_id:
            query = query.where(access_log.c.case_id == case_id)
        with self._engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password or not password.strip():
        raise AccountError("the password must not begin or end with spaces")
