"""The storage executor: carries out the persistent-volume controller's decisions.

Owns reading every claim, volume, class and pod, calling the pure
:func:`minik.controllers.storage.sync_claim` / ``sync_volume`` for each,
and doing what they decide: making the labelled Docker volume of a
provisioned PersistentVolume (through the kubelet's :class:`Runtime`) before
storing the volume, binding, writing statuses and events, and removing the
Docker volume and the object of a released volume whose policy is Delete.
A Docker volume still held by the stopped containers of a pod that is not
deleted yet cannot be removed: the volume stays Released with a
``VolumeFailedDelete`` warning and is retried. It decides nothing.
"""

from __future__ import annotations

import logging

from minik.controllers import storage
from minik.controllers.event import ControllerEvent
from minik.errors import ApiError, MinikError, NotFound
from minik.k8s import Obj, meta
from minik.kubelet import labels
from minik.kubelet.runtime import Runtime
from minik.registry import Registry

log = logging.getLogger("minik.storage")

PVCS, PVS, CLASSES = "persistentvolumeclaims", "persistentvolumes", "storageclasses"
CONTROLLER = "persistentvolume-controller"
RETRY_DELETE = 5.0
"""Seconds before trying again to remove a Docker volume the engine said was in use."""


class StorageExecutor:
    def __init__(self, store: Registry, docker: Runtime, *, instance: str) -> None:
        self.store = store
        self.docker = docker
        self.instance = instance

    async def sync(self) -> float | None:
        """One pass over every claim and volume; seconds until a retry is due, if one is."""
        retry: float | None = None
        claims = self.store.list(PVCS, None)[0]
        volumes = self.store.list(PVS, None)[0]
        classes = self.store.list(CLASSES, None, shared=True)[0]
        pods = self.store.list("pods", None, shared=True)[0] if claims else []
        for claim in claims:
            try:
                if not await self._claim(claim, volumes, classes, pods):
                    retry = RETRY_DELETE
            except (NotFound, ApiError) as exc:  # a write that lost a race: the change feed wakes us again
                log.info("claim %s: %s", meta(claim).get("name"), exc)
        claims = self.store.list(PVCS, None)[0]
        for pv in self.store.list(PVS, None)[0]:
            try:
                if not await self._volume(pv, claims):
                    retry = RETRY_DELETE
            except (NotFound, ApiError) as exc:
                log.info("volume %s: %s", meta(pv).get("name"), exc)
        return retry

    def _events(self, obj: Obj, events: tuple[ControllerEvent, ...]) -> None:
        for type_, reason, message in events:
            self.store.record_event(obj, type=type_, reason=reason, message=message, component=CONTROLLER)

    async def _claim(self, claim: Obj, volumes: list[Obj], classes: list[Obj], pods: list[Obj]) -> bool:
        """Carry out one claim's decision; ``False`` when provisioning failed and must be retried."""
        d = storage.sync_claim(claim, volumes, classes, pods)
        if d.provision is not None:
            try:
                await self._provision(claim, d.provision)  # its ADDED event brings the pass that binds
            except MinikError as exc:
                sc = (claim.get("spec") or {}).get("storageClassName")
                msg = f'failed to provision volume with StorageClass "{sc}": {exc}'
                self._events(claim, (ControllerEvent("Warning", "ProvisioningFailed", msg),))
                return False
        if d.bind is not None:
            self.store.update(PVS, d.bind)
        current = claim
        if d.claim is not None:
            current = self.store.update(PVCS, d.claim)
        if d.status is not None and d.status != current.get("status"):
            current = self.store.update(PVCS, {**current, "status": d.status}, status_only=True)
        self._events(current, d.events)
        return True

    async def _provision(self, claim: Obj, pv: Obj) -> None:
        """The Docker volume first (labelled, so ``minik server delete`` finds it), then the object."""
        name = str(meta(pv)["name"])
        volume = labels.claim_volume_name(self.instance, name)
        await self.docker.create_volume(volume, labels.for_claim_volume(self.instance, name, claim))
        pv["spec"]["hostPath"] = {"path": await self.docker.volume_path(volume), "type": "DirectoryOrCreate"}
        self.store.create(PVS, pv)
        log.info("provisioned %s (Docker volume %s) for claim %s", name, volume, meta(claim).get("name"))

    async def _volume(self, pv: Obj, claims: list[Obj]) -> bool:
        """Carry out one volume's decision; ``False`` when a deletion must be retried."""
        d = storage.sync_volume(pv, claims)
        current = pv
        if d.volume is not None:
            current = self.store.update(PVS, d.volume)
            if not current:
                return True
        if d.status is not None and d.status != current.get("status"):
            current = self.store.update(PVS, {**current, "status": d.status}, status_only=True)
        self._events(current, d.events)
        if not d.delete:
            return True
        name = str(meta(pv)["name"])
        volume = labels.claim_volume_name(self.instance, name)
        try:
            await self.docker.remove_labelled(
                {labels.INSTANCE: self.instance, labels.PERSISTENT_VOLUME: name}
            )
        except MinikError as exc:
            msg = (
                f"Docker volume {volume} is still used by the stopped containers of pods that are not "
                "deleted yet; it is removed once they are"
                if "in use" in str(exc)
                else f"error deleting Docker volume {volume} (retried): {exc}"
            )
            self._events(current, (ControllerEvent("Warning", "VolumeFailedDelete", msg),))
            return False
        self.store.delete(PVS, None, name)  # pv-protection keeps it until the next pass drops it
        log.info("deleted the Docker volume of %s", name)
        return True


def concerns_storage(resource: str, kind: str, obj: Obj) -> bool:
    """Whether a change wakes the storage executor: a storage object, or a pod with claims that ended."""
    if resource in (PVCS, PVS, CLASSES):
        return True
    if resource != "pods" or not storage.claim_names(obj):
        return False
    return kind == "DELETED" or (obj.get("status") or {}).get("phase") in storage.TERMINAL
