"""The FastAPI application: the same doors over either runtime."""

from __future__ import annotations

import importlib
import importlib.util

from fastapi import FastAPI

from lienthong import __version__
from lienthong.gateway import submissions, views
from lienthong.wiring import Services

# Door families kept in modules of their own; each exposes `router` (a FastAPI APIRouter).
ROUTER_FAMILIES = (
    "lienthong.gateway.agency_views",
    "lienthong.gateway.access_log",
    "lienthong.gateway.reports",
    "lienthong.gateway.alerts",
    "lienthong.portal",
)


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="Liên thông — cổng trao đổi liên ngành / inter-agency exchange",
        version=__version__,
        description="Nộp sự kiện nghiệp vụ và đọc dữ liệu theo thẩm quyền. "
        "Submit domain events and read need-to-know views.",
    )
    app.state.services = services
    app.include_router(submissions.router)
    app.include_router(views.router)
    for family in ROUTER_FAMILIES:
        if importlib.util.find_spec(family) is not None:
            app.include_router(importlib.import_module(family).router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "runtime": services.backend.kind}

    return app
