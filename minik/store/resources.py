"""The resources minik serves: REST plural → kind, API group, scope, verbs.

Owns the one table both the store (error messages, namespacing) and the API
(routing, discovery) read. Pure data; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Resource:
    """One REST resource (``pods``, ``jobs``, …) as discovery describes it."""

    plural: str
    kind: str
    group: str = ""
    version: str = "v1"
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    has_status: bool = False
    categories: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """``v1`` or ``batch/v1``."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """``pods`` or ``jobs.batch``, as the API server names a resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        """``Pod`` or ``Job.batch``, as in ``Job.batch "x" is invalid``."""
        return f"{self.kind}.{self.group}" if self.group else self.kind


RBAC = "rbac.authorization.k8s.io"
STORAGE = "storage.k8s.io"

RESOURCES: dict[str, Resource] = {
    r.plural: r
    for r in (
        Resource("pods", "Pod", short_names=("po",), has_status=True, categories=("all",)),
        Resource("services", "Service", short_names=("svc",), has_status=True, categories=("all",)),
        Resource("configmaps", "ConfigMap", short_names=("cm",)),
        Resource("secrets", "Secret"),
        Resource("events", "Event", short_names=("ev",)),
        Resource("namespaces", "Namespace", namespaced=False, short_names=("ns",), has_status=True),
        Resource("nodes", "Node", namespaced=False, short_names=("no",), has_status=True),
        Resource("jobs", "Job", group="batch", has_status=True, categories=("all",)),
        Resource("serviceaccounts", "ServiceAccount", short_names=("sa",)),
        Resource("roles", "Role", group=RBAC),
        Resource("clusterroles", "ClusterRole", group=RBAC, namespaced=False),
        Resource("rolebindings", "RoleBinding", group=RBAC),
        Resource("clusterrolebindings", "ClusterRoleBinding", group=RBAC, namespaced=False),
        Resource(
            "cronjobs", "CronJob", group="batch", short_names=("cj",), has_status=True, categories=("all",)
        ),
        Resource("persistentvolumeclaims", "PersistentVolumeClaim", short_names=("pvc",), has_status=True),
        Resource(
            "persistentvolumes", "PersistentVolume", namespaced=False, short_names=("pv",), has_status=True
        ),
        Resource("storageclasses", "StorageClass", group=STORAGE, namespaced=False, short_names=("sc",)),
        Resource(
            "poddisruptionbudgets",
            "PodDisruptionBudget",
            group="policy",
            short_names=("pdb",),
            has_status=True,
        ),
    )
}

# Resources whose spec changes bump metadata.generation (the others have no generation).
GENERATION_RESOURCES = frozenset({"pods", "jobs", "cronjobs", "services", "poddisruptionbudgets"})

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public")
"""The namespaces that may not be deleted (as the API server's namespace strategy says)."""
INITIAL_NAMESPACES = (*SYSTEM_NAMESPACES, "kube-node-lease")
"""The namespaces a new cluster starts with."""
DEFAULT_SERVICE_ACCOUNT = "default"
"""Every namespace has this ServiceAccount, as the service account controller keeps it."""


def resource(plural: str) -> Resource:
    """The :class:`Resource` for a plural; ``KeyError`` for one minik does not serve."""
    return RESOURCES[plural]
