"""Fixtures: the FlexIT sandbox and ``irp`` processes, per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from irp.sandbox.flexit import FlexitSandbox
from tests.integration.service.support import Services

FEED_ROWS = 40


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[FlexitSandbox]:
    with FlexitSandbox(tmp_path / "sandbox", rows=FEED_ROWS) as started:
        yield started


@pytest.fixture
def services(tmp_path: Path, sandbox: FlexitSandbox) -> Iterator[Services]:
    running = Services(tmp_path, sandbox, {})
    try:
        yield running
    finally:
        running.close()
