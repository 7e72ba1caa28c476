"""``irp events list|push``: the order events of SPEC §4 from the command line.

``list`` reads the outbox as ``GET /api/events`` does; ``push`` sends what is due to
``platform.events.url`` — what ``irp serve`` does on its own, for cron-driven set-ups.
"""

from __future__ import annotations

from typing import Annotated

import typer

from irp.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    add_row,
    exits_on_errors,
    fail,
    note,
    print_json,
    runtime,
    stdout_console,
)

app = typer.Typer(no_args_is_help=True, help="Order events for the marketplace.")
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


@app.command("list")
def list_command(
    ctx: typer.Context,
    after: Annotated[str | None, typer.Option("--after", help="A cursor from before.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (1-1000).")] = 100,
    json_output: JsonOption = False,
) -> None:
    """Order events oldest first; --json prints {"events", "next_cursor", "has_more"}."""
    from rich.table import Table

    from irp.events.read import CursorError, read_events

    with exits_on_errors():
        db = runtime(ctx).database()
        with db.connect() as conn:
            try:
                page = read_events(conn, after=after, limit=limit)
            except CursorError as exc:
                fail(str(exc), EXIT_USAGE)
    if json_output:
        print_json(page.to_json())
        return
    table = Table("cursor", "time", "type", "order", "status", "reference")
    for event in page.events:
        data = event["data"]
        add_row(
            table,
            event["cursor"],
            event["timestamp"],
            event["type"],
            data["order_id"],
            data["status"],
            data["external_reference"] or "",
        )
    stdout_console().print(table)
    typer.echo(f"next cursor: {page.next_cursor or '-'}")


@app.command("push")
def push_command(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Push every due event to platform.events.url; exit 1 when an attempt failed."""
    from irp.events.push import push_due_events

    with exits_on_errors():
        rt = runtime(ctx)
        config = rt.config()
        if config.platform.events.url is None:
            fail("platform.events.url is not set: there is nowhere to push to", EXIT_USAGE)
        report = push_due_events(rt.database(), config)
    if json_output:
        print_json({"pushed": report.pushed, "failed": report.failed, "errors": report.errors})
    else:
        typer.echo(f"pushed {report.pushed}, failed {report.failed}")
        for error in report.errors:
            note(error)
    if report.failed:
        raise typer.Exit(EXIT_FAILED)
