"""The API's vocabulary: the resources minik serves, their kinds, and the well-known keys.

Owns the one resource table (REST plural → kind, group, version, scope,
short names, status subresource, categories) that the CLI (names a user
types, URLs), the store (error messages, namespacing), the registry (which
rules a resource has) and the API (routing, discovery) all read; the
well-known label, annotation and finalizer keys; and the one random-name
generator (``metadata.generateName`` and the Job controller's pod names).
Pure data and stdlib only: every layer, the CLI included, may import it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import quote

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

    @property
    def display(self) -> str:
        """``job.batch`` / ``pod`` — kubectl's ``-o name`` prefix (R14.1)."""
        kind = self.kind.lower()
        return f"{kind}.{self.group}" if self.group else kind

    def path(self, namespace: str | None, name: str | None = None, sub: str | None = None) -> str:
        """The REST path of the collection, of one object, or of its subresource ``sub``."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
            if sub is not None:
                base += f"/{sub}"
        return base


BATCH = "batch"
POLICY = "policy"
RBAC = "rbac.authorization.k8s.io"
STORAGE = "storage.k8s.io"
DISCOVERY = "discovery.k8s.io"

RESOURCES: dict[str, Resource] = {
    r.plural: r
    for r in (
        Resource("pods", "Pod", short_names=("po",), has_status=True, categories=("all",)),
        Resource("services", "Service", short_names=("svc",), has_status=True, categories=("all",)),
        Resource("configmaps", "ConfigMap", short_names=("cm",)),
        Resource("endpoints", "Endpoints", short_names=("ep",)),
        Resource("endpointslices", "EndpointSlice", group=DISCOVERY),
        Resource("secrets", "Secret"),
        Resource("events", "Event", short_names=("ev",)),
        Resource("namespaces", "Namespace", namespaced=False, short_names=("ns",), has_status=True),
        Resource("nodes", "Node", namespaced=False, short_names=("no",), has_status=True),
        Resource("jobs", "Job", group=BATCH, has_status=True, categories=("all",)),
        Resource("serviceaccounts", "ServiceAccount", short_names=("sa",)),
        Resource("roles", "Role", group=RBAC),
        Resource("clusterroles", "ClusterRole", group=RBAC, namespaced=False),
        Resource("rolebindings", "RoleBinding", group=RBAC),
        Resource("clusterrolebindings", "ClusterRoleBinding", group=RBAC, namespaced=False),
        Resource(
            "cronjobs", "CronJob", group=BATCH, short_names=("cj",), has_status=True, categories=("all",)
        ),
        Resource("persistentvolumeclaims", "PersistentVolumeClaim", short_names=("pvc",), has_status=True),
        Resource(
            "persistentvolumes", "PersistentVolume", namespaced=False, short_names=("pv",), has_status=True
        ),
        Resource("storageclasses", "StorageClass", group=STORAGE, namespaced=False, short_names=("sc",)),
        Resource(
            "poddisruptionbudgets", "PodDisruptionBudget", group=POLICY, short_names=("pdb",), has_status=True
        ),
    )
}
BY_KIND: dict[str, Resource] = {r.kind: r for r in RESOURCES.values()}
"""The table by kind (every kind minik serves is in exactly one group)."""

GENERATION_RESOURCES = frozenset({"pods", "jobs", "cronjobs", "services", "poddisruptionbudgets"})
"""Resources whose spec changes bump metadata.generation (the others have no generation)."""

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public")
"""The namespaces that may not be deleted (as the API server's namespace strategy says)."""
INITIAL_NAMESPACES = (*SYSTEM_NAMESPACES, "kube-node-lease")
"""The namespaces a new cluster starts with."""
DEFAULT_SERVICE_ACCOUNT = "default"
"""Every namespace has this ServiceAccount, as the service account controller keeps it."""


def resource(plural: str) -> Resource:
    """The :class:`Resource` for a plural; ``KeyError`` for one minik does not serve."""
    return RESOURCES[plural]


# -- well-known keys (k8s.io/api's well_known_labels.go / annotations.go, batch/v1 types.go) ------------
JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
"""On every pod a Job owns until the Job controller has counted its outcome."""
COMPLETION_INDEX_KEY = "batch.kubernetes.io/job-completion-index"
"""Label and annotation of an Indexed Job's pod: its completion index."""
FAILURE_COUNT_KEY = "batch.kubernetes.io/job-index-failure-count"
IGNORED_FAILURE_COUNT_KEY = "batch.kubernetes.io/job-index-ignored-failure-count"
CRONJOB_SCHEDULED_KEY = "batch.kubernetes.io/cronjob-scheduled-timestamp"
CRONJOB_INSTANTIATE_KEY = "cronjob.kubernetes.io/instantiate"
"""``manual`` on a Job made by ``kubectl create job --from=cronjob/…``."""
JOB_CONTROLLER_NAME = "kubernetes.io/job-controller"
"""``spec.managedBy`` of a Job the built-in controller syncs."""
ORPHAN_FINALIZER = "orphan"
FOREGROUND_FINALIZER = "foregroundDeletion"
DELETION_FINALIZERS = (ORPHAN_FINALIZER, FOREGROUND_FINALIZER)
"""The garbage collector's finalizers (propagationPolicy Orphan / Foreground)."""
NAMESPACE_FINALIZER = "kubernetes"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
LAST_APPLIED_KEY = "kubectl.kubernetes.io/last-applied-configuration"
DEFAULT_CONTAINER_KEY = "kubectl.kubernetes.io/default-container"

# -- names --------------------------------------------------------------------------------------------
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
"""apimachinery's ``util/rand`` alphabet: no vowels (no words), no look-alikes (0/o, 1/l, 3/e)."""
NAME_SUFFIX_LENGTH = 5


def random_suffix(length: int = NAME_SUFFIX_LENGTH) -> str:
    """``length`` characters from :data:`NAME_ALPHABET`."""
    return "".join(secrets.choice(NAME_ALPHABET) for _ in range(length))


def generate_name(prefix: str) -> str:
    """A name for ``metadata.generateName: prefix`` (upstream's ``SimpleNameGenerator``, five characters)."""
    return prefix + random_suffix()


DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_CLASS_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class"


def default_class_annotated(annotations: dict[str, str] | None) -> bool:
    """Whether a StorageClass with these annotations is a default one (either annotation "true")."""
    a = annotations or {}
    return "true" in (a.get(DEFAULT_CLASS_ANNOTATION), a.get(BETA_DEFAULT_CLASS_ANNOTATION))
