"""``GET /healthz`` and ``GET /metrics``: open (the bind address decides who reaches them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from irp.api.deps import ServiceDep
from irp.api.metrics import render
from irp.api.responses import JsonText
from irp.api.schemas import HealthPublic
from irp.redact import redact

router = APIRouter(tags=["service"])

REASON_CHARACTERS = 200


@router.get(
    "/healthz",
    summary="Is the service able to work?",
    responses={200: {"model": HealthPublic}, 503: {"model": HealthPublic}},
)
def healthz(service: ServiceDep) -> Response:
    """200 when the database and the queue answer; 503 naming the part that does not.

    ``config`` says whether the last reload was refused (the service then keeps
    running the previous config, whose ``config_hash`` is shown).
    """
    secrets = service.config().secret_values()
    database = _probe(service.db.now, secrets)
    queue = _probe(service.queue.storage.queue_size, secrets)
    healthy = database == "ok" and queue == "ok"
    body = {
        "status": "ok" if healthy else "failing",
        "database": database,
        "queue": queue,
        "env": service.env,
        "config": "ok"
        if service.reload_error is None
        else "reload refused (see the log); running the previous config",
        "config_hash": service.config().hash,
    }
    return JsonText(body, status_code=200 if healthy else 503)


def _probe(check: Callable[[], Any], secrets: set[str]) -> str:
    try:
        check()
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return "failing: " + redact(reason, secrets)[:REASON_CHARACTERS]
    return "ok"


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def metrics(request: Request) -> Response:
    """Orders by state, syncs, attempts, paused submissions, the queue and the config."""
    return Response(render(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
