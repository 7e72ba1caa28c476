"""Another environment's refurbishers, read through its ``GET /api/refurbishers``.

The overview shows acceptance and production side by side; this instance knows its
own environment, and ``platform.peers`` names the others (URL and token). A peer that
cannot be read is shown as such with the reason (never the token: it only travels in
the ``Authorization`` header). Answers are cached briefly so a page refresh does not
hit the peer every time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from irp.config.peers import PeerConfig


@dataclass(frozen=True)
class PeerView:
    """What a peer said: its refurbishers by name, or why it could not be read."""

    env: str
    url: str
    refurbishers: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None


def read_peer(
    env: str, peer: PeerConfig, cache: dict[str, tuple[float, object]], ttl: float
) -> PeerView:
    """The refurbishers of the instance serving ``env`` (cached for ``ttl`` seconds)."""
    key = f"{env}|{peer.url}"
    hit = cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < ttl and isinstance(hit[1], PeerView):
        return hit[1]
    view = _fetch(env, peer)
    cache[key] = (time.monotonic(), view)
    return view


def _fetch(env: str, peer: PeerConfig) -> PeerView:
    url = peer.url.rstrip("/") + "/api/refurbishers"
    headers = {"Authorization": f"Bearer {peer.token.get_secret_value()}"}
    try:
        answer = httpx.get(url, headers=headers, timeout=peer.timeout_seconds)
    except httpx.HTTPError as exc:
        reason = type(exc).__name__
        return PeerView(env, peer.url, error=f"cannot reach {url}: {reason}")
    if answer.status_code == 401:
        return PeerView(
            env, peer.url, error=f"{url} refused the token (401): check platform.peers.{env}.token"
        )
    if answer.status_code != 200:
        return PeerView(env, peer.url, error=f"{url} answered HTTP {answer.status_code}")
    try:
        body = answer.json()
    except ValueError:
        return PeerView(env, peer.url, error=f"{url} did not answer JSON")
    if not isinstance(body, list):
        return PeerView(env, peer.url, error=f"{url} did not answer a list of refurbishers")
    found = {
        str(item["name"]): item
        for item in body
        if isinstance(item, dict) and isinstance(item.get("name"), str)
    }
    return PeerView(env, peer.url, refurbishers=found)
