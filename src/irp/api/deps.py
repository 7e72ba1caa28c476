"""The API's dependencies, as ``Annotated`` aliases a route names in its signature.

``ServiceDep`` (the process's :class:`irp.jobs.service.Service`), ``ConfigDep`` (the
config in force for this request), ``DatabaseDep``, and ``ActorDep`` — the name of
the bearer token that authenticated the request, recorded on operator actions. Every
``/api`` route depends on :func:`require_actor`; ``/healthz`` and ``/metrics`` do not.
They are ``async`` because they do no I/O: FastAPI then runs them on the event loop
instead of one thread-pool hop each.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from irp.api.auth import ApiTokens
from irp.config import Config
from irp.jobs.service import Service
from irp.store.db import Database

__all__ = ["ActorDep", "ConfigDep", "DatabaseDep", "ServiceDep", "TokensDep", "require_actor"]

UNAUTHORIZED = "missing or invalid bearer token"

_bearer = HTTPBearer(auto_error=False, description="A token from IRP_API_TOKENS")


async def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def get_tokens(request: Request) -> ApiTokens:
    tokens: ApiTokens = request.app.state.tokens
    return tokens


ServiceDep = Annotated[Service, Depends(get_service)]
TokensDep = Annotated[ApiTokens, Depends(get_tokens)]


async def get_config(service: ServiceDep) -> Config:
    return service.config()


async def get_database(service: ServiceDep) -> Database:
    return service.db


ConfigDep = Annotated[Config, Depends(get_config)]
DatabaseDep = Annotated[Database, Depends(get_database)]


async def require_actor(
    tokens: TokensDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The token's name; 401 (no hint whether it was missing or wrong) otherwise."""
    name = tokens.identify(credentials.credentials) if credentials is not None else None
    if name is None:
        raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    return name


ActorDep = Annotated[str, Depends(require_actor)]
