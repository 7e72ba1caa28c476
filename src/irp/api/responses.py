"""How the API writes JSON: one encoding with the CLI's ``--json``, and its errors.

Every route returns :class:`JsonText` (Decimals as strings, datetimes as ISO 8601 —
:mod:`irp.jsonable`), never FastAPI's default encoder, which turns a Decimal into a
binary float. Errors are ``{"detail": "..."}`` with a message an operator can act on;
a body that does not fit a schema keeps FastAPI's ``{"detail": [{"loc", "msg",
"type"}]}``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response

from irp import jsonable
from irp.api.schemas import ErrorPublic

__all__ = ["JsonText", "documented_errors", "error", "install_error_handlers"]

log = logging.getLogger(__name__)


class JsonText(Response):
    """A JSON response written with :func:`irp.jsonable.dumps`."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return jsonable.dumps(content).encode("utf-8")


def error(status_code: int, detail: str, headers: dict[str, str] | None = None) -> JsonText:
    """``{"detail": detail}`` with ``status_code``."""
    return JsonText({"detail": detail}, status_code=status_code, headers=headers)


def documented_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the error codes a route may answer."""
    return {code: {"model": ErrorPublic} for code in codes}


def install_error_handlers(app: FastAPI) -> None:
    """HTTPException -> ``{"detail"}``; anything unexpected -> a logged 500."""

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        headers = dict(exc.headers) if exc.headers else None
        return error(exc.status_code, str(exc.detail), headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error(500, "internal error; the server log says what went wrong")
