"""The Prometheus alert rules shipped in docs/ load and fire as documented (promtool)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.fixtures.db import service_unavailable

RULES = Path(__file__).resolve().parents[3] / "docs" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("promtool")
    if executable is None:
        service_unavailable("promtool not found: apt-get install -y prometheus")
    assert executable is not None
    return subprocess.run(
        [executable, *args], cwd=RULES, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_alert_rules_are_valid_for_the_four_seed_thresholds() -> None:
    done = promtool("check", "rules", "irp-alerts.yml")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 5 rules found" in done.stdout
    text = (RULES / "irp-alerts.yml").read_text()
    for check in ("latest_order", "offers_stock", "open_orders", "offers_endpoint"):
        assert f'expr: irp_check_ok{{check="{check}"}} == 0' in text


def test_the_rules_fire_on_a_failing_check_and_not_before() -> None:
    done = promtool("test", "rules", "irp-alerts.test.yml")

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("SUCCESS")
