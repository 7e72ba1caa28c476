"""The overview, the refurbisher page (with its downloads and "sync now"), the offers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from irp.errors import StoreError
from irp.feeds.export import ROW_ERROR_COLUMNS, run_row_errors, to_safe_csv
from irp.store import runs as run_store
from irp.store.tables import feed_archive
from irp.web import lists
from irp.web import refurbisher as details
from irp.web.charts import render_chart
from irp.web.connector import connector_lines
from irp.web.context import back_with_flash, page, refurbisher_or_404
from irp.web.deps import BackendDep, PostedFormDep, ViewerDep
from irp.web.health import cell_state, stored_health
from irp.web.overview import build_rows, environments, last_finished_run
from irp.web.peers import PeerView, read_peer
from irp.web.routes_auth import safe_next

router = APIRouter(include_in_schema=False)


@router.get("/")
def overview(request: Request, backend: BackendDep, who: ViewerDep) -> HTMLResponse:
    """Every refurbisher, every environment: which need attention, and why."""
    config = backend.config()
    peers: dict[str, PeerView] = {
        env: read_peer(env, peer, backend.peer_cache, backend.peer_cache_seconds)
        for env, peer in config.platform.peers.items()
        if env != config.env
    }
    now = backend.now()
    with backend.db.connect() as conn:
        rows = build_rows(conn, config, now, peers)
    rank = {"fail": 0, "warn": 1, "none": 2, "ok": 3}
    attention = sorted(
        (r for r in rows if r.worst in ("fail", "warn")), key=lambda r: rank[r.worst]
    )
    return page(
        request, backend, who, "overview.html", nav="overview",
        rows=rows, envs=environments(config), attention=attention, now=now,
        can_check=backend.queue_checks is not None,
        unconnected=[e for e in environments(config) if e != config.env and e not in peers],
    )  # fmt: skip


@router.post("/checks")
def check_now(backend: BackendDep, who: ViewerDep, form: PostedFormDep) -> Response:
    """Queue a monitoring run (every check of every refurbisher, as ``irp monitor``)."""
    target = safe_next(form.get("next"))
    if backend.queue_checks is None or not backend.queue_checks():
        message = "the queue could not be reached; try again, or run `irp monitor`"
        return back_with_flash(backend, target, message, False)
    message = f"checks queued by {who.name}; they take a few seconds — reload to see them"
    return back_with_flash(backend, target, message, True)


@router.get("/refurbishers/{key}")
def refurbisher_page(
    request: Request,
    backend: BackendDep,
    who: ViewerDep,
    key: str,
    run: Annotated[int | None, Query()] = None,
    before: Annotated[int | None, Query()] = None,
) -> HTMLResponse:
    """Settings, thresholds, connector, sync history, charts, the last feed, sync now."""
    config = backend.config()
    broken = (getattr(config, "broken", {}) or {}).get(key)
    if broken is not None:
        return page(
            request, backend, who, "broken.html", nav="overview", key=key,
            errors=[str(e) for e in broken],
        )  # fmt: skip
    ref = refurbisher_or_404(config, key)
    now = backend.now()
    with backend.db.connect() as conn:
        health = stored_health(conn, config)[key]
        history = details.sync_history(conn, key, before)
        chosen = run if run is not None else next((r.id for r in history if r.errors), None)
        try:
            errors = details.run_errors(conn, key, chosen) if chosen is not None else []
        except StoreError as exc:
            raise HTTPException(404, str(exc)) from None
        error_total = next((r.errors for r in history if r.id == chosen), len(errors))
        charts = [(s, render_chart(s)) for s in details.charts(conn, key, now)]
        feed = details.last_feed(conn, key)
        last = last_finished_run(conn, key)
    state = cell_state(health.checks, broken=False, last_sync_status=last.status if last else None)
    return page(
        request, backend, who, "refurbisher.html", nav="overview",
        ref=ref, settings=details.settings_rows(ref),
        thresholds=details.thresholds(ref, health.checks), checked_at=health.checked_at,
        state=state,
        can_check=backend.queue_checks is not None, connector=connector_lines(config, ref),
        history=history, older=history[-1].id if len(history) == details.RUNS_PER_PAGE else None,
        chosen=chosen, errors=errors, error_total=error_total, charts=charts, feed=feed,
        feed_name=details.feed_filename(ref, feed["id"]) if feed else None,
    )  # fmt: skip


@router.get("/refurbishers/{key}/runs/{run_id}/errors.csv")
def row_errors_csv(backend: BackendDep, _who: ViewerDep, key: str, run_id: int) -> Response:
    """The row errors of a run as CSV, to send back to the refurbisher (as the CLI)."""
    refurbisher_or_404(backend.config(), key)
    try:
        found = run_row_errors(backend.db, key, run_id)
    except StoreError as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(
        to_safe_csv(found.errors if found is not None else [], ROW_ERROR_COLUMNS),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{key}-run-{run_id}-row-errors.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/refurbishers/{key}/feeds/{archive_id}")
def archived_feed(backend: BackendDep, _who: ViewerDep, key: str, archive_id: int) -> Response:
    """An archived raw feed file exactly as it was fetched."""
    ref = refurbisher_or_404(backend.config(), key)
    with backend.db.connect() as conn:
        owner = conn.execute(
            feed_archive.select()
            .with_only_columns(feed_archive.c.refurbisher)
            .where(feed_archive.c.id == archive_id)
        ).scalar_one_or_none()
        data = run_store.read_archived_feed(conn, archive_id) if owner == key else None
    if data is None:
        raise HTTPException(
            404, f"{key}: no archived feed {archive_id} (purged after its retention?)"
        )
    name = details.feed_filename(ref, archive_id)
    return Response(
        data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/refurbishers/{key}/sync")
def sync_now(backend: BackendDep, who: ViewerDep, _form: PostedFormDep, key: str) -> Response:
    """Queue a sync of the feed; a worker runs it."""
    ref = refurbisher_or_404(backend.config(), key)
    target = f"/refurbishers/{key}"
    if ref.offers is None:
        return back_with_flash(
            backend, target, f"{key} has no offers section; nothing to sync", False
        )
    if not backend.queue_sync(key):
        message = f"the queue could not be reached; try again, or run `irp offers sync {key}`"
        return back_with_flash(backend, target, message, False)
    message = f"sync of {key} queued by {who.name}; its run appears below when it ends (reload)"
    return back_with_flash(backend, target, message, True)


@router.get("/offers")
def offers_page(
    request: Request,
    backend: BackendDep,
    who: ViewerDep,
    q: Annotated[str, Query(max_length=200)] = "",
    refurbisher: Annotated[str, Query()] = "",
    listed: Annotated[str, Query()] = "",
    after: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """Offers by SKU, EAN or name; filter by refurbisher and listed; pages of 50."""
    config = backend.config()
    keys = [refurbisher] if refurbisher in config.refurbishers else list(config.refurbishers)
    wanted = {"yes": True, "no": False}.get(listed)
    with backend.db.connect() as conn:
        found = lists.search_offers(conn, keys, query=q, listed=wanted, cursor=after)
    return page(
        request, backend, who, "offers.html", nav="offers", found=found, q=q,
        refurbisher=refurbisher if refurbisher in config.refurbishers else "",
        listed=listed if wanted is not None else "", refurbishers=list(config.refurbishers),
    )  # fmt: skip


@router.get("/offers/{key}/{sku:path}")
def offer_page(
    request: Request, backend: BackendDep, who: ViewerDep, key: str, sku: str
) -> HTMLResponse:
    """One offer and how its price was made."""
    with backend.db.connect() as conn:
        found = lists.offer(conn, key, sku)
    if found is None:
        raise HTTPException(404, f"{key} has no offer with SKU {sku!r}")
    return page(request, backend, who, "offer.html", nav="offers", offer=found)
