"""API versions Kubernetes has removed, and what replaced them.

Owns the one table of ``(apiVersion, kind)`` pairs a current API server no
longer serves: a manifest using one gets kubectl's own words (``no matches
for kind "CronJob" in version "batch/v1beta1"``) and the version to use
instead, rather than a misleading "minik does not implement". Pure data.
"""

from __future__ import annotations

from minik.errors import FieldError

_APPS = ("Deployment", "DaemonSet", "ReplicaSet", "StatefulSet")
_RBAC = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")

# (old apiVersion, kind) → (current apiVersion, the Kubernetes release that removed the old one)
REMOVED: dict[tuple[str, str], tuple[str, str]] = {
    ("batch/v1beta1", "CronJob"): ("batch/v1", "1.25"),
    ("batch/v2alpha1", "CronJob"): ("batch/v1", "1.21"),
    **{("extensions/v1beta1", k): ("apps/v1", "1.16") for k in ("Deployment", "DaemonSet", "ReplicaSet")},
    ("extensions/v1beta1", "Ingress"): ("networking.k8s.io/v1", "1.22"),
    ("extensions/v1beta1", "NetworkPolicy"): ("networking.k8s.io/v1", "1.16"),
    ("extensions/v1beta1", "PodSecurityPolicy"): ("", "1.25"),
    **{("apps/v1beta1", k): ("apps/v1", "1.16") for k in _APPS},
    **{("apps/v1beta2", k): ("apps/v1", "1.16") for k in _APPS},
    **{("rbac.authorization.k8s.io/v1beta1", k): ("rbac.authorization.k8s.io/v1", "1.22") for k in _RBAC},
    **{("rbac.authorization.k8s.io/v1alpha1", k): ("rbac.authorization.k8s.io/v1", "1.22") for k in _RBAC},
    ("networking.k8s.io/v1beta1", "Ingress"): ("networking.k8s.io/v1", "1.22"),
    ("policy/v1beta1", "PodDisruptionBudget"): ("policy/v1", "1.25"),
    ("policy/v1beta1", "PodSecurityPolicy"): ("", "1.25"),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler"): ("autoscaling/v2", "1.25"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): ("autoscaling/v2", "1.26"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"): ("scheduling.k8s.io/v1", "1.22"),
    ("storage.k8s.io/v1beta1", "StorageClass"): ("storage.k8s.io/v1", "1.22"),
}


def removed_version(kind: str, api_version: str) -> FieldError | None:
    """kubectl's "no matches" error, with the replacement, for a removed API version; else ``None``."""
    gone = REMOVED.get((api_version, kind))
    if gone is None:
        return None
    current, release = gone
    if current:
        hint = f"{api_version} was removed in Kubernetes {release}; use apiVersion: {current}"
    else:
        hint = f"{kind} was removed in Kubernetes {release} and has no replacement"
    return FieldError(
        path="apiVersion",
        reason=f'no matches for kind "{kind}" in version "{api_version}"',
        detail=hint,
        extra={"path": ("apiVersion",)},
    )
