"""``irp shipments list [--unmatched]`` and ``irp shipments poll [NAME]`` (SPEC §4, §6).

``list`` shows shipments as received, matched or not; ``poll`` asks the refurbishers
with ``shipment_poll`` about their due orders now — what ``irp serve`` does every
``interval_seconds``, for cron-driven set-ups.
"""

from __future__ import annotations

from typing import Annotated

import typer

from irp.cli.common import (
    EXIT_FAILED,
    add_row,
    exits_on_errors,
    print_json,
    runtime,
    stdout_console,
    warn_skipped_senders,
)

app = typer.Typer(no_args_is_help=True, help="Shipments: what the refurbishers reported.")


def _time(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else ""


@app.command("list")
def list_command(
    ctx: typer.Context,
    unmatched: Annotated[
        bool, typer.Option("--unmatched", help="Only shipments that matched no order yet.")
    ] = False,
    refurbisher: Annotated[
        str | None, typer.Option("--refurbisher", help="Only this refurbisher.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Shipments, newest first: order, reference, status, carrier and tracking.

    --json prints a list of {"id", "refurbisher", "order_id", "given_order_id",
    "external_reference", "status", "carrier", "tracking_code", "tracking_url",
    "shipped_at", "delivered_at", "lines", "source", "received_at", "matched_at"}.
    """
    from rich.table import Table

    from irp.store.shipments import list_shipments

    with exits_on_errors():
        db = runtime(ctx).database()
        with db.connect() as conn:
            rows = list_shipments(conn, unmatched=unmatched, refurbisher=refurbisher)
    if json_output:
        print_json(rows)
        return
    table = Table(
        "received", "refurbisher", "order", "reference", "status", "carrier", "tracking", "via"
    )
    for row in rows:
        order = row["order_id"] or f"unmatched {row['given_order_id'] or ''}"
        add_row(
            table,
            _time(row["received_at"]),
            row["refurbisher"],
            order.strip(),
            row["external_reference"] or "",
            row["status"],
            row["carrier"] or "",
            row["tracking_code"] or "",
            row["source"],
        )
    stdout_console().print(table)


@app.command("poll")
def poll_command(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Only this refurbisher.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Ask about every order whose shipment poll is due; exit 1 when a poll failed.

    --json prints a list of {"order_id", "refurbisher", "outcome", "status",
    "http_status", "detail"}; outcome is shipped, delivered, not_shipped, unchanged,
    refused or failed.
    """
    from irp.shipments.poll import poll_shipments

    with exits_on_errors():
        rt = runtime(ctx)
        config = rt.config()
        skipped = warn_skipped_senders(
            config, name, applies=lambda ref: ref.shipment_poll is not None
        )
        results = poll_shipments(rt.database(), config, refurbisher=name)
    if json_output:
        print_json([result.__dict__ for result in results])
    else:
        for r in results:
            typer.echo(f"{r.order_id}: {r.outcome:<11} {r.status:<9} {r.detail}")
        if not results:
            typer.echo("no poll was due")
    if skipped or any(r.outcome in ("failed", "refused") for r in results):
        raise typer.Exit(EXIT_FAILED)
