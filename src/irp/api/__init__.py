"""The HTTP API (SPEC §7): ``create_app(service, tokens)`` builds it; nothing at import."""

from __future__ import annotations

from irp.api.app import create_app

__all__ = ["create_app"]
