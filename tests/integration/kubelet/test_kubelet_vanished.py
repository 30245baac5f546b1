"""A container removed behind minik's back (docker rm -f) fails the pod with a clear reason."""

from __future__ import annotations

import docker

from tests.support import Cluster, busybox_spec, container_status


def test_container_removed_outside_minik_is_terminated_container_status_unknown(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(pod_name, busybox_spec('["sleep", "60"]', grace=None))
    pod = minik.wait_container(pod_name, "c", "running")
    cid = minik.container_of(pod["metadata"]["uid"], "c")["Id"]
    docker.from_env().api.remove_container(cid, force=True)
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), timeout=30)
    assert pod["status"]["phase"] == "Failed"
    terminated = container_status(pod, "c")["state"]["terminated"]  # type: ignore[index]
    assert (terminated["reason"], terminated["exitCode"]) == ("ContainerStatusUnknown", 137)
    assert terminated["message"] == "The container could not be located when the pod was terminated"
    minik.delete("pod", pod_name)
