"""``/api/refurbishers``: what is configured, and a sync on demand."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from irp.api.deps import ConfigDep, DatabaseDep, ServiceDep
from irp.api.overview import refurbisher_overview
from irp.api.responses import JsonText, documented_errors
from irp.api.schemas import RefurbisherPublic, SyncQueued

router = APIRouter(prefix="/refurbishers", tags=["refurbishers"])


@router.get("", summary="Every refurbisher", responses={200: {"model": list[RefurbisherPublic]}})
def list_refurbishers(db: DatabaseDep, config: ConfigDep) -> Response:
    """Config summary (no secrets), last sync, listed offers, paused submissions."""
    return JsonText(refurbisher_overview(db, config))


@router.post(
    "/{name}/sync",
    status_code=202,
    summary="Sync a feed now",
    responses={202: {"model": SyncQueued}, **documented_errors(404, 422, 503)},
)
def sync_refurbisher(name: str, service: ServiceDep, config: ConfigDep) -> Response:
    """Queue a sync of ``name``'s feed; a worker runs it (``busy`` if one runs already)."""
    ref = config.refurbishers.get(name)
    if name in config.broken:
        errors = "; ".join(str(error) for error in config.broken[name])
        raise HTTPException(422, f"{name} is disabled by its configuration ({errors}); fix it")
    if ref is None:
        known = ", ".join(sorted(config.refurbishers)) or "none"
        raise HTTPException(404, f"no refurbisher {name!r}; the config defines: {known}")
    if ref.offers is None:
        raise HTTPException(422, f"{name} has no offers section in the config; nothing to sync")
    if not service.tasks.sync(name):
        raise HTTPException(
            503,
            f"the queue cannot be reached ({service.queue_settings.describe()}); try again, "
            f"or run `irp offers sync {name}`",
        )
    return JsonText({"queued": True}, status_code=202)
