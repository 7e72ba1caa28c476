"""``irp offers ...``: sync a feed, list, export, and download a run's row errors."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from irp.cli.common import (
    EXIT_FAILED,
    exits_on_errors,
    fail,
    print_json,
    refurbisher_named,
    runtime,
    stderr,
)
from irp.feeds import export
from irp.feeds.report import SyncReport
from irp.feeds.sync import SyncRequest, sync_offers

app = typer.Typer(no_args_is_help=True, help="Offer feeds: sync, list, export, row errors.")

STAGES = ("fetch", "parse", "price", "diff", "write")


class Format(StrEnum):
    csv = "csv"
    json = "json"


@app.command("sync")
def sync_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Refurbisher key, e.g. flexit.")],
    file: Annotated[
        Path | None, typer.Option("--file", help="Read this local file instead of the connection.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Apply even a feed the guard refuses.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Fetch, parse, price and store one refurbisher's offer feed."""
    rt = runtime(ctx)
    with exits_on_errors():
        config = rt.config()
        ref = refurbisher_named(config, name)
        db = rt.database()
        with _progress_bar(enabled=not as_json and sys.stderr.isatty()) as advance:
            report = sync_offers(
                db,
                SyncRequest(
                    refurbisher=ref,
                    config_dir=config.path.parent,
                    config_hash=config.hash,
                    file=file,
                    force=force,
                    progress=advance,
                ),
            )
    if as_json:
        print_json(report.to_json())
    else:
        _print_report(report)
    raise typer.Exit(0 if report.succeeded else EXIT_FAILED)


@app.command("list")
def list_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Refurbisher key.")],
    listed_only: Annotated[bool, typer.Option("--listed", help="Only listed offers.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="At most this many rows (0: all).")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The stored offers of one refurbisher."""
    rt = runtime(ctx)
    with exits_on_errors():
        refurbisher_named(rt.config(), name)
        rows = export.offer_rows(rt.database(), name, listed_only=listed_only, limit=limit or None)
    if as_json:
        print_json(rows)
        return
    table = Table("sku", "name", "ean", "stock", "purchase", "selling", "listed", "note")
    for row in rows:
        table.add_row(
            str(row["sku"]),
            str(row["name"] or ""),
            str(row["ean"] or ""),
            str(row["stock_available"]),
            str(row["price_purchase_amount"]),
            str(row["price_selling_amount"]),
            "yes" if row["listed"] else "no",
            str(row["unlisted_reason"] or ("above SRP" if row["above_srp"] else "")),
        )
    from rich.console import Console

    Console().print(table)


@app.command("export")
def export_command(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Refurbisher key (default: all).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="csv or json.")] = Format.csv,
) -> None:
    """The listed offers for the marketplace, on stdout."""
    rt = runtime(ctx)
    with exits_on_errors():
        config = rt.config()
        keys = [refurbisher_named(config, name).key] if name else sorted(config.refurbishers)
        rows = export.marketplace_rows(rt.database(), keys)
    if fmt is Format.json:
        print_json(rows)
    else:
        sys.stdout.write(export.to_safe_csv(rows, export.MARKETPLACE_COLUMNS))


@app.command("errors")
def errors_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Refurbisher key.")],
    run: Annotated[
        int | None, typer.Option("--run", help="Sync run id (default: the latest).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="csv or json.")] = Format.csv,
) -> None:
    """The row errors of a sync, ready to send back to the refurbisher."""
    rt = runtime(ctx)
    with exits_on_errors():
        refurbisher_named(rt.config(), name)
        run_id, rows = export.row_error_rows(rt.database(), name, run)
    if run_id is None:
        fail(f"{name}: no sync run recorded yet")
    if fmt is Format.json:
        print_json({"run_id": run_id, "errors": rows})
    else:
        sys.stdout.write(export.to_safe_csv(rows, ("line", "column", "message", "sku")))


class _progress_bar:
    """A Rich progress bar on stderr over the sync's stages (only on a terminal)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> Callable[[str], None]:
        if not self.enabled:
            return lambda stage: None
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=stderr,
            transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task("sync", total=len(STAGES))
        return self._advance

    def _advance(self, stage: str) -> None:
        assert self.progress is not None and self.task is not None
        done = STAGES.index(stage) if stage in STAGES else 0
        self.progress.update(self.task, completed=done, description=stage)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


def _print_report(report: SyncReport) -> None:
    out = io.StringIO()
    out.write(f"{report.refurbisher}: {report.status}")
    if report.run_id is not None:
        out.write(f" (run {report.run_id})")
    out.write("\n")
    if report.message:
        out.write(f"  {report.message}\n")
    if report.rows:
        out.write(
            f"  rows {report.rows}, valid {report.valid}, invalid {report.invalid}; "
            f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
            f"unlisted {report.unlisted}, held {report.held}; listed now {report.listed}\n"
        )
    if report.published_at is not None:
        age = (datetime.now(UTC) - report.published_at).total_seconds() / 3600
        stamp = report.published_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        out.write(f"  newest feed version published {stamp} ({age:.1f} h ago)\n")
    for issue in report.errors[:20]:
        out.write(f"  line {issue.line}, {issue.column}: {issue.message}\n")
    if len(report.errors) > 20:
        out.write(
            f"  ... and {len(report.errors) - 20} more: "
            f"irp offers errors {report.refurbisher} --run {report.run_id} --format csv\n"
        )
    sys.stdout.write(out.getvalue())
