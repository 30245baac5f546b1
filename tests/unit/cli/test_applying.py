"""``minik apply``'s three-way strategic merge patch, checked against the API's own patch function."""

from __future__ import annotations

import copy

import pytest

from minik.api.patch import strategic_merge_patch
from minik.cli.applying import three_way_strategic_patch
from minik.k8s import Obj


def pod_spec(*containers: Obj, volumes: list[Obj] | None = None) -> Obj:
    spec: Obj = {"containers": list(containers), "restartPolicy": "Never"}
    if volumes is not None:
        spec["volumes"] = volumes
    return {"spec": {"template": {"spec": spec}}}


def c(name: str, **extra: object) -> Obj:
    return {"name": name, "image": "busybox", **extra}


def defaulted(obj: Obj) -> Obj:
    """What the server stores: every container gets defaults the manifest never had."""
    out = copy.deepcopy(obj)
    for container in out["spec"]["template"]["spec"]["containers"]:
        container.setdefault("imagePullPolicy", "Always")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
    return out


CASES = {
    "nothing changed": (pod_spec(c("a")), pod_spec(c("a"))),
    "a container's command changed": (pod_spec(c("a", command=["x"])), pod_spec(c("a", command=["y"]))),
    "a container added": (pod_spec(c("a")), pod_spec(c("a"), c("b"))),
    "a container removed": (pod_spec(c("a"), c("b")), pod_spec(c("b"))),
    "an env var removed and one changed": (
        pod_spec(c("a", env=[{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}])),
        pod_spec(c("a", env=[{"name": "Y", "value": "3"}])),
    ),
    "a volume replaced": (
        pod_spec(c("a"), volumes=[{"name": "v", "emptyDir": {}}]),
        pod_spec(c("a"), volumes=[{"name": "w", "emptyDir": {"medium": "Memory"}}]),
    ),
    "a field dropped from the manifest": (pod_spec(c("a", workingDir="/w")), pod_spec(c("a"))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_patch_turns_the_live_object_into_the_new_manifest(name: str) -> None:
    last, new = CASES[name]
    live = defaulted(last)
    patch = three_way_strategic_patch(last, new, live)
    assert defaulted(strategic_merge_patch(live, patch)) == defaulted(new)  # the server re-defaults
    if name == "nothing changed":
        assert patch == {}


def test_removed_containers_are_deleted_by_key_not_by_replacing_the_list() -> None:
    last, new = CASES["a container removed"]
    patch = three_way_strategic_patch(last, new, defaulted(last))
    containers = patch["spec"]["template"]["spec"]["containers"]
    assert containers == [{"name": "a", "$patch": "delete"}]
    assert patch["spec"]["template"]["spec"]["$setElementOrder/containers"] == [{"name": "b"}]


def test_a_list_without_a_merge_key_is_sent_whole() -> None:
    last, new = CASES["a container's command changed"]
    patch = three_way_strategic_patch(last, new, defaulted(last))
    assert patch["spec"]["template"]["spec"]["containers"] == [{"name": "a", "command": ["y"]}]
