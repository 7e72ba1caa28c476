from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from irp.logs import configure_logging, log_context
from irp.redact import install_redaction


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_the_context_and_no_secret(restore_root: None) -> None:
    out = io.StringIO()
    configure_logging("json", "info", stream=out)
    install_redaction({"s3cr3t-value"})
    log = logging.getLogger("irp.test")
    with log_context(refurbisher="flexit", task="orders"):
        with log_context(order_id="5001", run_id=None):
            log.warning("sent with s3cr3t-value")
        log.info("pass done")
    log.debug("not shown at info")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert {k: v for k, v in first.items() if k != "time"} == {
        "level": "warning",
        "logger": "irp.test",
        "message": "sent with <secret>",
        "task": "orders",
        "refurbisher": "flexit",
        "order_id": "5001",
    }
    assert first["time"].endswith("Z")
    assert {k: v for k, v in second.items() if k != "time"} == {
        "level": "info",
        "logger": "irp.test",
        "message": "pass done",
        "task": "orders",
        "refurbisher": "flexit",
    }


def test_text_lines_are_for_people_with_the_exception(restore_root: None) -> None:
    out = io.StringIO()
    configure_logging("text", "info", stream=out)
    try:
        raise ValueError("boom")
    except ValueError:
        with log_context(order_id="5001", refurbisher="flexit"):
            logging.getLogger("irp.test").exception("failed")
    first, *rest = out.getvalue().splitlines()
    assert first.split(" ", 1)[1] == "ERROR   irp.test [refurbisher=flexit order_id=5001] failed"
    assert rest[0] == "Traceback (most recent call last):"
    assert rest[-1] == "ValueError: boom"
