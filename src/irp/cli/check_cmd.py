"""``irp check NAME``: reach the feed source and the order endpoint; nothing is sent.

Each check is a function ``(refurbisher, config_dir) -> CheckResult | None`` (None:
not applicable, e.g. no ``offers`` section) listed in ``CHECKS``. The feed check lives
here; the order-endpoint check is added to ``CHECKS`` by the orders part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from irp.cli.common import EXIT_FAILED, EXIT_USAGE, exits_on_errors, fail, print_json, runtime
from irp.errors import IrpError
from irp.sources import RemoteStat, open_source

if TYPE_CHECKING:
    from irp.config import Refurbisher


@dataclass(frozen=True)
class CheckResult:
    """One line of ``irp check``: which check, whether it passed, and what it saw."""

    check: str
    ok: bool
    detail: str


Check = Callable[["Refurbisher", Path], CheckResult | None]


def check_offers(refurbisher: Refurbisher, config_dir: Path) -> CheckResult | None:
    """Log in to the feed source and stat the file (SFTP: login + file present)."""
    if refurbisher.offers is None:
        return None
    try:
        source = open_source(refurbisher.offers, config_dir=config_dir, label=refurbisher.key)
        stat = source.probe()
    except IrpError as exc:
        return CheckResult("offers", False, str(exc))
    return CheckResult("offers", True, f"{source.location}, {_describe(stat)}")


CHECKS: list[Check] = [check_offers]


def run_checks(refurbisher: Refurbisher, config_dir: Path) -> list[CheckResult]:
    """Every applicable check of ``CHECKS`` for one refurbisher, in order."""
    results = (check(refurbisher, config_dir) for check in CHECKS)
    return [result for result in results if result is not None]


def register(app: typer.Typer) -> None:
    """Add ``check`` to the root app."""

    @app.command("check")
    def check_command(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(help="The refurbisher key (e.g. flexit).")],
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Reach the feed source and the order endpoint (no order is sent)."""
        with exits_on_errors():
            config = runtime(ctx).config()
            refurbisher = config.refurbishers.get(name)
            if refurbisher is None:
                known = ", ".join(sorted(config.refurbishers)) or "none"
                fail(f"unknown refurbisher {name!r}; the config defines: {known}", EXIT_USAGE)
            results = run_checks(refurbisher, config.path.parent)
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
