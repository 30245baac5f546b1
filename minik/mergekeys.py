"""Which lists a strategic merge patch merges by key, and by which key — one table for all.

The API's strategic merge patch (:mod:`minik.api.patch`), the OpenAPI
``x-kubernetes-patch-merge-key`` extensions kubectl reads
(:mod:`minik.api.openapi`) and ``minik apply``'s patch
(:mod:`minik.cli.applying`) all use this table, so they agree. It follows the
``patchMergeKey`` tags of the upstream Go types for the fields minik's
objects have. Pure data.
"""

from __future__ import annotations

# list field name → merge key (None: a primitive list merged as a set, e.g. finalizers;
# "": atomic in Kubernetes, replaced whole)
MERGE_KEYS: dict[str, str | None] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "tolerations": "",
    "ownerReferences": "uid",
    "finalizers": None,
    "conditions": "type",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}
SERVICE_PORT_KEY = "port"
"""A Service's ``spec.ports`` merge by ``port``; a container's ``ports`` by ``containerPort``."""


def merge_key(field: str, path: tuple[str, ...]) -> str | bool | None:
    """The merge key of list ``field`` under ``path``; ``False`` when the list is replaced whole."""
    if field == "ports" and path and path[-1] == "spec" and "template" not in path:
        return SERVICE_PORT_KEY  # Service spec.ports (a pod's are reached through "containers")
    if field not in MERGE_KEYS:
        return False
    key = MERGE_KEYS[field]
    return False if key == "" else key
