"""``describe`` of Namespaces, ServiceAccounts and the RBAC kinds, pure, laid out like kubectl.

Mirrors ``NamespaceDescriber``, ``ServiceAccountDescriber``,
``RoleDescriber``/``ClusterRoleDescriber`` and the two binding describers of
kubectl's ``pkg/describe/describe.go``, through the same tabwriter emulation
as :mod:`minik.cli.describe`. Input: the object (and a ServiceAccount's
events); no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from minik.cli.describe import _annotations, _events, _labels
from minik.cli.tabwriter import PrefixWriter
from minik.k8s import Obj, meta

DESCRIBED = ("namespaces", "serviceaccounts", "roles", "clusterroles", "rolebindings", "clusterrolebindings")


def go_list(values: Sequence[str] | None) -> str:
    """Go's ``%v`` of a string slice: ``[get list watch]``."""
    return "[" + " ".join(values or []) + "]"


def _head(w: PrefixWriter, obj: Obj, *, namespaced: bool) -> None:
    m = meta(obj)
    w.write(0, f"Name:\t{m.get('name', '')}\n")
    if namespaced:
        w.write(0, f"Namespace:\t{m.get('namespace', '')}\n")
    _labels(w, "Labels", m.get("labels"))
    _annotations(w, "Annotations", m.get("annotations"))


def describe_namespace(ns: Obj) -> str:
    w = PrefixWriter()
    _head(w, ns, namespaced=False)
    w.write(0, f"Status:\t{(ns.get('status') or {}).get('phase') or 'Active'}\n")
    w.write(0, "\nNo resource quota.\n")
    w.write(0, "\nNo LimitRange resource.\n")
    return w.getvalue()


def describe_service_account(sa: Obj, events: Sequence[Obj] | None, now: datetime) -> str:
    w = PrefixWriter()
    _head(w, sa, namespaced=True)
    pulls = [str(s.get("name") or "") for s in sa.get("imagePullSecrets") or []]
    mounts = [str(s.get("name") or "") for s in sa.get("secrets") or []]
    w.write(0, f"Image pull secrets:\t{', '.join(pulls) or '<none>'}\n")
    w.write(0, f"Mountable secrets:\t{', '.join(mounts) or '<none>'}\n")
    w.write(0, "Tokens:\t<none>\n")
    if events is not None:
        _events(w, events, now)
    return w.getvalue()


def _rule_rows(rules: Sequence[Obj]) -> list[tuple[str, str, str, str]]:
    rows = []
    for rule in rules:
        verbs = go_list(rule.get("verbs") or [])
        names = go_list(rule.get("resourceNames") or [])
        for group in rule.get("apiGroups") or [""]:
            for res in rule.get("resources") or []:
                shown = f"{res}.{group}" if group else res
                rows.append((shown, "[]", names, verbs))
        if rule.get("nonResourceURLs"):
            rows.append(("", go_list(rule["nonResourceURLs"]), "[]", verbs))
    return sorted(rows)


def describe_role(role: Obj) -> str:
    w = PrefixWriter()
    _head(w, role, namespaced=False)
    w.write(0, "PolicyRule:\n")
    w.write(1, "Resources\tNon-Resource URLs\tResource Names\tVerbs\n")
    w.write(1, "---------\t-----------------\t--------------\t-----\n")
    for row in _rule_rows(role.get("rules") or []):
        w.write(1, "\t".join(row) + "\n")
    return w.getvalue()


def describe_binding(binding: Obj) -> str:
    w = PrefixWriter()
    _head(w, binding, namespaced=False)
    ref = binding.get("roleRef") or {}
    w.write(0, "Role:\n")
    w.write(1, f"Kind:\t{ref.get('kind', '')}\n")
    w.write(1, f"Name:\t{ref.get('name', '')}\n")
    w.write(0, "Subjects:\n")
    w.write(1, "Kind\tName\tNamespace\n")
    w.write(1, "----\t----\t---------\n")
    for s in binding.get("subjects") or []:
        w.write(1, f"{s.get('kind', '')}\t{s.get('name', '')}\t{s.get('namespace', '')}\n")
    return w.getvalue()


def describe_object(plural: str, obj: Obj, events: Sequence[Obj] | None, now: datetime) -> str:
    """The page for one object of a :data:`DESCRIBED` resource."""
    if plural == "namespaces":
        return describe_namespace(obj)
    if plural == "serviceaccounts":
        return describe_service_account(obj, events, now)
    if plural in ("roles", "clusterroles"):
        return describe_role(obj)
    return describe_binding(obj)
