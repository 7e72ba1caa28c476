"""The status page's dependencies: the backend, who is looking, the posted form.

A page is seen by a person logged in with a session cookie, or by a script sending
``Authorization: Bearer <token>`` (SPEC §7). Without either, :func:`viewer` answers a
redirect to the login form and the route never runs, so no data is read. A POST from
a session must carry the session's CSRF token (:func:`posted_form`); a bearer POST
needs none (browsers never add that header by themselves).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import Depends, HTTPException, Request

from irp.web.backend import WebBackend
from irp.web.session import SESSION_COOKIE, Signer, csrf_matches

MAX_FORM_BYTES = 64 * 1024


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the token's name (the actor of their actions) and how."""

    name: str
    csrf: str | None  # None for bearer requests: they need no CSRF token


class LoginRequired(HTTPException):
    """No session and no bearer token: go to the login form (303, no body of data)."""

    def __init__(self, request: Request) -> None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        super().__init__(
            303, "log in first", headers={"Location": f"/login?next={quote(target, safe='')}"}
        )


def get_backend(request: Request) -> WebBackend:
    backend: WebBackend = request.app.state.web
    return backend


BackendDep = Annotated[WebBackend, Depends(get_backend)]


def viewer(request: Request, backend: BackendDep) -> Viewer:
    """The logged-in person or script; raises LoginRequired / 401 otherwise."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, presented = header.partition(" ")
        name = backend.tokens.identify(presented.strip()) if scheme.lower() == "bearer" else None
        if name is None:
            raise HTTPException(
                401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        return Viewer(name, None)
    session = Signer(backend.tokens).session(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise LoginRequired(request)
    return Viewer(session.name, session.csrf)


ViewerDep = Annotated[Viewer, Depends(viewer)]


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as name -> first value (422 otherwise)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "send the form as application/x-www-form-urlencoded")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, f"the form is larger than {MAX_FORM_BYTES} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise HTTPException(422, "the form is not UTF-8") from None
    return {name: values[0] for name, values in fields.items()}


FormDep = Annotated[dict[str, str], Depends(read_form)]


def same_origin(request: Request) -> None:
    """Refuse a POST whose ``Origin`` names another site (403)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return
    own = f"{request.url.scheme}://{request.url.netloc}"
    forwarded = request.headers.get("x-forwarded-host")
    allowed = {own}
    if forwarded:
        allowed.add(f"{request.headers.get('x-forwarded-proto', 'https')}://{forwarded}")
    if origin not in allowed:
        raise HTTPException(403, "this form was posted from another site; nothing was done")


def posted_form(request: Request, who: ViewerDep, form: FormDep) -> dict[str, str]:
    """The form of a POST by ``who``, after the CSRF and origin checks (403 otherwise)."""
    same_origin(request)
    if who.csrf is not None and not csrf_matches(who.csrf, form.get("csrf")):
        raise HTTPException(
            403, "the form's security token is missing or stale; reload the page and try again"
        )
    return form


PostedFormDep = Annotated[dict[str, str], Depends(posted_form)]
