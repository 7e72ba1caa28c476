"""Secrets never reach a log line, whoever logs it."""

from __future__ import annotations

import logging

import pytest

from irp.redact import MASK, install_redaction, redact


def test_redact_masks_every_secret_longest_first() -> None:
    assert redact("user=ab pw=hunter22 token=hunter22x", {"hunter22", "hunter22x", "ab"}) == (
        f"user=ab pw={MASK} token={MASK}"
    )


def test_installed_filter_scrubs_library_messages_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    install_redaction({"s3cr3t-value"})
    log = logging.getLogger("httpx.fake")
    log.debug("sending headers client_secret=%s", "s3cr3t-value")
    try:
        raise ValueError("server said: bad secret s3cr3t-value")
    except ValueError:
        log.exception("request failed")

    assert "s3cr3t-value" not in caplog.text
    assert f"client_secret={MASK}" in caplog.text
    assert f"server said: bad secret {MASK}" in caplog.text
    install_redaction(set())
