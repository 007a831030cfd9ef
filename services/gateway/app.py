"""The FastAPI application: the same doors over either runtime."""

from __future__ import annotations

from fastapi import FastAPI

from lienthong import __version__
from lienthong.gateway import submissions, views
from lienthong.wiring import Services


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

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "runtime": services.backend.kind}

    return app
