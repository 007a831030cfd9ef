"""The portal's session: a signed cookie (HMAC-SHA256), with a CSRF token and the chosen language.

Starlette's SessionMiddleware needs `itsdangerous`, which this project does not install, and a
middleware would sign cookies for the whole app; the portal signs its own, scoped to /portal. The
secret is `LIENTHONG_PORTAL_SECRET` or a 0600 file in the data directory made on first use.

The cookie holds no personal data: the officer's username, the nonce of their account (rotated at
sign-out, so a copied cookie dies with the session), the CSRF token, the language and two times.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import Request, Response

COOKIE = "lienthong_portal"
COOKIE_PATH = "/portal"
IDLE_TIMEOUT_S = 30 * 60
MAX_AGE_S = 10 * 60 * 60
LANGS = ("vi", "en")


def load_secret(value: str | None, key_file: Path) -> bytes:
    """The signing secret: from the environment, else a 0600 file created on first use."""
    if value:
        return value.encode()
    if key_file.exists():
        return base64.b64decode(key_file.read_text().strip())
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it first
        return base64.b64decode(key_file.read_text().strip())
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.b64encode(key).decode())
    return key


class Signer:
    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"lienthong.portal.session\x00" + secret).digest()

    def dumps(self, data: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=")
        return f"{body.decode()}.{self._mac(body)}"

    def loads(self, token: str | None) -> dict[str, Any] | None:
        if not token or "." not in token:
            return None
        body, _, mac = token.rpartition(".")
        if not hmac.compare_digest(mac, self._mac(body.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _mac(self, body: bytes) -> str:
        return (
            base64.urlsafe_b64encode(hmac.new(self._key, body, hashlib.sha256).digest()).rstrip(b"=").decode()
        )


class Session:
    """The decoded cookie of one request; `save` writes it back when something changed."""

    def __init__(self, data: dict[str, Any] | None, *, now: float | None = None) -> None:
        now = time.time() if now is None else now
        data = dict(data or {})
        fresh = (
            data
            and now - float(data.get("seen", 0)) <= IDLE_TIMEOUT_S
            and now - float(data.get("born", 0)) <= MAX_AGE_S
        )
        self.expired = bool(data.get("user")) and not fresh
        if not fresh:
            lang = data.get("lang") if data.get("lang") in LANGS else "vi"
            data = {"lang": lang}
        self.data = data
        self.dirty = False
        if "csrf" not in self.data:
            self.data["csrf"] = secrets.token_urlsafe(24)
            self.data["born"] = now
            self.dirty = True
        if now - float(self.data.get("seen", 0)) > 60:  # refresh the idle clock at most once a minute
            self.data["seen"] = now
            self.dirty = True

    @property
    def user(self) -> str | None:
        return self.data.get("user")

    @property
    def nonce(self) -> str | None:
        return self.data.get("nonce")

    @property
    def csrf(self) -> str:
        return self.data["csrf"]

    @property
    def lang(self) -> str:
        return self.data.get("lang", "vi")

    def set_lang(self, lang: str) -> None:
        if lang in LANGS and lang != self.lang:
            self.data["lang"] = lang
            self.dirty = True

    def sign_in(self, username: str, nonce: str) -> None:
        """A new session for the officer: new CSRF token, new clocks (no session fixation)."""
        now = time.time()
        self.data = {
            "lang": self.lang,
            "user": username,
            "nonce": nonce,
            "csrf": secrets.token_urlsafe(24),
            "born": now,
            "seen": now,
        }
        self.dirty = True

    def sign_out(self) -> None:
        now = time.time()
        self.data = {"lang": self.lang, "csrf": secrets.token_urlsafe(24), "born": now, "seen": now}
        self.dirty = True

    def check_csrf(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf)


def read_session(request: Request, signer: Signer) -> Session:
    return Session(signer.loads(request.cookies.get(COOKIE)))


def write_session(response: Response, session: Session, signer: Signer, *, secure: bool) -> None:
    if session.dirty:
        response.set_cookie(
            COOKIE,
            signer.dumps(session.data),
            max_age=MAX_AGE_S,
            path=COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=secure,
        )
