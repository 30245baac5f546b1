"""The RBAC authorizer (upstream ``plugin/pkg/auth/authorizer/rbac``), over stored objects.

A request is allowed when a rule of a role bound to its user allows it:
ClusterRoleBindings first (their ClusterRole applies everywhere), then the
RoleBindings of the request's namespace (a Role of that namespace, or a
ClusterRole applied to that namespace only). A subject is a User by name, a
Group (``system:authenticated``, ``system:serviceaccounts``,
``system:serviceaccounts:<ns>``) or a ServiceAccount (its namespace defaults
to the binding's). A rule matches on verbs, apiGroups, resources (with
``resource/subresource`` and ``*/subresource``), resourceNames, or
nonResourceURLs (``/prefix*``); ``*`` is every value. An aggregated
ClusterRole's rules are those of the ClusterRoles its selectors pick, as
the aggregation controller would write them. Pure: the objects come from a
:class:`Source`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from minik.auth.requestinfo import Attributes
from minik.auth.user import UserInfo, split_sa_username
from minik.k8s import selector_matches

Obj = dict[str, Any]
ALL = "*"


class Source(Protocol):
    """The RBAC objects (``namespace=None``: cluster-scoped kinds)."""

    def list(self, resource: str, namespace: str | None) -> list[Obj]: ...

    def get(self, resource: str, namespace: str | None, name: str) -> Obj | None: ...


def _strs(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def verb_matches(rule: Obj, verb: str) -> bool:
    verbs = _strs(rule.get("verbs"))
    return ALL in verbs or verb in verbs


def group_matches(rule: Obj, group: str) -> bool:
    groups = _strs(rule.get("apiGroups"))
    return ALL in groups or group in groups


def resource_matches(rule: Obj, resource: str, subresource: str) -> bool:
    combined = f"{resource}/{subresource}" if subresource else resource
    for r in _strs(rule.get("resources")):
        if r in (ALL, combined):
            return True
        if subresource and r == f"*/{subresource}":
            return True
    return False


def name_matches(rule: Obj, name: str) -> bool:
    names = _strs(rule.get("resourceNames"))
    return not names or name in names


def url_matches(rule: Obj, path: str) -> bool:
    for url in _strs(rule.get("nonResourceURLs")):
        if url in (ALL, path):
            return True
        if url.endswith("*") and path.startswith(url.rstrip("*")):
            return True
    return False


def rule_allows(a: Attributes, rule: Obj) -> bool:
    """``RuleAllows``: one PolicyRule against one request."""
    if a.resource_request:
        return (
            verb_matches(rule, a.verb)
            and group_matches(rule, a.api_group)
            and resource_matches(rule, a.resource, a.subresource)
            and name_matches(rule, a.name)
        )
    return verb_matches(rule, a.verb) and url_matches(rule, a.path)


def applies_to(user: UserInfo, subject: Obj, namespace: str) -> bool:
    """``appliesToUser``: whether a binding's subject is this user."""
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return user.name == name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or namespace
        sa = split_sa_username(user.name)
        return bool(ns) and sa == (ns, name)
    return False


def _describe_subject(subject: Obj, namespace: str) -> str:
    if subject.get("kind") == "ServiceAccount":
        return f'ServiceAccount "{subject.get("name")}/{subject.get("namespace") or namespace}"'
    return f'{subject.get("kind")} "{subject.get("name")}"'


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


def _meta(obj: Obj) -> Obj:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


class Authorizer:
    """RBAC over a :class:`Source`; the privileged group ``system:masters`` is allowed everything."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def _cluster_role_rules(self, name: str) -> list[Obj] | None:
        role = self.source.get("clusterroles", None, name)
        if role is None:
            return None
        rules = [r for r in role.get("rules") or [] if isinstance(r, dict)]
        aggregation = role.get("aggregationRule")
        if isinstance(aggregation, dict):
            selectors = [s for s in aggregation.get("clusterRoleSelectors") or [] if isinstance(s, dict)]
            if selectors:
                for other in self.source.list("clusterroles", None):
                    if _meta(other).get("name") == name:
                        continue
                    labels = _meta(other).get("labels") or {}
                    if any(selector_matches(s, labels) for s in selectors):
                        rules += [r for r in other.get("rules") or [] if isinstance(r, dict)]
        return rules

    def _role_rules(self, ref: Obj, namespace: str) -> list[Obj] | None:
        if ref.get("kind") == "ClusterRole":
            return self._cluster_role_rules(str(ref.get("name", "")))
        if ref.get("kind") == "Role" and namespace:
            role = self.source.get("roles", namespace, str(ref.get("name", "")))
            return None if role is None else [r for r in role.get("rules") or [] if isinstance(r, dict)]
        return None

    def rules_for(self, user: UserInfo, namespace: str) -> Iterator[tuple[str, list[Obj]]]:
        """(description of the binding, its role's rules) for each binding that applies to ``user``
        (``VisitRulesFor``): cluster bindings, then the namespace's."""
        for b in self.source.list("clusterrolebindings", None):
            for subject in b.get("subjects") or []:
                if isinstance(subject, dict) and applies_to(user, subject, ""):
                    ref = b.get("roleRef") or {}
                    rules = self._role_rules(ref, "")
                    if rules is not None:
                        yield (
                            f'ClusterRoleBinding "{_meta(b).get("name")}" of {ref.get("kind")} '
                            f'"{ref.get("name")}" to {_describe_subject(subject, "")}',
                            rules,
                        )
                    break
        if not namespace:
            return
        for b in self.source.list("rolebindings", namespace):
            for subject in b.get("subjects") or []:
                if isinstance(subject, dict) and applies_to(user, subject, namespace):
                    ref = b.get("roleRef") or {}
                    rules = self._role_rules(ref, namespace)
                    if rules is not None:
                        yield (
                            f'RoleBinding "{_meta(b).get("name")}/{namespace}" of {ref.get("kind")} '
                            f'"{ref.get("name")}" to {_describe_subject(subject, namespace)}',
                            rules,
                        )
                    break

    def authorize(self, a: Attributes) -> Decision:
        """Allowed, with upstream's reason (``RBAC: allowed by …``), or not (no reason: no rule allows it)."""
        if a.user.privileged:
            return Decision(True)
        for source, rules in self.rules_for(a.user, a.namespace):
            if any(rule_allows(a, r) for r in rules):
                return Decision(True, f"RBAC: allowed by {source}")
        return Decision(False)

    def rules_review(self, user: UserInfo, namespace: str) -> tuple[list[Obj], list[Obj]]:
        """(resourceRules, nonResourceRules) of ``user`` in ``namespace`` (SelfSubjectRulesReview)."""
        if user.privileged:
            everything = [{"verbs": [ALL], "apiGroups": [ALL], "resources": [ALL]}]
            return everything, [{"verbs": [ALL], "nonResourceURLs": [ALL]}]
        resource_rules: list[Obj] = []
        url_rules: list[Obj] = []
        for _, rules in self.rules_for(user, namespace):
            for r in rules:
                if r.get("nonResourceURLs"):
                    url_rules.append(
                        {"verbs": _strs(r.get("verbs")), "nonResourceURLs": _strs(r.get("nonResourceURLs"))}
                    )
                else:
                    entry: Obj = {"verbs": _strs(r.get("verbs"))}
                    for key in ("apiGroups", "resources", "resourceNames"):
                        if r.get(key):
                            entry[key] = _strs(r.get(key))
                    resource_rules.append(entry)
        return resource_rules, url_rules
