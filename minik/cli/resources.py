"""The resource types the CLI knows: names, aliases, REST paths and display names.

Owns the mapping from what a user types (``job``, ``jobs.batch``, ``po``,
``svc``, ``job/NAME``) to the REST plural and the URL of a collection or an
object. Knows nothing about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from minik.errors import UsageError


@dataclass(frozen=True)
class Resource:
    plural: str
    kind: str
    group: str
    version: str
    namespaced: bool = True

    @property
    def qualified(self) -> str:
        """``jobs.batch`` / ``pods`` — how the API names the resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def display(self) -> str:
        """``job.batch`` / ``pod`` — the ``-o name`` prefix (R14.1)."""
        kind = self.kind.lower()
        return f"{kind}.{self.group}" if self.group else kind

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None, name: str | None = None, sub: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
            if sub is not None:
                base += f"/{sub}"
        return base


JOBS = Resource("jobs", "Job", "batch", "v1")
CRONJOBS = Resource("cronjobs", "CronJob", "batch", "v1")
PODS = Resource("pods", "Pod", "", "v1")
SERVICES = Resource("services", "Service", "", "v1")
CONFIGMAPS = Resource("configmaps", "ConfigMap", "", "v1")
SECRETS = Resource("secrets", "Secret", "", "v1")
EVENTS = Resource("events", "Event", "", "v1")
NAMESPACES = Resource("namespaces", "Namespace", "", "v1", namespaced=False)
NODES = Resource("nodes", "Node", "", "v1", namespaced=False)
SERVICEACCOUNTS = Resource("serviceaccounts", "ServiceAccount", "", "v1")
_RBAC = "rbac.authorization.k8s.io"
ROLES = Resource("roles", "Role", _RBAC, "v1")
CLUSTERROLES = Resource("clusterroles", "ClusterRole", _RBAC, "v1", namespaced=False)
ROLEBINDINGS = Resource("rolebindings", "RoleBinding", _RBAC, "v1")
CLUSTERROLEBINDINGS = Resource("clusterrolebindings", "ClusterRoleBinding", _RBAC, "v1", namespaced=False)
ACCESS = (SERVICEACCOUNTS, ROLES, CLUSTERROLES, ROLEBINDINGS, CLUSTERROLEBINDINGS)
PDBS = Resource("poddisruptionbudgets", "PodDisruptionBudget", "policy", "v1")
PVCS = Resource("persistentvolumeclaims", "PersistentVolumeClaim", "", "v1")
PVS = Resource("persistentvolumes", "PersistentVolume", "", "v1", namespaced=False)
STORAGECLASSES = Resource("storageclasses", "StorageClass", "storage.k8s.io", "v1", namespaced=False)
STORAGE = (PVCS, PVS, STORAGECLASSES)

ALL = (
    JOBS,
    CRONJOBS,
    PODS,
    SERVICES,
    CONFIGMAPS,
    SECRETS,
    EVENTS,
    NAMESPACES,
    NODES,
    *ACCESS,
    PDBS,
    *STORAGE,
)
BY_KIND = {r.kind: r for r in ALL}

_ALIASES: dict[str, Resource] = {}
for _r, _names in (
    (JOBS, ("job", "jobs", "job.batch", "jobs.batch", "job.batch/v1")),
    (CRONJOBS, ("cj", "cronjob", "cronjobs", "cronjob.batch", "cronjobs.batch", "cronjob.batch/v1")),
    (PODS, ("po", "pod", "pods")),
    (SERVICES, ("svc", "service", "services")),
    (CONFIGMAPS, ("cm", "configmap", "configmaps")),
    (SECRETS, ("secret", "secrets")),
    (EVENTS, ("ev", "event", "events", "event.events.k8s.io")),
    (NAMESPACES, ("ns", "namespace", "namespaces")),
    (NODES, ("no", "node", "nodes")),
    (SERVICEACCOUNTS, ("sa", "serviceaccount", "serviceaccounts")),
    (PVCS, ("pvc", "persistentvolumeclaim", "persistentvolumeclaims")),
    (PVS, ("pv", "persistentvolume", "persistentvolumes")),
    (
        STORAGECLASSES,
        (
            "sc",
            "storageclass",
            "storageclasses",
            "storageclass.storage.k8s.io",
            "storageclasses.storage.k8s.io",
        ),
    ),
    (PDBS, ("pdb", "poddisruptionbudget", "poddisruptionbudgets", "poddisruptionbudget.policy")),
    *(
        (r, (r.kind.lower(), r.plural, f"{r.kind.lower()}.{_RBAC}", f"{r.plural}.{_RBAC}"))
        for r in (ROLES, CLUSTERROLES, ROLEBINDINGS, CLUSTERROLEBINDINGS)
    ),
):
    for _n in _names:
        _ALIASES[_n] = _r

# `kubectl get all` (the "all" category): pods, services, cronjobs, jobs — in kubectl's order.
ALL_CATEGORY = (PODS, SERVICES, CRONJOBS, JOBS)


def lookup(name: str) -> Resource:
    r = _ALIASES.get(name.lower())
    if r is None:
        raise UsageError(f'the server doesn\'t have a resource type "{name}"')
    return r


def for_kind(kind: str, api_version: str = "") -> Resource:
    r = BY_KIND.get(kind)
    if r is None or (api_version and r.api_version != api_version):
        raise UsageError(f'no matches for kind "{kind}" in version "{api_version}"')
    return r


def parse_targets(words: list[str]) -> list[tuple[Resource, str | None]]:
    """``TYPE [NAME...]`` or ``TYPE/NAME [TYPE/NAME...]`` → (resource, name or None) pairs.

    ``TYPE`` may be a comma list (``jobs,pods``) when no names follow.
    """
    if not words:
        raise UsageError("you must specify the type of resource to get")
    if "/" in words[0]:
        out: list[tuple[Resource, str | None]] = []
        for w in words:
            kind, sep, name = w.partition("/")
            if not sep or not name:
                raise UsageError("arguments in resource/name form must have a single resource and name")
            out.append((lookup(kind), name))
        return out
    types = [t for t in words[0].split(",") if t]
    names = words[1:]
    for n in names:
        if "/" in n:
            raise UsageError(
                "there is no need to specify a resource type as a separate argument when passing "
                "arguments in resource/name form"
            )
    if names:
        if len(types) != 1:
            raise UsageError("you may only specify a single resource type when names are given")
        return [(lookup(types[0]), n) for n in names]
    out = []
    for t in types:
        if t.lower() == "all":
            out.extend((r, None) for r in ALL_CATEGORY)
        else:
            out.append((lookup(t), None))
    return out
