"""``irp offers ...`` output and exit codes (issue 11 items 11 and 12).

--json as an alias of --format json, usage errors that exit 2, JSON objects instead of
JSON text, no internal columns, the row errors of the run that had them, counts on an
unchanged feed, and a listing that says how much it left out.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from irp.cli.app import app
from tests.integration.cli import support
from tests.integration.feeds.helpers import BASE_ROWS, feed_bytes, write_config

BROKEN_ROW = ("FLX-9", "Broken", "", "x", "1,00", "")


class Irp(support.Irp):
    def sync(self, rows: tuple[tuple[str, ...], ...], *flags: str) -> Result:
        feed = self.folder / "feed.csv"
        feed.write_bytes(feed_bytes(rows))
        return self("offers", "sync", "flexit", "--file", str(feed), *flags)


@pytest.fixture
def irp(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Irp:
    support.flexit_secrets(monkeypatch)
    write_config(tmp_path)
    return Irp(tmp_path, db_url)


def test_json_is_an_alias_of_format_json_for_export_and_errors(irp: Irp) -> None:
    irp.sync((*BASE_ROWS, BROKEN_ROW))

    exported = irp("offers", "export", "--json")
    errors = irp("offers", "errors", "flexit", "--json")

    assert exported.exit_code == 0
    assert exported.stdout == irp("offers", "export", "--format", "json").stdout
    assert [row["sku"] for row in json.loads(exported.stdout)] == [
        "FLX-1",
        "FLX-3",
        "FLX-4",
        "FLX-5",
    ]
    assert errors.exit_code == 0
    assert errors.stdout == irp("offers", "errors", "flexit", "--format", "json").stdout
    assert [(e["line"], e["sku"]) for e in json.loads(errors.stdout)["errors"]] == [(7, "FLX-9")]


def test_a_missing_file_is_a_usage_error(irp: Irp) -> None:
    missing = irp.folder / "nope.csv"

    result = irp("offers", "sync", "flexit", "--file", str(missing))

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--file': file '{missing}' does not exist."
    )


def test_offers_list_json_has_a_price_breakdown_object_and_no_row_hash(irp: Irp) -> None:
    irp.sync(BASE_ROWS)

    result = irp("offers", "list", "flexit", "--json", "--limit", "1")

    assert result.exit_code == 0
    (row,) = json.loads(result.stdout)
    assert "row_hash" not in row
    assert row["price_breakdown"] == {
        "purchase": "249.00",
        "shipping_costs": "10.00",
        "home_copy_tax": "3.18",
        "cost": "262.18",
        "margin": "17",
        "margin_mode": "markup",
        "selling": "306.75",
        "vat_rate": None,
        "selling_incl_vat": None,
    }


def test_offers_list_says_how_many_it_shows_of_how_many(irp: Irp) -> None:
    irp.sync(BASE_ROWS)

    limited = irp("offers", "list", "flexit", "--limit", "2")
    everything = irp("offers", "list", "flexit", "--limit", "0")
    listed = irp("offers", "list", "flexit", "--listed")

    assert limited.stdout.splitlines()[-1] == "showing 2 of 5 offers (--limit 0 shows all)"
    assert everything.stdout.splitlines()[-1] == "5 offers"
    assert listed.stdout.splitlines()[-1] == "4 listed offers"


def test_offers_errors_defaults_to_the_last_run_with_row_errors_and_says_which(
    irp: Irp,
) -> None:
    with_errors = json.loads(irp.sync((*BASE_ROWS, BROKEN_ROW), "--json").stdout)
    irp.sync(BASE_ROWS)

    result = irp("offers", "errors", "flexit")
    as_json = json.loads(irp("offers", "errors", "flexit", "--json").stdout)

    assert result.exit_code == 0
    assert as_json["run_id"] == with_errors["run_id"]
    started = as_json["run_started_at"][:19] + "Z"
    assert result.stderr == (
        f"flexit: 1 row error(s) of run {with_errors['run_id']} (ok, started {started}), "
        "the latest with any\n"
    )
    assert result.stdout.splitlines() == [
        "line,column,message,sku",
        f"7,Stock Quantity,{as_json['errors'][0]['message']},FLX-9",
    ]


def test_an_unchanged_feed_reports_the_stored_counts(irp: Irp) -> None:
    first = json.loads(irp.sync((*BASE_ROWS, BROKEN_ROW), "--json").stdout)
    again = json.loads(irp.sync((*BASE_ROWS, BROKEN_ROW), "--json").stdout)

    assert again["status"] == "unchanged"
    counts = ("rows", "valid", "invalid", "created", "updated", "unchanged", "listed")
    assert {k: again[k] for k in counts} == {
        "rows": 6,
        "valid": 5,
        "invalid": 1,
        "created": 0,
        "updated": 0,
        "unchanged": 5,
        "listed": first["listed"],
    }
    assert first["listed"] == 4


def test_an_unknown_environment_exits_2_and_creates_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    support.flexit_secrets(monkeypatch)
    config = write_config(tmp_path)

    for command in (["orders", "show", "5001"], ["orders", "list"], ["offers", "list", "flexit"]):
        result = CliRunner().invoke(app, ["--config", str(config), "--env", "prodution", *command])

        assert result.exit_code == 2, command
        assert result.stderr == (
            "error: 1 configuration error(s):\n"
            "  - environment 'prodution' is not defined by any refurbisher; known: "
            "acceptance, production\n"
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["irp.json"]
