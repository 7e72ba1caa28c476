"""The status page (SPEC §5, §7): server-rendered pages operators live on.

``mount_status_page(app, backend)`` adds the pages to a FastAPI app: the overview at
``/``, a page per refurbisher, offers, orders, alerts, and the login. Pages read through
small modules (:mod:`~irp.web.overview`, :mod:`~irp.web.refurbisher`,
:mod:`~irp.web.lists`, :mod:`~irp.web.activity`, :mod:`~irp.web.health`) and act through
the same service functions as the CLI and the API.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from irp.web.backend import TokenBook, WebBackend
from irp.web.routes_auth import router as _auth
from irp.web.routes_orders import router as _orders
from irp.web.routes_pages import router as _pages

__all__ = ["TokenBook", "WebBackend", "mount_status_page", "router"]

router = APIRouter(include_in_schema=False)
router.include_router(_auth)
router.include_router(_pages)
router.include_router(_orders)


def mount_status_page(app: FastAPI, backend: WebBackend) -> None:
    """Serve the status page from ``app``, reading and acting through ``backend``."""
    app.state.web = backend
    app.include_router(router)
