"""``irp orders ...``: intake, preview, the read side and the operator actions (SPEC §3, §6).

Thin: every command calls a service in :mod:`irp.orders` and prints its result. Exit
codes: 0 done; 1 an order or an action was refused; 2 a usage error, a file that is
not JSON, or a config that cannot be loaded. ``submit`` is added by
:mod:`irp.cli.orders_submit_cmd`.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from irp.cli import orders_submit_cmd
from irp.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    JsonFlag,
    add_row,
    exits_on_errors,
    fail,
    labelled,
    print_json,
    refurbisher_named,
    runtime,
    stderr_console,
    stdout_console,
    warn_broken,
)
from irp.errors import OrderError

if TYPE_CHECKING:
    from irp.orders.actions import ActionResult
    from irp.store.db import Database

app = typer.Typer(no_args_is_help=True, help="Orders: intake, state, operator actions.")
orders_submit_cmd.register(app)

JsonOption = JsonFlag
ReasonOption = Annotated[
    str | None, typer.Option("--reason", metavar="TEXT", help="Why (kept with the action record).")
]


def _read_document(file: Path) -> list[object]:
    from irp.orders.intake import load_order_document

    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", EXIT_USAGE)
    try:
        return load_order_document(data, source=str(file))
    except OrderError as exc:
        fail(str(exc), EXIT_USAGE)


@contextmanager
def _database(ctx: typer.Context) -> Iterator[Database]:
    """The environment's database for one command, its connections closed afterwards."""
    db = runtime(ctx).database()
    try:
        yield db
    finally:
        db.close()


def _actor() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in a bare container
        return "unknown"


@app.command("add")
def add_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="JSON file: one order object or a list.")
    ],
    json_output: JsonOption = False,
) -> None:
    """Accept inbound orders; each is accepted, unchanged or refused on its own."""
    from irp.orders.intake import accept_orders

    raws = _read_document(file)
    with exits_on_errors(), _database(ctx) as db:
        config = runtime(ctx).config()
        warn_broken(config)
        results = accept_orders(db, config, raws)
    if json_output:
        print_json([result.to_json() for result in results])
    else:
        out = stdout_console()
        for result in results:
            colour = "red" if result.result == "refused" else "green"
            out.print(labelled(f"{result.result:<9}", colour, result.message))
    if any(result.result == "refused" for result in results):
        raise typer.Exit(EXIT_FAILED)


@app.command("preview")
def preview_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Refurbisher key.")],
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="JSON file: one order object or a list.")
    ],
    json_output: JsonOption = False,
) -> None:
    """Print the payload each order would be sent with. Nothing is sent or stored.

    The payload is printed with exactly the digits that go on the wire (indented).
    With --json: a list of {"id", "ok", "method", "endpoint", "payload", "message"}.
    """
    from irp.orders.preview import format_json, parse_exact, pretty_json, preview_orders

    raws = _read_document(file)
    with exits_on_errors(), _database(ctx) as db:
        config = runtime(ctx).config()
        refurbisher_named(config, name)
        previews = preview_orders(db, config, name, raws)
    if json_output:
        listing = [
            {
                "id": preview.id,
                "ok": preview.ok,
                "method": preview.method,
                "endpoint": preview.endpoint,
                "payload": parse_exact(preview.payload) if preview.payload is not None else None,
                "message": preview.message,
            }
            for preview in previews
        ]
        sys.stdout.write(format_json(listing) + "\n")
    else:
        out = stdout_console()
        for preview in previews:
            if preview.payload is None:
                out.print(labelled("refused", "red", preview.message))
                continue
            out.print(f"# {preview.message}", markup=False)
            sys.stdout.write(pretty_json(preview.payload) + "\n")
    if not all(preview.ok for preview in previews):
        raise typer.Exit(EXIT_FAILED)


