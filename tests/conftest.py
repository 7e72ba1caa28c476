"""Root fixtures. Each domain keeps its fixtures in tests/fixtures/<domain>.py."""

pytest_plugins = [
    "tests.fixtures.db",
    "tests.fixtures.sftp",
    "tests.fixtures.order_api",
    "tests.fixtures.odoo",
]
