"""Issue 18, storage, on the real engine: a claim's data written by one Job is read by a
second (after a server restart), a pod waits Pending for a missing claim with the
scheduler's message, a claim in use stays Terminating, Delete removes the Docker
volume and Retain keeps it, and ``minik server delete`` removes what was retained.
"""

from __future__ import annotations

import json
import time
from typing import Any

import docker

from tests.support import Minik, eventually, kubectl
from tests.support.kube import Obj

PV_LABEL = "minik.io/persistent-volume"

CLAIM = """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: results
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
"""


def sh(name: str, command: str, **mount: Any) -> Obj:
    """A busybox container running ``sh -c COMMAND`` with the volume ``data`` mounted as ``mount`` says."""
    return {
        "name": name,
        "image": "busybox:latest",
        "imagePullPolicy": "IfNotPresent",
        "command": ["sh", "-c", command],
        "volumeMounts": [{"name": "data", **mount}],
    }


def job_on_claim(
    name: str, containers: list[Obj], *, init: list[Obj] | None = None, read_only: bool = False
) -> str:
    """A never-retried Job whose pod mounts the claim ``results`` as the volume ``data``."""
    claim: Obj = {"claimName": "results", **({"readOnly": True} if read_only else {})}
    pod: Obj = {
        "restartPolicy": "Never",
        **({"initContainers": init} if init else {}),
        "containers": containers,
    }
    pod["volumes"] = [{"name": "data", "persistentVolumeClaim": claim}]
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}}
    return json.dumps({**job, "spec": {"backoffLimit": 0, "template": {"spec": pod}}}, indent=1) + "\n"


# The claim, and a Job that writes the answer into the subdirectory run1 it makes first.
WRITER = (
    CLAIM
    + "---\n"
    + job_on_claim(
        "writer",
        [sh("write", "echo 42 > /out/answer", mountPath="/out", subPath="run1")],
        init=[sh("mkdir", "mkdir -p /data/run1", mountPath="/data")],
    )
)
# A Job that reads the answer back through a read-only mount, and finds it cannot write there.
READER = job_on_claim(
    "reader",
    [sh("read", "cat /in/run1/answer; touch /in/x 2>/dev/null || echo read-only", mountPath="/in")],
    read_only=True,
)

KEEPER = """\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: keep
provisioner: rancher.io/local-path
reclaimPolicy: Retain
volumeBindingMode: Immediate
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: kept
spec:
  storageClassName: keep
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 100Mi
"""

WAITER = """\
apiVersion: v1
kind: Pod
metadata:
  name: waiter
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: hold
    image: busybox:latest
    imagePullPolicy: IfNotPresent
    command: [sh, -c, "echo started; sleep 300"]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: kept}
"""


def volumes_of(client: docker.DockerClient, minik: Minik) -> list[str]:
    found = client.api.volumes(filters={"label": [f"minik.io/instance={minik.instance}", PV_LABEL]})
    return sorted(v["Name"] for v in (found or {}).get("Volumes") or [])


def test_a_claims_data_outlives_its_job_and_a_server_restart_then_delete_removes_the_volume(
    minik: Minik, docker_client: docker.DockerClient
) -> None:
    minik.run("apply", "-f", "-", input=WRITER)
    minik.run("wait", "--for=condition=complete", "job/writer", "--timeout=60s")
    claim = minik.json("get", "pvc", "results")
    assert claim["status"]["phase"] == "Bound"
    assert claim["spec"]["storageClassName"] == "standard"  # the default class, by admission
    volume = claim["spec"]["volumeName"]
    assert volume == f"pvc-{claim['metadata']['uid']}"
    assert volumes_of(docker_client, minik) == [f"minik-{minik.instance}-{volume}"]
    table = kubectl(minik, "get", "pvc,pv,sc").stdout
    assert "persistentvolumeclaim/results   Bound    " + volume in table
    assert "standard (default)   rancher.io/local-path   Delete          WaitForFirstConsumer" in table
    assert "Used By:       writer-" in minik.run("describe", "pvc", "results").stdout
    described = kubectl(minik, "describe", "pvc", "results").stdout  # kubectl's own describer
    assert "Status:        Bound" in described and "Used By:       writer-" in described, described

    minik.run("server", "stop")  # the next command starts it again: the store and the volume remain
    minik.run("apply", "-f", "-", input=READER)
    minik.run("wait", "--for=condition=complete", "job/reader", "--timeout=60s")
    assert minik.run("logs", "job/reader").stdout.split() == ["42", "read-only"]

    # Completed pods do not hold the claim: it goes at once; its volume once their containers are gone.
    minik.run("delete", "pvc", "results")
    eventually("the claim to go", lambda: minik.run("get", "pvc", "results", check=False).returncode != 0)
    minik.run("delete", "jobs", "writer", "reader", "--cascade=background")
    eventually("the Docker volume to be removed", lambda: not volumes_of(docker_client, minik))
    eventually("the volume object to go", lambda: minik.run("get", "pv", volume, check=False).returncode != 0)


def test_a_pod_waits_for_its_claim_a_used_claim_is_terminating_and_retain_keeps_the_volume(
    minik: Minik, docker_client: docker.DockerClient
) -> None:
    minik.run("apply", "-f", "-", input=WAITER)

    def unschedulable() -> bool:
        pod = minik.json("get", "pod", "waiter")
        return any(c.get("reason") == "Unschedulable" for c in pod["status"].get("conditions") or [])

    eventually("the pod to be held", unschedulable)
    events = minik.run("describe", "pod", "waiter").stdout
    assert '0/1 nodes are available: persistentvolumeclaim "kept" not found. preemption:' in events, events
    assert minik.json("get", "pod", "waiter")["status"]["phase"] == "Pending"

    minik.run("apply", "-f", "-", input=KEEPER)
    minik.run("wait", "--for=condition=Ready", "pod/waiter", "--timeout=60s")
    volume = minik.json("get", "pvc", "kept")["spec"]["volumeName"]

    minik.run("delete", "pvc", "kept", "--wait=false")
    time.sleep(1)  # the protection controller had its chance to (wrongly) let it go
    claim = minik.json("get", "pvc", "kept")
    assert claim["metadata"]["deletionTimestamp"]
    assert "Terminating" in minik.run("get", "pvc", "kept").stdout

    minik.run("delete", "pod", "waiter")
    eventually("the claim to go", lambda: minik.run("get", "pvc", "kept", check=False).returncode != 0)
    eventually("Released", lambda: minik.json("get", "pv", volume)["status"]["phase"] == "Released")
    time.sleep(1)
    assert volumes_of(docker_client, minik) == [f"minik-{minik.instance}-{volume}"]  # Retain keeps it
    pv = json.loads(kubectl(minik, "get", "pv", volume, "-o", "json").stdout)
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"

    instance = minik.instance
    deleted = minik.run("server", "delete")
    assert f"removed volume minik-{instance}-{volume}" in deleted.stdout
    left = docker_client.api.volumes(filters={"label": [f"minik.io/instance={instance}"]})
    assert not (left or {}).get("Volumes")
