"""lienthong.portal: the offices' web portal (server-rendered, Vietnamese first, English on request).

Mounted into the gateway app by `lienthong.gateway.app.ROUTER_FAMILIES`: pages under /portal,
static files under /portal/static. Officers sign in with their own accounts (`lienthong officer add`),
see their agency's jurisdiction only, and every sign-in, failure and case page is access-logged.

If the portal's own dependencies (Jinja2, python-multipart) are missing, `router` still exists and
answers 503 naming them, so the rest of the gateway keeps serving.
"""

from __future__ import annotations

import importlib.util

REQUIRED = {"jinja2": "Jinja2", "python_multipart": "python-multipart"}


def _missing() -> list[str]:
    return [dist for module, dist in REQUIRED.items() if importlib.util.find_spec(module) is None]


def _unavailable_router(missing: list[str]):
    from fastapi import APIRouter
    from fastapi.responses import PlainTextResponse

    unavailable = APIRouter(prefix="/portal", include_in_schema=False)

    @unavailable.get("{path:path}")
    def portal_unavailable(path: str) -> PlainTextResponse:
        names = ", ".join(missing)
        return PlainTextResponse(
            f"Cổng cán bộ chưa sẵn sàng: thiếu gói {names}.\n"
            f"The portal is unavailable: {names} not installed.",
            status_code=503,
        )

    return unavailable


if _missing():
    router = _unavailable_router(_missing())
else:
    from lienthong.portal.web import router

__all__ = ["router"]
