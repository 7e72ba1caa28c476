"""Rendering pages: one Jinja2 environment, escaping on, secrets redacted on output.

Every value a template prints passes :func:`_finalize`, which replaces any resolved
secret of the config (and the API tokens) with ``<secret>``: even if a supplier echoes
a credential in a response body we show, the page never carries it. Responses get
headers that keep them out of caches and frames, and a Content Security Policy that
allows only this site's own styles and scripts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from irp.money import money_text
from irp.redact import redact
from irp.web.session import FLASH_COOKIE, Signer

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _money(value: Decimal | str | None) -> str:
    if value is None:
        return "—"
    return money_text(Decimal(value)) or "—"


@lru_cache(maxsize=4)
def make_environment(hidden: frozenset[str] = frozenset()) -> Environment:
    """The page templates, with ``hidden`` (secret values) redacted from every printed value.

    Cached per set of secrets: templates compile once, a config reload gets its own.
    """

    def finalize(value: Any) -> Any:
        if value is None:
            return ""
        if not hidden:
            return value
        if isinstance(value, Markup):
            return Markup(redact(str(value), hidden))
        if isinstance(value, str):
            return redact(value, hidden)
        return value

    env = Environment(
        loader=PackageLoader("irp.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["money"] = _money
    return env


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    secrets: Iterable[str],
    signer: Signer | None = None,
    status: int = 200,
) -> HTMLResponse:
    """``template`` rendered with ``context`` (plus the request, flash and env)."""
    env = make_environment(frozenset(secrets))
    flash = signer.read_flash(request.cookies.get(FLASH_COOKIE)) if signer else None
    page = env.get_template(template).render(request=request, flash=flash, **context)
    response = HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response
