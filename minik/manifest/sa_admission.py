"""The ServiceAccount admission plugin (upstream ``plugin/pkg/admission/serviceaccount``), pure.

On a pod's creation: ``spec.serviceAccountName`` defaults to ``default``
(and the deprecated ``spec.serviceAccount`` follows it); the service account
must exist (the caller looks it up and passes it, or ``None``); unless
``automountServiceAccountToken`` is false on the pod (which wins) or on the
service account, a ``kube-api-access-<5 random>`` projected volume (a
service-account token of 3607 s, ``ca.crt`` from the ``kube-root-ca.crt``
ConfigMap, the ``namespace`` from the downward API) is added and mounted
read-only at ``/var/run/secrets/kubernetes.io/serviceaccount`` in every
init and app container that mounts nothing there already.
"""

from __future__ import annotations

from typing import Any

from minik.k8s import Obj
from minik.resources import DEFAULT_SERVICE_ACCOUNT, generate_name

TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
VOLUME_PREFIX = "kube-api-access-"
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"
ROOT_CA_KEY = "ca.crt"
TOKEN_EXPIRATION = 3607
"""The projected token's lifetime the plugin asks for (an hour and 7 s, as upstream)."""
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"


class ServiceAccountMissing(Exception):
    """The pod names a service account that does not exist; the message is upstream's."""


def token_volume(name: str) -> dict[str, Any]:
    """The projected volume the plugin adds (upstream's ``TokenVolumeSource``), defaulted."""
    return {
        "name": name,
        "projected": {
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION, "path": "token"}},
                {
                    "configMap": {
                        "name": ROOT_CA_CONFIGMAP,
                        "items": [{"key": ROOT_CA_KEY, "path": ROOT_CA_KEY}],
                    }
                },
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "path": "namespace",
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                            }
                        ]
                    }
                },
            ],
            "defaultMode": 0o644,
        },
    }


def service_account_name(pod: Obj) -> str:
    spec = pod.get("spec") or {}
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or DEFAULT_SERVICE_ACCOUNT)


def admit(pod: Obj, sa: Obj | None) -> None:
    """Admit a new pod in place; ``sa`` is the service account it names, ``None`` when absent."""
    metadata = pod.get("metadata") or {}
    if MIRROR_ANNOTATION in (metadata.get("annotations") or {}):
        return
    spec = pod.setdefault("spec", {})
    name = service_account_name(pod)
    spec["serviceAccountName"] = name
    spec["serviceAccount"] = name
    if sa is None:
        ns = metadata.get("namespace") or "default"
        raise ServiceAccountMissing(
            f'error looking up service account {ns}/{name}: serviceaccount "{name}" not found'
        )
    automount = spec.get("automountServiceAccountToken")
    if automount is None:
        automount = sa.get("automountServiceAccountToken")
    if automount is False:
        return
    _mount_token(spec)


def _mount_token(spec: dict[str, Any]) -> None:
    volumes = spec.get("volumes") or []
    existing = [
        v.get("name")
        for v in volumes
        if isinstance(v, dict) and str(v.get("name", "")).startswith(VOLUME_PREFIX)
    ]
    volume_name = str(existing[0]) if existing else generate_name(VOLUME_PREFIX)
    needs_volume = False
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            mounts = c.setdefault("volumeMounts", [])
            if any(m.get("mountPath") == TOKEN_MOUNT_PATH for m in mounts):
                continue
            mounts.append({"name": volume_name, "readOnly": True, "mountPath": TOKEN_MOUNT_PATH})
            needs_volume = True
    if needs_volume and not existing:
        spec["volumes"] = [*volumes, token_volume(volume_name)]


def root_ca_configmap(namespace: str, ca_pem: str) -> Obj:
    """The ``kube-root-ca.crt`` ConfigMap the root CA publisher keeps in every namespace."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": ROOT_CA_CONFIGMAP,
            "namespace": namespace,
            "annotations": {
                "kubernetes.io/description": (
                    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
                    "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
                    "guaranteed across distributions of Kubernetes clusters."
                )
            },
        },
        "data": {ROOT_CA_KEY: ca_pem},
    }
