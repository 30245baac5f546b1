"""A small Redis work-queue client, written for minik's example.

In the spirit of the Kubernetes tutorial's client, but our own code and with
no dependencies: it speaks RESP over a socket. Items move from the list
``<name>`` to ``<name>:processing`` when leased; a lease is a key with an
expiry, so an item whose worker died is taken again once the lease has been
expired for a grace of twice its length. ``complete`` removes the item and records it in the hash
``<name>:completed`` (item → times completed) and ``<name>:workers``
(session → items done), so a test can check each item was done exactly once.
"""

from __future__ import annotations

import socket
import time
import uuid


class Redis:
    """Just enough of the Redis protocol for a work queue."""

    def __init__(self, host: str, port: int = 6379, retry_seconds: float = 30.0) -> None:
        deadline = time.monotonic() + retry_seconds
        while True:
            try:
                self._sock = socket.create_connection((host, port), timeout=30)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self._buf = self._sock.makefile("rb")

    def call(self, *args: object) -> object:
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            data = a if isinstance(a, bytes) else str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self._sock.sendall(b"".join(parts))
        return self._read()

    def _read(self) -> object:
        line = self._buf.readline()
        if not line:
            raise ConnectionError("redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self._buf.read(n + 2)
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line!r}")


class RedisWQ:
    def __init__(self, name: str, host: str = "redis", port: int = 6379) -> None:
        self._db = Redis(host, port)
        self._session = str(uuid.uuid4())
        self._main = name
        self._processing = name + ":processing"
        self._lease_prefix = name + ":leased_by_session:"
        self._completed = name + ":completed"
        self._workers = name + ":workers"

    def sessionID(self) -> str:  # noqa: N802 - the tutorial's name
        return self._session

    def _requeue_expired(self) -> None:
        for item in self._db.call("LRANGE", self._processing, 0, -1) or []:
            if not self._db.call("EXISTS", self._lease_prefix + item.decode()):
                # Lease expired (its worker died): put it back, once.
                if self._db.call("LREM", self._processing, 1, item):
                    self._db.call("RPUSH", self._main, item)

    def empty(self) -> bool:
        self._requeue_expired()
        return self._db.call("LLEN", self._main) == 0 and self._db.call("LLEN", self._processing) == 0

    def lease(self, lease_secs: int = 60, block: bool = True, timeout: int | None = None) -> bytes | None:
        if block:
            item = self._db.call("BRPOPLPUSH", self._main, self._processing, timeout or 0)
        else:
            item = self._db.call("RPOPLPUSH", self._main, self._processing)
        if item is None:
            return None
        # The lease key outlives the lease by a grace of twice its length, so
        # an item is re-queued only when its worker has clearly died, never
        # while a slow worker is finishing it (that would do it twice).
        self._db.call("SET", self._lease_prefix + item.decode(), self._session, "EX", lease_secs * 3)
        return item  # type: ignore[return-value]

    def complete(self, item: bytes) -> None:
        self._db.call("LREM", self._processing, 0, item)
        self._db.call("DEL", self._lease_prefix + item.decode())
        self._db.call("HINCRBY", self._completed, item, 1)
        self._db.call("HINCRBY", self._workers, self._session, 1)
