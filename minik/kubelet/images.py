"""imagePullPolicy on an engine that usually cannot reach a registry."""

from __future__ import annotations

from typing import Protocol

import anyio

from minik.errors import MinikError
from minik.k8s import Obj
from minik.kubelet.errors import ImagePullError
from minik.kubelet.runtime import Runtime


class EventSink(Protocol):
    """Where the kubelet records a pod's events."""

    async def record_event(
        self, involved: Obj, type: str, reason: str, message: str, component: str
    ) -> None: ...


class Images:
    """imagePullPolicy: pull when asked; fall back to a local image when offline."""

    def __init__(self, docker: Runtime, events: EventSink) -> None:
        self.docker = docker
        self.events = events
        self._failed: dict[str, float] = {}
        self._present: dict[str, float] = {}  # image → when last seen locally

    async def _size(self, image: str) -> int | None:
        try:
            return await self.docker.image_size(image)
        except MinikError:
            return None

    async def ensure(self, pod: Obj, c: Obj) -> str:
        image = str(c["image"])
        policy = c.get("imagePullPolicy") or ("Always" if _latest(image) else "IfNotPresent")
        seen = self._present.get(image)
        local = seen is not None and anyio.current_time() - seen < 30
        if not local:
            local = await self.docker.has_image(image)
            if local:
                self._present[image] = anyio.current_time()
        if policy == "Never" or (policy == "IfNotPresent" and local):
            if not local:
                raise ImagePullError(
                    f'Container image "{image}" is not present with pull policy of Never', never=True
                )
            present = f'Container image "{image}" already present on machine'
            await self.events.record_event(pod, "Normal", "Pulled", present, "kubelet")
            return image
        recent = self._failed.get(image)
        if recent is None or anyio.current_time() - recent > 60:
            try:
                await self.events.record_event(
                    pod, "Normal", "Pulling", f'Pulling image "{image}"', "kubelet"
                )
                began = anyio.current_time()
                await self.docker.pull(image)
                took = _go_seconds(anyio.current_time() - began)
                self._failed.pop(image, None)
                pulled = f'Successfully pulled image "{image}" in {took} ({took} including waiting)'
                size = await self._size(image)
                if size is not None:
                    pulled += f". Image size: {size} bytes."
                await self.events.record_event(pod, "Normal", "Pulled", pulled, "kubelet")
                return image
            except MinikError as exc:
                self._failed[image] = anyio.current_time()
                err = str(exc)
        else:
            err = "no registry answered a recent pull"
        if local:
            await self.events.record_event(
                pod,
                "Warning",
                "PullFailedUsingLocal",
                f'Failed to pull image "{image}" ({err.splitlines()[0][:200]}); using the local image',
                "kubelet",
            )
            return image
        raise ImagePullError(f'Failed to pull image "{image}": {err.splitlines()[0][:300]}')


def _latest(image: str) -> bool:
    if "@" in image:
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


def _go_seconds(seconds: float) -> str:
    """A duration as Go prints one under a minute: ``1.234s``, ``250ms``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"
