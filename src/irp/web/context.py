"""What every page is rendered with: who is looking, the environment, the secrets to hide."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from irp.config import Config, Refurbisher
from irp.web.backend import WebBackend
from irp.web.deps import Viewer
from irp.web.render import SECURITY_HEADERS, render
from irp.web.session import FLASH_COOKIE, Signer


def hidden_values(backend: WebBackend, config: Config) -> set[str]:
    """Every value a page must never print: the config's secrets and the API tokens."""
    return config.secret_values() | set(backend.tokens.secrets)


def page(
    request: Request,
    backend: WebBackend,
    who: Viewer,
    template: str,
    *,
    nav: str,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """``template`` for ``who`` with the shared context (env, viewer, nav, CSRF token)."""
    config = backend.config()
    return render(
        request,
        template,
        {"viewer": who, "env": config.env, "nav": nav, **context},
        secrets=hidden_values(backend, config),
        signer=Signer(backend.tokens),
        status=status,
    )


def back_with_flash(backend: WebBackend, target: str, message: str, ok: bool) -> RedirectResponse:
    """Redirect (303) to ``target`` with a one-time message shown there."""
    response = RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(
        FLASH_COOKIE,
        Signer(backend.tokens).flash(message, ok),
        max_age=120,
        path="/",
        secure=backend.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


def refurbisher_or_404(config: Config, key: str) -> Refurbisher:
    """The configured refurbisher ``key``; 404 naming the known ones otherwise."""
    ref = config.refurbishers.get(key)
    if ref is None:
        known = ", ".join(sorted(config.refurbishers)) or "none"
        raise HTTPException(404, f"no refurbisher {key!r}; the config defines: {known}")
    return ref
