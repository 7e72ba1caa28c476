"""Login, logout and the vendored static files."""

from __future__ import annotations

from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from irp.web.backend import WebBackend
from irp.web.deps import BackendDep, FormDep, PostedFormDep, same_origin
from irp.web.render import SECURITY_HEADERS, render
from irp.web.session import SESSION_COOKIE, SESSION_SECONDS, Signer

router = APIRouter(include_in_schema=False)

STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else (another site) becomes ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(
    request: Request, backend: WebBackend, target: str, error: str | None, status: int
) -> HTMLResponse:
    return render(
        request,
        "login.html",
        {"next": target, "error": error, "env": backend.config().env},
        secrets=backend.tokens.secrets,
        status=status,
    )


@router.get("/login")
def login_form(
    request: Request, backend: BackendDep, next: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    """The login form: one field, an API token."""
    return _login_page(request, backend, safe_next(next), None, 200)


@router.post("/login")
def login(request: Request, backend: BackendDep, form: FormDep) -> Response:
    """Check the token; on success set the session cookie and go where the person was going."""
    same_origin(request)
    target = safe_next(form.get("next"))
    name = backend.tokens.identify(form.get("token", "").strip())
    if name is None:
        return _login_page(request, backend, target, "That token is not valid.", 401)
    _session, value = Signer(backend.tokens).new_session(name)
    response = RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_SECONDS,
        path="/",
        secure=backend.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


@router.post("/logout")
def logout(_form: PostedFormDep) -> Response:
    """End the session (the cookie is dropped)."""
    response = RedirectResponse("/login", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    """A vendored static file (CSS); no CDN is ever asked."""
    suffix = name[name.rfind(".") :] if "." in name else ""
    folder = files("irp.web").joinpath("static")
    if suffix not in STATIC_TYPES or "/" in name or name.startswith("."):
        return Response("not found", status_code=404, media_type="text/plain")
    resource = folder.joinpath(name)
    if not resource.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(
        resource.read_bytes(),
        media_type=STATIC_TYPES[suffix],
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
