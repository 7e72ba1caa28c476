"""The FastAPI app factory: ``create_app(service, tokens)`` — nothing happens at import.

Routers: :data:`OPEN_ROUTERS` answer without a token (health, metrics; webhooks bring
their own auth); :data:`API_ROUTERS` are mounted under ``/api`` behind the bearer
check; the status page (:mod:`irp.web`, its own login) is mounted at ``/``. Adding a
resource means one router module and one entry here. Every route is
thin: it calls the same service function as the CLI command for the same act.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi

import irp
from irp.api.auth import ApiTokens
from irp.api.deps import require_actor
from irp.api.limits import RequestLimits
from irp.api.metrics import build_registry
from irp.api.responses import JsonText, install_error_handlers
from irp.api.routers import (
    events,
    health,
    monitor,
    offers,
    orders,
    refurbishers,
    shipments,
)
from irp.jobs.service import Service
from irp.web import WebBackend, mount_status_page

__all__ = ["API_ROUTERS", "OPEN_ROUTERS", "create_app"]

#: Routers outside ``/api``: no bearer token (their own auth, or none).
OPEN_ROUTERS: tuple[APIRouter, ...] = (health.router, shipments.router)
#: Routers under ``/api``: every route needs ``Authorization: Bearer <token>``.
API_ROUTERS: tuple[APIRouter, ...] = (
    refurbishers.router,
    offers.router,
    orders.router,
    events.router,
    monitor.router,
)

DESCRIPTION = """\
The HTTP side of IRP (SPEC §7). `/api/*` needs `Authorization: Bearer <token>`
(tokens from `IRP_API_TOKENS`). Errors are `{"detail": "..."}`; amounts are decimal
strings and times ISO 8601, as in the CLI's `--json`.
"""


def create_app(service: Service, tokens: ApiTokens) -> FastAPI:
    """The API of ``service``; ``tokens`` authenticate ``/api`` and name the actor."""
    app = FastAPI(
        title="IRP",
        version=irp.__version__,
        description=DESCRIPTION,
        default_response_class=JsonText,
        redoc_url=None,
    )
    app.state.service = service
    app.state.tokens = tokens
    app.state.metrics = build_registry(service)
    install_error_handlers(app)
    app.add_middleware(
        RequestLimits, max_bytes=lambda: service.config().platform.service.max_request_bytes
    )
    for router in OPEN_ROUTERS:
        app.include_router(router)
    api = APIRouter(prefix="/api", dependencies=[Depends(require_actor)])
    for router in API_ROUTERS:
        api.include_router(router)
    app.include_router(api)
    mount_status_page(
        app,
        WebBackend(
            config=service.config,
            db=service.db,
            tokens=tokens,
            queue_sync=service.tasks.sync,
            queue_checks=lambda: service.tasks.periodic("monitor"),
        ),
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the schemas raw-body routes bring (``x-irp-schemas``)
    moved to ``components``."""
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for path in document.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict):
                components.update(operation.pop("x-irp-schemas", {}))
    return document
