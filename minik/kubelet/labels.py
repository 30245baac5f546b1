"""The Docker labels and names minik gives what it creates: the one place they are spelt.

Every object carries :data:`MANAGED` (``minik.io/managed=true``) and
:data:`INSTANCE` (the state directory's id), so cleanup and adoption work by
label alone; a pod's containers and volumes also carry the pod's uid, name
and namespace, the container's name (``POD`` for the sandbox) and attempt,
and a Job pod's Job uid and completion index. Pure.
"""

from __future__ import annotations

import hashlib

from minik.k8s import Obj, meta
from minik.kubelet.errors import sanitize
from minik.resources import COMPLETION_INDEX_KEY

MANAGED = "minik.io/managed"
INSTANCE = "minik.io/instance"
HOME = "minik.io/home"  # on the instance network: the state directory it belongs to
POD_UID = "minik.io/pod-uid"
POD_NAME = "minik.io/pod-name"
NAMESPACE = "minik.io/namespace"
CONTAINER = "minik.io/container"
ATTEMPT = "minik.io/attempt"
JOB_UID = "minik.io/job-uid"
COMPLETION_INDEX = "minik.io/completion-index"
PERSISTENT_VOLUME = "minik.io/persistent-volume"  # on the Docker volume behind a provisioned PV
CLAIM = "minik.io/claim"  # and the claim it was made for (with NAMESPACE)

SANDBOX = "POD"  # the container name of a pod's sandbox
INDEX_LABEL = COMPLETION_INDEX_KEY


def instance(instance_id: str) -> dict[str, str]:
    return {INSTANCE: instance_id}


def of_pod(instance_id: str, uid: str) -> dict[str, str]:
    """Selects every object of one pod."""
    return {INSTANCE: instance_id, POD_UID: uid}


def for_container(instance_id: str, pod: Obj, container: str) -> dict[str, str]:
    """The labels of one of the pod's containers (or of a volume, named after it)."""
    m = meta(pod)
    out = {
        INSTANCE: instance_id,
        POD_UID: str(m["uid"]),
        POD_NAME: str(m["name"]),
        NAMESPACE: str(m.get("namespace") or "default"),
        CONTAINER: container,
    }
    for ref in m.get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == "Job":
            out[JOB_UID] = str(ref.get("uid"))
    idx = (m.get("labels") or {}).get(INDEX_LABEL)
    if idx is not None:
        out[COMPLETION_INDEX] = str(idx)
    return out


def attempt(labels: dict[str, str] | object) -> int:
    """The attempt number a container's labels carry (0 when absent)."""
    get = getattr(labels, "get", None)
    return int(get(ATTEMPT, "0")) if get is not None else 0


def container_name(instance_id: str, pod: Obj, container: str, attempt: int = 0) -> str:
    """The Docker name of one run of a pod's container: readable, unique per pod uid and attempt."""
    m = meta(pod)
    uid = str(m["uid"])
    h = hashlib.sha1(uid.encode()).hexdigest()[:8]
    base = f"minik-{instance_id}-{m.get('namespace') or 'default'}-{m['name']}-{container}"[:200]
    return sanitize(f"{base}-{h}" + (f"-{attempt}" if attempt else ""))


def volume_name(instance_id: str, uid: str, volume: str) -> str:
    """The Docker volume behind a pod's disk emptyDir."""
    return sanitize(f"minik-{instance_id}-{uid[:8]}-{volume}")


def claim_volume_name(instance_id: str, pv_name: str) -> str:
    """The Docker volume behind a PersistentVolume minik provisioned (``pvc-<uid>``)."""
    return sanitize(f"minik-{instance_id}-{pv_name}")


def for_claim_volume(instance_id: str, pv_name: str, claim: Obj) -> dict[str, str]:
    """The labels of a provisioned volume: it outlives every pod, so it carries no pod uid."""
    m = meta(claim)
    return {
        INSTANCE: instance_id,
        PERSISTENT_VOLUME: pv_name,
        NAMESPACE: str(m.get("namespace") or "default"),
        CLAIM: str(m.get("name")),
    }


def network_name(instance_id: str) -> str:
    return f"minik-{instance_id}"