@app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", metavar="STATE", help="Only this state.")
    ] = None,
    refurbisher: Annotated[
        str | None, typer.Option("--refurbisher", metavar="NAME", help="Only this refurbisher.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """The orders, newest change first: state, reference, attempts, last error."""
    from rich.table import Table

    from irp.orders.queries import list_orders

    with exits_on_errors(), _database(ctx) as db, db.connect() as conn:
        rows = list_orders(conn, status=status, refurbisher=refurbisher)
    if json_output:
        print_json([row.to_json() for row in rows])
        return
    table = Table(
        "id",
        "refurbisher",
        "status",
        "external reference",
        "attempts",
        "next attempt",
        "last error",
        "updated",
    )
    for row in rows:
        add_row(
            table,
            row.id,
            row.refurbisher,
            str(row.status),
            row.external_reference or "",
            str(row.attempts),
            _time(row.next_attempt_at),
            _short(row.last_error),
            _time(row.updated_at),
        )
    stdout_console().print(table)


@app.command("show")
def show_command(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(metavar="ID", help="The marketplace's order id.")],
    json_output: JsonOption = False,
) -> None:
    """One order: lines, every attempt, every operator action, and what to do next."""
    from rich.markup import escape
    from rich.table import Table

    from irp.orders.queries import explain_status, show_order

    with exits_on_errors(), _database(ctx) as db, db.connect() as conn:
        order = show_order(conn, order_id)
    if json_output:
        print_json(order.to_json())
        return
    out = stdout_console()
    out.print(
        f"[bold]{escape(order.id)}[/bold]  {escape(order.refurbisher)}  status "
        f"[bold]{order.status}[/bold]  reference {escape(order.external_reference or '-')}  "
        f"order number {escape(order.order_number or '-')}"
    )
    out.print(explain_status(order), markup=False)
    out.print(order.odoo.describe(), markup=False)
    lines = Table("#", "sku", "ean", "name", "qty", "unit price", "purchase", "selling")
    for line in order.lines:
        add_row(
            lines,
            str(line.line_no),
            line.sku,
            line.ean or "",
            line.name or "",
            str(line.quantity),
            str(line.unit_price_tax_excl),
            _money(line.price_purchase_amount),
            _money(line.price_selling_amount),
        )
    out.print(lines)
    if order.attempts:
        attempts = Table("at", "kind", "status", "ms", "outcome", "error", title="attempts")
        for attempt in order.attempts:
            add_row(
                attempts,
                _time(attempt.at),
                attempt.kind,
                str(attempt.status_code or ""),
                str(attempt.duration_ms or ""),
                attempt.outcome or "",
                _short(attempt.error),
            )
        out.print(attempts)
        last_body = order.attempts[-1].response_body
        if last_body:
            out.print("last response body:", _short(last_body, 2000), markup=False)
    if order.actions:
        actions = Table("at", "action", "actor", "from", "to", "reason", title="actions")
        for action in order.actions:
            add_row(
                actions,
                _time(action.at),
                action.action,
                action.actor,
                action.from_status or "",
                action.to_status or "",
                action.reason or "",
            )
        out.print(actions)


@app.command("retry")
def retry_command(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(metavar="ID", help="The marketplace's order id.")],
    reason: ReasonOption = None,
    json_output: JsonOption = False,
) -> None:
    """Make a failed, rejected or pending order due now."""
    from irp.orders.actions import retry_order

    with exits_on_errors(), _database(ctx) as db:
        result = retry_order(db, order_id, actor=_actor(), reason=reason)
    _report_action(result, json_output)


@app.command("resolve")
def resolve_command(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(metavar="ID", help="The marketplace's order id.")],
    external_ref: Annotated[
        str | None,
        typer.Option(
            "--external-ref", metavar="REF", help="The refurbisher has it under this reference."
        ),
    ] = None,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send it again (after a not-found lookup).")
    ] = False,
    confirm_absent: Annotated[
        bool,
        typer.Option("--confirm-absent", help="With --resend: you checked, they do not have it."),
    ] = False,
    cancel: Annotated[
        bool, typer.Option("--cancel", help="Cancel locally (the refurbisher may still ship).")
    ] = False,
    reason: ReasonOption = None,
    json_output: JsonOption = False,
) -> None:
    """Settle an uncertain order: --external-ref REF | --resend [--confirm-absent] | --cancel."""
    if sum([external_ref is not None, resend, cancel]) != 1:
        fail("give exactly one of --external-ref REF, --resend, --cancel", EXIT_USAGE)
    if confirm_absent and not resend:
        fail("--confirm-absent goes with --resend", EXIT_USAGE)
    from irp.orders.actions import resolve_order

    with exits_on_errors(), _database(ctx) as db:
        result = resolve_order(
            db,
            order_id,
            external_ref=external_ref,
            resend=resend,
            confirm_absent=confirm_absent,
            cancel=cancel,
            actor=_actor(),
            reason=reason,
        )
    _report_action(result, json_output)


def _report_action(result: ActionResult, json_output: bool) -> None:
    if json_output:
        print_json(result.to_json())
    elif result.ok:
        stdout_console().print(result.message, markup=False)
    else:
        stderr_console().print(f"refused: {result.message}", markup=False)
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


def _time(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""


def _money(value: Decimal | None) -> str:
    from irp.money import money_text

    return money_text(value) or ""


def _short(text: str | None, limit: int = 80) -> str:
    if not text:
        return ""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
