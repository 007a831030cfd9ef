"""Who is calling: the agency bound to the bearer key. Every request is authenticated."""

from __future__ import annotations

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lienthong.agencies import Agency

_bearer = HTTPBearer(auto_error=False)


async def current_agency(
    request: Request, creds: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Agency:
    # async on purpose: the lookup is one indexed read of the key table, cheaper than the hop to the
    # threadpool (and back) that FastAPI makes for every sync dependency; no result is cached, so a
    # revoked key is refused at its next request.
    if creds is None:
        raise HTTPException(
            401,
            detail=_msg(
                "Thiếu khoá truy cập của cơ quan (Authorization: Bearer ...).",
                "Missing agency key (Authorization: Bearer ...).",
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )
    services = request.app.state.services
    code = services.credentials.authenticate(creds.credentials)
    agency = services.registry.find(code) if code else None
    if agency is None:
        raise HTTPException(
            401,
            detail=_msg(
                "Khoá truy cập không hợp lệ hoặc đã bị thu hồi.", "The agency key is invalid or revoked."
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return agency


def _msg(vi: str, en: str) -> dict[str, str]:
    return {"message_vi": vi, "message_en": en}
