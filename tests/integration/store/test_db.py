from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from irp.errors import EnvironmentMismatchError, StoreError
from irp.store.db import MIGRATIONS_DIR, Database, default_database_url, open_database
from irp.store.tables import irp_meta, metadata, order_lines, orders, refurbishers

NOW = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def test_default_database_url_sits_beside_the_config_file(tmp_path: Path) -> None:
    url = default_database_url(tmp_path / "conf" / "irp.json", "production")
    assert url == f"sqlite:///{tmp_path}/conf/irp-production.db"


def test_new_database_records_its_environment_and_reopens(database: Database, db_url: str) -> None:
    with database.begin() as conn:
        meta = dict(conn.execute(sa.select(irp_meta.c.key, irp_meta.c.value)).tuples().all())
    assert meta["environment"] == "acceptance"
    assert meta["schema_version"] == HEAD
    again = open_database(db_url, "acceptance")
    with again.begin() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(irp_meta)).scalar_one() == 3
        revision = MigrationContext.configure(conn).get_current_revision()
    again.close()
    assert revision == HEAD


def test_database_of_another_environment_is_refused(database: Database, db_url: str) -> None:
    with pytest.raises(EnvironmentMismatchError) as caught:
        open_database(db_url, "production")
    assert str(caught.value) == (
        f"database {database.url} belongs to environment 'acceptance', not 'production'; "
        "use --db or IRP_DATABASE_URL to pick the right one"
    )


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_mismatch_message_hides_the_password(database: Database, db_url: str) -> None:
    with_password = db_url.replace("postgres@", "postgres:s3cret-pw@")
    with pytest.raises(EnvironmentMismatchError) as caught:
        open_database(with_password, "production")
    assert "s3cret-pw" not in str(caught.value)
    assert "postgres:***@127.0.0.1" in str(caught.value)


def test_unreachable_database_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        open_database(f"sqlite:///{tmp_path}/missing-dir/irp.db", "acceptance")
    assert str(caught.value) == (
        f"cannot open database sqlite:///{tmp_path}/missing-dir/irp.db: unable to open "
        "database file; check --db or IRP_DATABASE_URL"
    )


def test_migrated_schema_matches_the_table_metadata(database: Database) -> None:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_money_round_trips_exactly(database: Database) -> None:
    with database.begin() as conn:
        conn.execute(
            sa.insert(refurbishers).values(
                key="flexit", name="FlexIT", created_at=NOW, updated_at=NOW
            )
        )
        conn.execute(
            sa.insert(orders).values(
                id="5001",
                refurbisher="flexit",
                status="pending",
                content={"a": 1},
                content_hash="h",
                attempts=0,
                lookup_not_found_count=0,
                resend_allowed=False,
                version=1,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        conn.execute(
            sa.insert(order_lines),
            [
                {
                    "order_id": "5001",
                    "line_no": n,
                    "sku": "S",
                    "quantity": 1,
                    "unit_price_tax_excl": Decimal(v),
                }
                for n, v in enumerate(["0.1", "1234.5678", "9999999999.9999", "-0.0001"])
            ],
        )
    with database.begin() as conn:
        prices = (
            conn.execute(
                sa.select(order_lines.c.unit_price_tax_excl).order_by(order_lines.c.line_no)
            )
            .scalars()
            .all()
        )
        total = (
            conn.execute(
                sa.select(order_lines.c.unit_price_tax_excl).where(order_lines.c.line_no < 2)
            )
            .scalars()
            .all()
        )
    assert prices == [
        Decimal("0.1000"),
        Decimal("1234.5678"),
        Decimal("9999999999.9999"),
        Decimal("-0.0001"),
    ]
    assert [str(p) for p in prices] == ["0.1000", "1234.5678", "9999999999.9999", "-0.0001"]
    assert sum(total, Decimal(0)) == Decimal("1234.6678")


def test_money_with_more_than_four_decimals_is_refused(database: Database) -> None:
    with pytest.raises(sa.exc.StatementError) as caught, database.begin() as conn:
        conn.execute(
            sa.insert(refurbishers).values(key="x", name="X", created_at=NOW, updated_at=NOW)
        )
        conn.execute(
            sa.insert(order_lines).values(
                order_id="1", line_no=1, sku="S", quantity=1, unit_price_tax_excl=Decimal("0.12345")
            )
        )
    assert isinstance(caught.value.orig, StoreError)
    assert str(caught.value.orig) == "amount 0.12345 has more than 4 decimals"


def test_aware_datetimes_round_trip_as_utc(database: Database) -> None:
    amsterdam = NOW.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Amsterdam"))
    with database.begin() as conn:
        conn.execute(
            sa.insert(refurbishers).values(
                key="flexit", name="F", created_at=amsterdam, updated_at=NOW
            )
        )
        row = conn.execute(sa.select(refurbishers.c.created_at, refurbishers.c.updated_at)).one()
    assert row.created_at == NOW
    assert row.created_at.tzinfo == UTC
    assert row.updated_at.isoformat() == "2024-05-01T12:30:15.123456+00:00"


def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(sa.exc.StatementError) as caught, database.begin() as conn:
        conn.execute(
            sa.insert(refurbishers).values(
                key="f", name="F", created_at=datetime(2024, 1, 1), updated_at=NOW
            )
        )
    assert (
        str(caught.value.orig)
        == "naive datetime 2024-01-01T00:00:00 given; use an aware UTC datetime"
    )


def test_database_clock_is_aware_utc_and_current(database: Database) -> None:
    before = datetime.now(UTC)
    now = database.now()
    assert now.tzinfo == UTC
    assert before - timedelta(seconds=5) <= now <= datetime.now(UTC) + timedelta(seconds=5)


def test_session_rolls_back_when_the_block_raises(database: Database) -> None:
    with pytest.raises(RuntimeError), database.session() as session:
        session.execute(
            sa.insert(refurbishers).values(key="f", name="F", created_at=NOW, updated_at=NOW)
        )
        raise RuntimeError("boom")
    with database.session() as session:
        session.execute(
            sa.insert(refurbishers).values(key="g", name="G", created_at=NOW, updated_at=NOW)
        )
    with database.begin() as conn:
        assert conn.execute(sa.select(refurbishers.c.key)).scalars().all() == ["g"]
