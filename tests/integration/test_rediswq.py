"""The work-queue example's Redis queue (``rediswq.py`` on redis-py) against a compose-managed Redis.

pytest-docker starts `tests/integration/compose/redis.yml` with Debian's
docker-compose (v1) and removes it afterwards.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

WORKER_DIR = Path(__file__).resolve().parents[2] / "examples" / "work-queue" / "worker"


@pytest.fixture(scope="session")
def docker_compose_command() -> str:
    return "docker-compose"


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(Path(__file__).parent / "compose" / "redis.yml")


@pytest.fixture(scope="session")
def docker_setup() -> list[str]:
    return ["up -d"]


@pytest.fixture(scope="session")
def rediswq() -> Iterator[ModuleType]:
    sys.path.insert(0, str(WORKER_DIR))
    try:
        import rediswq as module  # type: ignore[import-not-found]

        yield module
    finally:
        sys.path.remove(str(WORKER_DIR))


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(7) == b"+PONG\r\n"
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_port(docker_client: Any, docker_services: Any) -> int:
    port = int(docker_services.port_for("redis", 6379))
    docker_services.wait_until_responsive(timeout=30.0, pause=0.1, check=lambda: _answers(port))
    return port


def test_each_item_is_leased_once_and_completed_once(rediswq: ModuleType, redis_port: int) -> None:
    name = f"q{time.monotonic_ns()}"
    db = rediswq.connect("127.0.0.1", redis_port)
    db.rpush(name, "a", "b", "c")
    w1 = rediswq.RedisWQ(name=name, host="127.0.0.1", port=redis_port)
    w2 = rediswq.RedisWQ(name=name, host="127.0.0.1", port=redis_port)
    got = []
    for w in (w1, w2, w1):
        item = w.lease(lease_secs=10, block=False)
        assert item is not None
        got.append(item)
        w.complete(item)
    assert sorted(got) == [b"a", b"b", b"c"]
    assert w1.empty() and w2.empty()
    assert db.hgetall(name + ":completed") == {b"a": b"1", b"b": b"1", b"c": b"1"}


def test_an_expired_lease_puts_the_item_back_after_a_grace(rediswq: ModuleType, redis_port: int) -> None:
    name = f"q{time.monotonic_ns()}"
    rediswq.connect("127.0.0.1", redis_port).rpush(name, "x")
    dead = rediswq.RedisWQ(name=name, host="127.0.0.1", port=redis_port)
    assert dead.lease(lease_secs=1, block=False) == b"x"
    alive = rediswq.RedisWQ(name=name, host="127.0.0.1", port=redis_port)
    assert not alive.empty()  # leased, not done
    time.sleep(1.5)
    assert (
        not alive.empty() and alive.lease(lease_secs=10, block=False) is None
    )  # grace: a slow worker keeps it
    time.sleep(1.7)
    assert not alive.empty()  # the expired lease is re-queued
    item = alive.lease(lease_secs=10, block=False)
    assert item == b"x"
    alive.complete(item)
    assert alive.empty()
