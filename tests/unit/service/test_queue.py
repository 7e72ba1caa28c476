from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from huey.registry import Message

from irp.errors import ConfigError
from irp.jobs.queue import JsonSerializer, QueueSettings


def test_messages_round_trip_as_json_never_pickle() -> None:
    message = Message(
        "id-1",
        "irp.jobs.tasks.sync",
        datetime(2026, 5, 1, tzinfo=UTC),
        0,
        0,
        None,
        ("flexit", None),
        {},
        None,
        None,
        None,
        None,
        None,
        None,
        0,
    )
    serializer = JsonSerializer()
    data = serializer.serialize(message)
    assert data.startswith(b"{")
    assert serializer.deserialize(data) == message
    with pytest.raises(ValueError, match="not an IRP queue message"):
        serializer.deserialize(b"[1, 2]")
    with pytest.raises(ValueError):
        serializer.deserialize(b"\x80\x04\x95")  # a pickle is refused, not run


def test_the_embedded_queue_sits_beside_the_database(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "irp.json"
    db = f"sqlite:///{tmp_path / 'data' / 'irp-production.db'}"
    queue = QueueSettings.from_environment("production", db, config, environ={})
    assert queue == QueueSettings(
        name="irp-production", path=tmp_path / "data" / "irp-production-queue.db"
    )
    on_postgres = QueueSettings.from_environment(
        "acceptance", "postgresql+psycopg://irp@db/irp", config, environ={}
    )
    assert on_postgres.path == tmp_path / "etc" / "irp-acceptance-queue.db"


def test_redis_from_the_environment_hides_its_password(tmp_path: Path) -> None:
    queue = QueueSettings.from_environment(
        "acceptance",
        "sqlite:///x.db",
        tmp_path / "irp.json",
        environ={"IRP_QUEUE_URL": "redis://:hunter22@redis:6379/2", "IRP_QUEUE_NAME": "irp-a"},
    )
    assert queue.redis_url == "redis://:hunter22@redis:6379/2"
    assert queue.describe() == "redis redis://:***@redis:6379/2 queue irp-a"
    with pytest.raises(ConfigError) as refused:
        QueueSettings.from_environment(
            "acceptance", "sqlite:///x.db", tmp_path, environ={"IRP_QUEUE_URL": "amqp://mq"}
        )
    assert str(refused.value) == (
        "IRP_QUEUE_URL: expected redis://HOST:PORT/DB (or rediss://, unix://); unset it to "
        "use the embedded queue beside the database"
    )
