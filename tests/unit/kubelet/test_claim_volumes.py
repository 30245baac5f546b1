"""A pod's persistentVolumeClaim volumes in the kubelet (minik.kubelet.volumes), over the fake runtime:
what each claim mounts, and the FailedMount reasons while it cannot be mounted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from minik.kubelet import labels
from minik.kubelet.env import Env
from minik.kubelet.errors import ConfigError
from minik.kubelet.volumes import Volumes

from .fake_runtime import FakeRuntime

INSTANCE = "abcd1234"


class Objects:
    def __init__(self, *objs: dict[str, Any]) -> None:
        self.objs = {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in objs}

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        kind = {"persistentvolumeclaims": "PersistentVolumeClaim", "persistentvolumes": "PersistentVolume"}[
            resource
        ]
        return self.objs.get((kind, namespace if kind == "PersistentVolumeClaim" else "", name))

    def list(self, resource: str, namespace: str | None) -> list[dict[str, Any]]:
        return []


def claim(name: str, volume: str | None, phase: str = "Bound") -> dict[str, Any]:
    return {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"volumeName": volume} if volume else {},
        "status": {"phase": phase},
    }


def provisioned(name: str) -> dict[str, Any]:
    return {
        "kind": "PersistentVolume",
        "metadata": {
            "name": name,
            "annotations": {"pv.kubernetes.io/provisioned-by": "rancher.io/local-path"},
        },
        "spec": {"hostPath": {"path": "/ignored"}},
    }


def host(name: str, path: Path) -> dict[str, Any]:
    return {"kind": "PersistentVolume", "metadata": {"name": name}, "spec": {"hostPath": {"path": str(path)}}}


def pod(*vols: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": "default", "uid": "u-1"}, "spec": {"volumes": list(vols)}}


def vol(name: str, claim_name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "persistentVolumeClaim": {"claimName": claim_name, **extra}}


def prepare(tmp_path: Path, objects: Objects, p: dict[str, Any], rt: FakeRuntime) -> Any:
    v = Volumes(rt, Env(objects), objects, state_dir=tmp_path, instance=INSTANCE)
    return anyio.run(v.prepare, p, "10.0.0.2")


def test_a_provisioned_claim_mounts_its_docker_volume_and_readonly_is_kept(tmp_path: Path) -> None:
    rt = FakeRuntime(tmp_path)
    docker_name = labels.claim_volume_name(INSTANCE, "pvc-1")
    anyio.run(rt.create_volume, docker_name, {})
    objects = Objects(claim("data", "pvc-1"), provisioned("pvc-1"))
    sources, _ = prepare(tmp_path, objects, pod(vol("a", "data"), vol("b", "data", readOnly=True)), rt)
    assert sources == {"a": ("volume", docker_name), "b": ("ro-volume", docker_name)}
    v = Volumes(rt, Env(objects), objects, state_dir=tmp_path, instance=INSTANCE)
    c = {"name": "c", "volumeMounts": [{"name": "a", "mountPath": "/a"}, {"name": "b", "mountPath": "/b"}]}
    binds, _ = anyio.run(v.mounts, pod(), "10.0.0.2", c, sources)
    assert binds == [f"{docker_name}:/a:rw", f"{docker_name}:/b:ro"]


def test_a_static_host_path_volume_is_bind_mounted(tmp_path: Path) -> None:
    rt = FakeRuntime(tmp_path)
    (tmp_path / "cache").mkdir()
    objects = Objects(claim("cache", "pv-host"), host("pv-host", tmp_path / "cache"))
    sources, _ = prepare(tmp_path, objects, pod(vol("a", "cache")), rt)
    assert sources == {"a": ("bind", str(tmp_path / "cache"))}


@pytest.mark.parametrize(
    ("name", "objects", "message"),
    [
        ("a missing claim", Objects(), 'persistentvolumeclaim "data" not found'),
        (
            "an unbound claim",
            Objects(claim("data", None, "Pending")),
            'persistentvolumeclaim "data" is not bound',
        ),
        (
            "a provisioned volume whose Docker volume is gone (never re-made unlabelled)",
            Objects(claim("data", "pvc-1"), provisioned("pvc-1")),
            f'the Docker volume {labels.claim_volume_name(INSTANCE, "pvc-1")} of persistentvolume "pvc-1" is gone',
        ),
    ],
)
def test_a_claim_that_cannot_be_mounted_is_a_failed_mount(
    tmp_path: Path, name: str, objects: Objects, message: str
) -> None:
    rt = FakeRuntime(tmp_path)
    with pytest.raises(ConfigError) as err:
        prepare(tmp_path, objects, pod(vol("a", "data")), rt)
    assert str(err.value) == message
    assert rt.volumes == {}
