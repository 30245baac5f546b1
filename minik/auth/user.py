"""Who a request is: the API server's ``user.Info`` and its well-known names.

Owns the user the kubeconfig's token stands for (the cluster admin, as kind's
kubeconfig is: group ``system:masters``), the service-account user names and
groups (``k8s.io/apiserver/pkg/authentication/serviceaccount``), and the
``extra`` keys a pod-bound token carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MASTERS = "system:masters"
"""The privileged group: every request of a member is allowed (the API server's ``privilegedGroups``)."""
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"
SA_PREFIX = "system:serviceaccount:"
SA_GROUP = "system:serviceaccounts"
ADMIN_NAME = "kubernetes-admin"
"""The user the kubeconfig's token is (kind's and kubeadm's admin user name)."""

POD_NAME_KEY = "authentication.kubernetes.io/pod-name"
POD_UID_KEY = "authentication.kubernetes.io/pod-uid"
CREDENTIAL_ID_KEY = "authentication.kubernetes.io/credential-id"


@dataclass(frozen=True)
class UserInfo:
    """A request's user: name, uid, groups and extra, as ``user.Info``."""

    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def privileged(self) -> bool:
        return MASTERS in self.groups

    def to_api(self) -> dict[str, object]:
        """The ``UserInfo`` of authentication.k8s.io/v1 (empty fields left out, as ``omitempty``)."""
        out: dict[str, object] = {"username": self.name}
        if self.uid:
            out["uid"] = self.uid
        if self.groups:
            out["groups"] = list(self.groups)
        if self.extra:
            out["extra"] = {k: list(v) for k, v in self.extra.items()}
        return out


ADMIN = UserInfo(ADMIN_NAME, groups=(MASTERS, AUTHENTICATED))


def sa_username(namespace: str, name: str) -> str:
    """``system:serviceaccount:<namespace>:<name>`` (``MakeUsername``)."""
    return f"{SA_PREFIX}{namespace}:{name}"


def split_sa_username(username: str) -> tuple[str, str] | None:
    """(namespace, name) of a service-account user name, or ``None`` (``SplitUsername``)."""
    if not username.startswith(SA_PREFIX):
        return None
    parts = username[len(SA_PREFIX) :].split(":")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1]


def sa_groups(namespace: str) -> tuple[str, ...]:
    """The groups every service account of ``namespace`` is in (``MakeGroupNames``) plus authenticated."""
    return (SA_GROUP, f"{SA_GROUP}:{namespace}", AUTHENTICATED)
