"""A small Redis work-queue client on redis-py, the client the Kubernetes tutorial's
``rediswq.py`` uses (written here for minik's example).

Items move from the list ``<name>`` to ``<name>:processing`` when leased; a
lease is a key with an expiry, so an item whose worker died is taken again
once the lease has been expired for a grace of twice its length.
``complete`` removes the item and records it in the hash
``<name>:completed`` (item → times completed) and ``<name>:workers``
(session → items done), so a test can check each item was done exactly once.
"""

from __future__ import annotations

import time
import uuid

import redis


def connect(host: str, port: int = 6379, retry_seconds: float = 30.0) -> redis.Redis:
    """A client whose server answers PING, retried while Redis is still starting."""
    db = redis.Redis(host=host, port=port, socket_timeout=30, socket_connect_timeout=5)
    deadline = time.monotonic() + retry_seconds
    while True:
        try:
            db.ping()
            return db
        except redis.exceptions.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


class RedisWQ:
    def __init__(self, name: str, host: str = "redis", port: int = 6379) -> None:
        self._db = connect(host, port)
        self._session = str(uuid.uuid4())
        self._main = name
        self._processing = name + ":processing"
        self._lease_prefix = name + ":leased_by_session:"
        self._completed = name + ":completed"
        self._workers = name + ":workers"

    def sessionID(self) -> str:  # noqa: N802 - the tutorial's name
        return self._session

    def _requeue_expired(self) -> None:
        # A lease key is set just after its item moves to the processing list:
        # an item seen without one is looked at again a second later, so one
        # being leased at this moment is never put back (it would run twice).
        missing = [i for i in self._db.lrange(self._processing, 0, -1) if not self._db.exists(self._lease_prefix + i.decode())]
        if not missing:
            return
        time.sleep(1)
        for item in missing:
            if not self._db.exists(self._lease_prefix + item.decode()):
                # Lease expired (its worker died): put it back, once.
                if self._db.lrem(self._processing, 1, item):
                    self._db.rpush(self._main, item)

    def empty(self) -> bool:
        self._requeue_expired()
        return self._db.llen(self._main) == 0 and self._db.llen(self._processing) == 0

    def lease(self, lease_secs: int = 60, block: bool = True, timeout: int | None = None) -> bytes | None:
        if block:
            item = self._db.brpoplpush(self._main, self._processing, timeout=timeout or 0)
        else:
            item = self._db.rpoplpush(self._main, self._processing)
        if item is None:
            return None
        # The lease key outlives the lease by a grace of twice its length, so
        # an item is re-queued only when its worker has clearly died, never
        # while a slow worker is finishing it (that would do it twice).
        self._db.set(self._lease_prefix + item.decode(), self._session, ex=lease_secs * 3)
        return bytes(item)

    def complete(self, item: bytes) -> None:
        pipe = self._db.pipeline()  # MULTI/EXEC: the item is done and counted at once
        pipe.lrem(self._processing, 0, item)
        pipe.delete(self._lease_prefix + item.decode())
        pipe.hincrby(self._completed, item, 1)
        pipe.hincrby(self._workers, self._session, 1)
        pipe.execute()
