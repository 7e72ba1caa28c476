"""``irp --help`` starts at once: no heavy library is imported before a command needs it.

polars, SQLAlchemy, httpx and asyncssh cost about 0.6 s together; cron runs ``irp``
all day. Each check runs in a fresh interpreter and reads ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("polars", "sqlalchemy", "httpx", "asyncssh", "alembic", "fastapi", "huey")


def _imported_after(code: str) -> list[str]:
    probe = (
        "import sys, json\n"
        f"{code}\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "args",
    [["--help"], [], ["offers", "--help"], ["orders", "show", "--help"], ["config", "-h"]],
    ids=lambda args: " ".join(args) or "bare",
)
def test_help_imports_no_heavy_library(args: list[str]) -> None:
    run_cli = (
        "from irp.cli.app import app\n"
        "try:\n"
        f"    app({args!r})\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
    )

    assert _imported_after(run_cli) == []


def test_the_config_package_imports_no_heavy_library() -> None:
    assert _imported_after("import irp.config") == []
