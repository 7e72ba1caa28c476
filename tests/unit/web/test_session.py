"""Session cookies: signed, expiring, tied to the configured tokens; CSRF compared exactly."""

from __future__ import annotations

from irp.web.session import SESSION_SECONDS, Signer, csrf_matches
from tests.integration.web.support import TOKENS, StaticTokens


def test_a_session_reads_back_its_name_until_it_expires() -> None:
    signer = Signer(StaticTokens(TOKENS))
    session, value = signer.new_session("alice", now=1_000_000)
    assert signer.session(value, now=1_000_000 + SESSION_SECONDS - 1) == session
    assert session.expires == 1_000_000 + SESSION_SECONDS
    assert signer.session(value, now=1_000_000 + SESSION_SECONDS) is None


def test_a_forged_or_foreign_cookie_is_refused() -> None:
    signer = Signer(StaticTokens(TOKENS))
    _session, value = signer.new_session("alice", now=1_000_000)
    payload, signature = value.split(".")
    assert signer.session(payload + "." + signature[::-1], now=1_000_000) is None
    assert signer.session("garbage", now=1_000_000) is None
    rotated = Signer(StaticTokens({**TOKENS, "alice": "a-new-token-for-alice-0123456"}))
    assert rotated.session(value, now=1_000_000) is None


def test_a_session_of_a_removed_name_is_refused() -> None:
    _session, value = Signer(StaticTokens(TOKENS)).new_session("bob", now=1_000_000)
    only_alice = StaticTokens({"alice": TOKENS["alice"]})
    # Same key material would be needed to even verify; a removed name changes the key.
    assert Signer(only_alice).session(value, now=1_000_000) is None


def test_csrf_tokens_match_only_exactly() -> None:
    assert csrf_matches("abc123", "abc123")
    assert not csrf_matches("abc123", "abc124")
    assert not csrf_matches("abc123", None)
    assert not csrf_matches("abc123", "")
