"""The order state machine under random answers, transport errors, kills and operators.

Hypothesis drives the real engine — claims, leases, sends, classification, lookups,
the breaker, operator actions — on a real SQLite database, with a MockSender playing a
refurbisher that does **not** deduplicate: every request it acts on creates one more
order on its side. So "created at most once" is exactly the rule of SPEC §3: an order
is sent again only when the refurbisher certainly did not act on it. After the random
steps, a truthful refurbisher and a few passes must leave nothing lost: no order stuck
``submitting``, no attempt without an outcome, and every order either settled or
waiting for an operator with a reason.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from irp.config import Config
from irp.orders.actions import resolve_order, retry_order
from irp.orders.breaker import resume_submissions
from irp.orders.cycle import submit_pass
from irp.orders.mock import Lost, MockSender, SimulatedCrash
from irp.orders.sender import Request
from irp.store.db import Database, open_database
from irp.store.tables import order_attempts, orders
from tests.integration.orders.submit_support import FakeEndpoints, add_order, flexit_config

# (status or transport failure, whether the refurbisher acts on it, a crash after?)
ORDER_ANSWERS = [
    "created",
    "refused",
    "busy",
    "throttled",
    "auth_refused",
    "wrong_endpoint",
    "error",
    "error_acted",
    "conflict",
    "redirect",
    "refused_connection",
    "timeout",
    "timeout_acted",
    "garbled_acted",
    "killed",
    "killed_acted",
]
LOOKUP_ANSWERS = ["truth", "busy", "error", "unreachable", "garbled", "killed"]
RETRY_AFTER = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=0, max_value=10**15).map(str),
    st.sampled_from(["²", "٣", "Wed, 01 Jan 2025 00:01:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"]),
)
DEEP = b"[" * 5000 + b"]" * 5000


@dataclass
class Refurbisher:
    """A refurbisher that acts on what it is told to, and answers lookups."""

    order_answers: deque[tuple[str, str]] = field(default_factory=deque)
    lookup_answers: deque[str] = field(default_factory=deque)
    created: dict[str, list[str]] = field(default_factory=dict)
    made: int = 0

    def handle(self, request: Request) -> httpx.Response | Lost:
        if request.method == "POST":
            return self._order(request)
        return self._lookup(request)

    def _act(self, number: str) -> str:
        self.made += 1
        reference = f"SO-{self.made:06d}"
        self.created.setdefault(number, []).append(reference)
        return reference

    def _order(self, request: Request) -> httpx.Response | Lost:
        assert request.body is not None
        number = json.loads(request.body)["externalDocumentNumber"]
        kind, retry_after = self.order_answers.popleft() if self.order_answers else ("created", "")
        if kind.endswith("_acted") or kind == "created":
            reference = self._act(number)
        if kind == "created":
            return httpx.Response(201, json={"OrderNumber": reference})
        if kind == "garbled_acted":
            return httpx.Response(201, content=b'{"OrderNumber": NaN, "x": ' + DEEP + b"}")
        if kind in ("killed", "killed_acted"):
            raise SimulatedCrash(kind)
        if kind in ("timeout", "timeout_acted"):
            return Lost.after_sending()
        if kind == "refused_connection":
            return Lost.before_sending()
        statuses = {
            "refused": 422,
            "busy": 503,
            "throttled": 429,
            "auth_refused": 401,
            "wrong_endpoint": 404,
            "error": 500,
            "error_acted": 500,
            "conflict": 409,
            "redirect": 302,
        }
        encoded = retry_after.encode("utf-8", "surrogatepass")
        headers = {"Retry-After": encoded} if kind == "throttled" else {}
        return httpx.Response(statuses[kind], headers=headers, json={"error": kind})

    def _lookup(self, request: Request) -> httpx.Response | Lost:
        number = request.url.rsplit("/", 2)[-2]
        kind = self.lookup_answers.popleft() if self.lookup_answers else "truth"
        if kind == "killed":
            raise SimulatedCrash(kind)
        if kind == "unreachable":
            return Lost.before_sending()
        if kind == "garbled":
            return httpx.Response(200, content=DEEP)
        if kind in ("busy", "error"):
            return httpx.Response(503 if kind == "busy" else 500, json={"error": kind})
        references = self.created.get(number)
        if references:
            return httpx.Response(200, json={"OrderNumber": references[0], "Status": "Open"})
        return httpx.Response(404, json={"error": "order not found", "code": "ORDER_NOT_FOUND"})


ORDER_IDS = ["7001", "7002", "7003"]
order_index = st.integers(min_value=0, max_value=len(ORDER_IDS) - 1)
answer = st.tuples(st.sampled_from(ORDER_ANSWERS), RETRY_AFTER)
STEPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("pass"),
            st.lists(answer, max_size=4),
            st.lists(st.sampled_from(LOOKUP_ANSWERS), max_size=3),
        ),
        st.tuples(
            st.sampled_from(["retry", "cancel", "resend", "confirm_absent", "external_ref"]),
            order_index,
        ),
        st.tuples(st.just("resume")),
    ),
    max_size=12,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each example (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("engine") / "template.db"
    open_database(f"sqlite:///{path}", "acceptance").close()
    return path


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return flexit_config(
        tmp_path_factory.mktemp("engine-config"),
        FakeEndpoints(),
        lookup_changes={"delay_seconds": 120},
        max_concurrency=1,
        max_attempts=3,
    )


class World:
    """One example: a fresh database, the refurbisher, and a clock days ahead."""

    def __init__(self, template: Path, config: Config) -> None:
        path = template.with_name(f"{uuid.uuid4().hex}.db")
        shutil.copy(template, path)
        self.path = path
        self.db: Database = open_database(f"sqlite:///{path}", "acceptance")
        self.config = config
        self.refurbisher = Refurbisher()
        self.sender = MockSender(self.refurbisher.handle)
        for order_id in ORDER_IDS:
            add_order(self.db, order_id)
        # Every pass is two days after the last: past any backoff, Retry-After (capped
        # at a day), lookup delay and lease, as if the passes were far apart.
        self.now: datetime = self.db.now() + timedelta(days=1)

    def close(self) -> None:
        self.db.close()
        self.path.unlink()

    def run_pass(self) -> None:
        self.now += timedelta(days=2)
        with contextlib.suppress(SimulatedCrash):  # died mid-request: the order keeps its lease
            submit_pass(
                self.db, self.config, None, now=self.now, open_sender=lambda order: self.sender
            )

    def act(self, step: tuple[Any, ...]) -> None:
        kind = step[0]
        if kind == "pass":
            self.refurbisher.order_answers = deque(step[1])
            self.refurbisher.lookup_answers = deque(step[2])
            self.run_pass()
            return
        if kind == "resume":
            resume_submissions(self.db, "flexit", "operator")
            return
        order_id = ORDER_IDS[step[1]]
        has_it = bool(self.refurbisher.created.get(order_id))
        if kind == "retry":
            retry_order(self.db, order_id, actor="operator", reason=None)
        elif kind == "cancel":
            resolve_order(self.db, order_id, cancel=True, actor="operator", reason=None)
        elif kind == "resend":  # allowed by IRP only after a (truthful) not-found lookup
            resolve_order(self.db, order_id, resend=True, actor="operator", reason=None)
        elif kind == "confirm_absent" and not has_it:  # an honest operator checked
            resolve_order(
                self.db, order_id, resend=True, confirm_absent=True, actor="operator", reason=None
            )
        elif kind == "external_ref" and has_it:
            reference = self.refurbisher.created[order_id][0]
            resolve_order(self.db, order_id, external_ref=reference, actor="operator", reason=None)

    def rows(self) -> dict[str, dict[str, Any]]:
        with self.db.connect() as conn:
            found = conn.execute(sa.select(orders)).mappings().all()
        return {row["id"]: dict(row) for row in found}

    def unfinished_attempts(self) -> int:
        with self.db.connect() as conn:
            query = sa.select(sa.func.count()).where(order_attempts.c.outcome == "sending")
            return int(conn.execute(query).scalar_one())

    def assert_never_acted_on_twice(self) -> None:
        twice = {k: v for k, v in self.refurbisher.created.items() if len(v) > 1}
        assert twice == {}, f"sent twice although the refurbisher had it: {twice}"


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(steps=[("pass", [("conflict", "")], []), ("pass", [], ["killed"])])
@example(steps=[("pass", [("error_acted", "")], ["truth"])])
# A lookup killed mid-request, then the order cancelled: no later lookup closes it.
@example(
    steps=[
        ("pass", [("error", ""), ("error", "")], []),
        ("pass", [], ["truth", "killed"]),
        ("cancel", 1),
    ]
)
@given(steps=STEPS)
def test_no_order_is_sent_twice_or_lost(template: Path, config: Config, steps: list[Any]) -> None:
    world = World(template, config)
    try:
        for step in steps:
            world.act(step)
            world.assert_never_acted_on_twice()

        # Settle: the refurbisher answers truthfully, an operator resumes submissions.
        world.refurbisher.order_answers.clear()
        world.refurbisher.lookup_answers.clear()
        resume_submissions(world.db, "flexit", "operator")
        for _ in range(6):
            world.run_pass()
        world.assert_never_acted_on_twice()

        rows = world.rows()
        assert sorted(rows) == ORDER_IDS  # nothing lost
        assert world.unfinished_attempts() == 0
        for order_id, row in rows.items():
            created = world.refurbisher.created.get(order_id, [])
            status = row["status"]
            assert status != "submitting", order_id
            if status == "submitted":
                assert created == [row["external_reference"]], order_id
            elif status in ("pending", "failed", "rejected"):
                assert status != "pending", f"{order_id} still due after the settling passes"
                assert created == [], f"{order_id} is {status} but the refurbisher has it"
            elif status == "uncertain":  # the lookup gave up: an operator decides
                assert row["lookup_next_at"] is None and row["last_error"], order_id
            else:
                assert status == "cancelled", order_id
    finally:
        world.close()
