"""``irp check NAME``: reach the feed source and the order endpoint; nothing is sent.

Each check is a function ``(refurbisher, runtime) -> CheckResult | None`` (None: not
applicable, e.g. no ``offers`` section) listed in ``CHECKS``. A passing order-endpoint
check resumes the refurbisher's paused submissions (SPEC §3: "until an operator or a
successful `irp check` resumes them").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from irp.cli.common import (
    EXIT_FAILED,
    JsonFlag,
    exits_on_errors,
    print_json,
    refurbisher_named,
    runtime,
)
from irp.cli.runtime import Runtime
from irp.errors import IrpError

if TYPE_CHECKING:
    from irp.config import Refurbisher
    from irp.sources import RemoteStat


@dataclass(frozen=True)
class CheckResult:
    """One line of ``irp check``: which check, whether it passed, and what it saw."""

    check: str
    ok: bool
    detail: str


Check = Callable[["Refurbisher", Runtime], CheckResult | None]


def check_offers(refurbisher: Refurbisher, rt: Runtime) -> CheckResult | None:
    """Log in to the feed source and stat the file (SFTP: login + file present)."""
    if refurbisher.offers is None:
        return None
    from irp.sources import open_source

    try:
        source = open_source(
            refurbisher.offers, config_dir=rt.config_path.parent, label=refurbisher.key
        )
        stat = source.probe()
    except IrpError as exc:
        return CheckResult("offers", False, str(exc))
    return CheckResult("offers", True, f"{source.location}, {_describe(stat)}")


def check_order(refurbisher: Refurbisher, rt: Runtime) -> CheckResult | None:
    """Reach the order endpoint without placing an order; resume paused submissions.

    Outside production a refurbisher whose order endpoints were not chosen for the
    environment is not contacted at all: its only endpoint is production's, and a probe
    from acceptance would reach it (and could resume submissions that must stay off).
    """
    if refurbisher.order is None:
        return None
    if refusal := refurbisher.order_endpoint_refusal:
        return CheckResult("order", False, f"not reached: {refusal}")
    from irp.orders.probe import check_order_endpoint

    try:
        ok, detail = check_order_endpoint(refurbisher, rt.database())
    except IrpError as exc:
        return CheckResult("order", False, str(exc))
    return CheckResult("order", ok, detail)


CHECKS: list[Check] = [check_offers, check_order]


def run_checks(refurbisher: Refurbisher, rt: Runtime) -> list[CheckResult]:
    """Every applicable check of ``CHECKS`` for one refurbisher, in order."""
    results = (check(refurbisher, rt) for check in CHECKS)
    return [result for result in results if result is not None]


def register(app: typer.Typer) -> None:
    """Add ``check`` to the root app."""

    @app.command("check")
    def check_command(
        ctx: typer.Context,
        name: Annotated[
            str, typer.Argument(metavar="NAME", help="The refurbisher key (e.g. flexit).")
        ],
        as_json: JsonFlag = False,
    ) -> None:
        """Reach the feed source and the order endpoint (no order is sent)."""
        with exits_on_errors():
            rt = runtime(ctx)
            config = rt.config()
            refurbisher = refurbisher_named(config, name)
            results = run_checks(refurbisher, rt)
        if as_json:
            print_json({"refurbisher": name, "checks": [asdict(r) for r in results]})
        else:
            for result in results:
                typer.echo(f"{result.check}: {'OK' if result.ok else 'FAILED'} — {result.detail}")
        if not all(result.ok for result in results):
            raise typer.Exit(EXIT_FAILED)


def _describe(stat: RemoteStat) -> str:
    modified = stat.mtime.strftime("%Y-%m-%dT%H:%M:%SZ") if stat.mtime else "unknown"
    return f"{stat.size} bytes, modified {modified}"
