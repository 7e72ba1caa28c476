"""``GET /api/monitor``: the monitoring checks of the last run, as ``irp monitor --json``.

The scheduler runs the checks every ``platform.monitor_every_seconds`` (and
``irp monitor`` runs them by hand); this route reads what the last run stored, so it
answers at once and never probes a supplier itself.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from irp.api.deps import ConfigDep, DatabaseDep
from irp.api.responses import JsonText, documented_errors
from irp.api.schemas import CheckPublic
from irp.monitoring.run import last_results

router = APIRouter(prefix="/monitor", tags=["monitoring"])


@router.get(
    "",
    summary="The monitoring checks, from the last run",
    responses={200: {"model": list[CheckPublic]}, **documented_errors(401)},
)
def monitor(db: DatabaseDep, config: ConfigDep) -> Response:
    """Every check of every refurbisher as the last run left it (empty before any run)."""
    with db.connect() as conn:
        results = last_results(conn, config.env)
    return JsonText([result.to_json() for result in results])
