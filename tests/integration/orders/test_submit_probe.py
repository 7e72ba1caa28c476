"""`irp check`'s order-endpoint probe: reaches the API, never places an order."""

from __future__ import annotations

from pathlib import Path

from irp.orders.probe import check_order_endpoint
from irp.orders.submit import submit_due
from irp.store.db import Database
from tests.fixtures.order_api import MakeOrderApi
from tests.integration.orders.submit_support import add_order, flexit_config, order_row


def test_probe_proves_auth_and_url_and_resumes_paused_submissions(
    database: Database, make_order_api: MakeOrderApi, tmp_path: Path
) -> None:
    api = make_order_api()
    config = flexit_config(tmp_path, api, max_concurrency=1)
    add_order(database, "5001")
    add_order(database, "5002")
    api.inject("401")
    submit_due(database, config)  # 5001 fails, flexit pauses
    assert order_row(database, "5002")["status"] == "pending"

    ok, detail = check_order_endpoint(config.refurbishers["flexit"], database)

    assert ok, detail
    assert detail.startswith("order endpoint reachable: the lookup http://127.0.0.1:")
    assert detail.endswith("credentials accepted; paused submissions resumed")
    assert api.orders == []  # the probe never creates an order
    (result,) = submit_due(database, config)
    assert (result.order_id, result.status) == ("5002", "submitted")


def test_probe_reports_refused_credentials(
    database: Database, make_order_api: MakeOrderApi, tmp_path: Path
) -> None:
    api = make_order_api(client_secret="another-secret")  # the config's secret is wrong
    config = flexit_config(tmp_path, api)
    ok, detail = check_order_endpoint(config.refurbishers["flexit"], database)
    assert (ok, detail) == (
        False,
        "flexit.order.auth: authentication refused (HTTP 401); check the credentials",
    )


def test_probe_without_lookup_reports_a_wrong_endpoint(
    database: Database, make_order_api: MakeOrderApi, tmp_path: Path
) -> None:
    api = make_order_api()
    config = flexit_config(tmp_path, api, lookup=False, endpoint=api.base_url + "/nope")
    ok, detail = check_order_endpoint(config.refurbishers["flexit"])
    assert (ok, detail) == (
        False,
        "flexit.order.endpoint: the endpoint is wrong (HTTP 404 without the not-found "
        "marker); check the URL",
    )
    good = flexit_config(tmp_path, api, lookup=False)
    ok, detail = check_order_endpoint(good.refurbishers["flexit"])
    assert ok and "reachable (GET answered 405)" in detail
