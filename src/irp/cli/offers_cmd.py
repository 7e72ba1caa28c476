"""``irp offers ...``: sync a feed, list, export, and download a run's row errors.

polars and the store are imported inside each command: ``irp --help`` must not pay
for them.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from irp.cli.common import (
    EXIT_FAILED,
    JsonFlag,
    add_row,
    exits_on_errors,
    fail,
    note,
    print_json,
    refurbisher_named,
    runtime,
    stderr_console,
    stdout_console,
    warn,
    warn_broken,
)

if TYPE_CHECKING:
    from irp.feeds.report import SyncReport

app = typer.Typer(no_args_is_help=True, help="Offer feeds: sync, list, export, row errors.")

STAGES = ("fetch", "parse", "price", "diff", "write")


class Format(StrEnum):
    csv = "csv"
    json = "json"


FormatOption = Annotated[Format, typer.Option("--format", help="csv or json.")]
JsonAlias = Annotated[bool, typer.Option("--json", help="The same as --format json.")]


@app.command("sync")
def sync_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Refurbisher key, e.g. flexit.")],
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            metavar="PATH",
            exists=True,
            dir_okay=False,
            readable=True,
            help="Read this local file instead of the connection.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Apply even a feed the guard refuses.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Fetch, parse, price and store one refurbisher's offer feed."""
    from irp.feeds.sync import SyncRequest, sync_offers

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
    name: Annotated[str, typer.Argument(metavar="NAME", help="Refurbisher key.")],
    listed_only: Annotated[bool, typer.Option("--listed", help="Only listed offers.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", help="At most this many rows (0: all).")
    ] = 50,
    as_json: JsonFlag = False,
) -> None:
    """The stored offers of one refurbisher, by SKU."""
    from rich.table import Table

    from irp.feeds import export

    rt = runtime(ctx)
    with exits_on_errors():
        refurbisher_named(rt.config(), name)
        db = rt.database()
        rows = export.offer_rows(db, name, listed_only=listed_only, limit=limit or None)
        total = export.count_offers(db, name, listed_only=listed_only)
    if as_json:
        print_json(rows)
        return
    table = Table("sku", "name", "ean", "stock", "purchase", "selling", "listed", "note")
    for row in rows:
        add_row(
            table,
            row["sku"],
            row["name"],
            row["ean"],
            row["stock_available"],
            row["price_purchase_amount"],
            row["price_selling_amount"],
            "yes" if row["listed"] else "no",
            row["unlisted_reason"] or ("above SRP" if row["above_srp"] else ""),
        )
    out = stdout_console()
    out.print(table)
    kind = "listed offers" if listed_only else "offers"
    if len(rows) < total:
        out.print(f"showing {len(rows):,} of {total:,} {kind} (--limit 0 shows all)")
    else:
        out.print(f"{total:,} {kind}")


@app.command("export")
def export_command(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(metavar="NAME", help="Refurbisher key (default: all)."),
    ] = None,
    fmt: FormatOption = Format.csv,
    as_json: JsonAlias = False,
) -> None:
    """The listed offers for the marketplace, on stdout.

    Without NAME every healthy refurbisher is exported; one that its own config errors
    disable is named on stderr and the exit status is 1, so a script never publishes
    a partial catalogue as the whole one.
    """
    from irp.feeds import export

    rt = runtime(ctx)
    with exits_on_errors():
        config = rt.config()
        if name:
            keys = [refurbisher_named(config, name).key]
            partial = False
        else:
            keys = sorted(config.refurbishers)
            partial = warn_broken(config)
        rows = export.marketplace_rows(rt.database(), keys)
    if as_json or fmt is Format.json:
        print_json(rows)
    else:
        sys.stdout.write(export.to_safe_csv(rows, export.MARKETPLACE_COLUMNS))
    if partial:
        raise typer.Exit(EXIT_FAILED)


@app.command("errors")
def errors_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Refurbisher key.")],
    run: Annotated[
        int | None,
        typer.Option(
            "--run", metavar="ID", help="Sync run id (default: the latest run with row errors)."
        ),
    ] = None,
    fmt: FormatOption = Format.csv,
    as_json: JsonAlias = False,
) -> None:
    """The row errors of a sync, ready to send back to the refurbisher.

    Which run they belong to is said on stderr (and in the JSON).
    """
    from irp.feeds import export

    rt = runtime(ctx)
    with exits_on_errors():
        refurbisher_named(rt.config(), name)
        found = export.run_row_errors(rt.database(), name, run)
    if found is None:
        fail(f"{name}: no sync has run yet; run irp offers sync {name}")
    started = found.started_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    which = f"run {found.run_id} ({found.status}, started {started})"
    if run is not None:
        note(f"{name}: {len(found.errors)} row error(s) of {which}")
    elif found.errors:
        note(f"{name}: {len(found.errors)} row error(s) of {which}, the latest with any")
    else:
        warn(f"{name}: no sync run has row errors; the latest is {which}")
    if as_json or fmt is Format.json:
        print_json(
            {
                "run_id": found.run_id,
                "run_status": found.status,
                "run_started_at": found.started_at,
                "errors": found.errors,
            }
        )
    else:
        sys.stdout.write(export.to_safe_csv(found.errors, export.ROW_ERROR_COLUMNS))


@contextmanager
def _progress_bar(*, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A Rich progress bar on stderr over the sync's stages (only on a terminal)."""
    if not enabled:
        yield lambda stage: None
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
        transient=True,
    )
    task = progress.add_task("sync", total=len(STAGES))

    def advance(stage: str) -> None:
        done = STAGES.index(stage) if stage in STAGES else 0
        progress.update(task, completed=done, description=stage)

    with progress:
        yield advance


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
