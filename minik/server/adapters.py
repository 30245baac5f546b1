"""The server's implementations of the interfaces the kubelet and the API declare.

- :class:`StoreObjectSource` implements the kubelet's ``ObjectSource``
  (:mod:`minik.kubelet.env`): configmaps, secrets and services, read from the store.
- :class:`StorePodSink` implements the kubelet's ``PodSink``
  (:mod:`minik.kubelet.kubelet`): pod status and pod events, written to the store
  and retried through store faults.
- :class:`ServerApiHooks` implements the API's ``ApiHooks``
  (:mod:`minik.api.hooks`): logs from the kubelet.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import anyio

from minik.auth import tokens
from minik.errors import ApiError, NotFound, StoreError
from minik.k8s import Obj, meta
from minik.kubelet.errors import ConfigError
from minik.kubelet.kubelet import Kubelet
from minik.kubelet.status_manager import merge_pod_status
from minik.logoptions import LogOptions
from minik.manifest import sa_admission
from minik.registry import Registry
from minik.registry.events import PendingEvent

log = logging.getLogger("minik.server")


class StoreObjectSource:
    """The kubelet's read-only view of the store (configmaps, secrets, services)."""

    def __init__(self, registry: Registry) -> None:
        self._store = registry

    def get(self, resource: str, namespace: str, name: str) -> Obj | None:
        try:
            return self._store.get(resource, namespace, name)
        except NotFound:
            return None

    def list(self, resource: str, namespace: str | None) -> list[Obj]:
        return self._store.list(resource, namespace, shared=True)[0]


class StoreTokenSource:
    """The kubelet's TokenRequest: a token for a pod's service account, bound to the pod."""

    def __init__(self, registry: Registry, signer: tokens.Signer) -> None:
        self._store = registry
        self._signer = signer

    def pod_token(self, pod: Obj, *, audience: str, expiration: int) -> str:
        m = meta(pod)
        ns = str(m.get("namespace") or "default")
        name = sa_admission.service_account_name(pod)
        try:
            sa = self._store.get("serviceaccounts", ns, name)
        except NotFound:
            raise ConfigError(f'serviceaccounts "{name}" not found') from None
        payload = tokens.claims_payload(
            sa=sa,
            bound=("Pod", pod),
            audiences=[audience] if audience else list(tokens.API_AUDIENCES),
            expiration=max(tokens.MIN_EXPIRATION, expiration),
            now=datetime.now(UTC),
        )
        return self._signer.encode(payload)


async def until_stored(what: str, write: Callable[[], None], *, longest: float = 5.0) -> None:
    """Run ``write`` until the store takes it, pausing longer after each :class:`StoreError`.

    A kubelet report must land once a lock is released or disk space freed;
    raising instead would end the pod's worker (and so the control plane).
    """
    pause = 0.2
    while True:
        try:
            write()
            return
        except StoreError as exc:
            log.warning("%s: %s (retrying in %.1fs)", what, exc, pause)
        await anyio.sleep(pause)
        pause = min(pause * 2, longest)


class StorePodSink:
    """Where the kubelet reports pod status and pod-level events (retried through store faults)."""

    def __init__(self, registry: Registry) -> None:
        self._store = registry

    async def update_pod_status(self, pod: Obj, status: Obj) -> None:
        name = meta(pod).get("name")
        await until_stored(f"status of pod {name}", lambda: self._store_status(pod, status))

    def _store_status(self, pod: Obj, status: Obj) -> None:
        m = meta(pod)
        try:
            current = self._store.get("pods", m.get("namespace", "default"), m["name"])
        except NotFound:
            return
        status = merge_pod_status(current.get("status") or {}, status)
        if meta(current).get("uid") != m.get("uid") or current.get("status") == status:
            return
        current["status"] = status
        self._store.update("pods", current, status_only=True)

    async def record_event(self, involved: Obj, type: str, reason: str, message: str, component: str) -> None:
        recorder = self._store.events
        what = f"event {reason} of {meta(involved).get('name')}"
        found: list[PendingEvent | None] = []

        def correlate() -> None:  # a store fault comes before the correlator counts the occurrence
            found.append(
                recorder.correlate(involved, type=type, reason=reason, message=message, component=component)
            )

        await until_stored(what, correlate)  # once: a retried write must not count it twice
        pending = found[0]
        if pending is None:
            return

        def write() -> None:
            try:
                recorder.write(pending)
            except ApiError as exc:  # e.g. a terminating namespace: an event is best effort, never fatal
                log.info("event %s of %s not recorded: %s", reason, meta(involved).get("name"), exc)

        await until_stored(what, write)


class ServerApiHooks:
    """The API's hooks: the kubelet's logs."""

    def __init__(self, kubelet: Kubelet) -> None:
        self._kubelet = kubelet

    def logs(self, pod: Obj, opts: LogOptions) -> AsyncIterator[bytes]:
        return self._kubelet.logs(pod, opts)
