"""Runs cases through the real Laravel validator (PHP) and through IRP's asserts."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from irp.errors import ConfigErrors
from irp.orders.classify import parse_body
from irp.template.asserts import compile_asserts
from tests.unit.template.laravel_cases import Case

SCRIPT = Path(__file__).parent / "laravel" / "validate.php"
LARAVEL_AUTOLOAD = Path("/usr/share/php/Illuminate/Validation/autoload.php")
INSTALL = "apt-get install -y php-cli php-laravel-framework"


@dataclass(frozen=True)
class LaravelAnswer:
    passes: bool
    failed: dict[str, list[str]]
    warnings: list[str]


def laravel_missing() -> str | None:
    """Why the real Laravel validator cannot run here, or None when it can."""
    if shutil.which("php") is None:
        return f"php is not installed; `{INSTALL}` runs the Laravel differential test"
    if not LARAVEL_AUTOLOAD.exists():
        return f"{LARAVEL_AUTOLOAD} is missing; `{INSTALL}` runs the Laravel differential test"
    return None


def run_php(request: dict[str, object]) -> dict[str, object]:
    """One call of the PHP script: its JSON answer."""
    done = subprocess.run(
        ["php", str(SCRIPT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"validate.php failed ({done.returncode}): {done.stderr[-2000:]}")
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def laravel_verdicts(cases: list[Case]) -> tuple[str, list[LaravelAnswer]]:
    """Laravel's version and its answer for each case."""
    request = {
        "validate": [
            {
                "body": case.body,
                "data": {case.key: case.status} if not case.body else None,
                "rules": {case.key: list(case.rules)},
            }
            for case in cases
        ]
    }
    answer = run_php(request)
    results = answer["validate"]
    assert isinstance(results, list)
    return str(answer["laravel"]), [
        LaravelAnswer(r["passes"], dict(r["failed"]), list(r["warnings"])) for r in results
    ]


def irp_verdict(case: Case) -> bool | None:
    """Whether IRP's asserts pass the case; None when IRP refuses the rules at config load."""
    try:
        rules = compile_asserts({case.key: "|".join(case.rules)}, path="differential")
    except ConfigErrors:
        return None
    body = parse_body(case.body.encode("utf-8")) if case.body else None
    return rules.check(case.status, body) == []
