"""The schemas of the kinds around a Job that set up access: Namespace,
ServiceAccount, the four ``rbac.authorization.k8s.io/v1`` kinds, and the
``policy/v1`` PodDisruptionBudget.

Built with :mod:`minik.manifest.schemagen`'s helpers and written by its
``main``; this module owns these schemas' text only. minik stores and serves
these objects; it enforces none of them (one machine has one user).
"""

from __future__ import annotations

from typing import Any

from minik.manifest.schemagen.core import ANY_OBJ, CORE_DEFS, IOS, B, S, arr, obj, ref, strs

RBAC = "rbac.authorization.k8s.io/v1"

POLICY_RULE = obj(
    verbs=arr(S), apiGroups=arr(S), resources=arr(S), resourceNames=arr(S), nonResourceURLs=arr(S)
)
ROLE_REF = obj(**strs("apiGroup", "kind", "name"))
SUBJECT = obj(**strs("kind", "apiGroup", "name", "namespace"))
OBJECT_REF = obj(**strs("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"))


def build_access(top: Any, meta: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """File name → schema, ``top`` being schemagen's ``_top`` and ``meta`` its ObjectMeta defs."""
    defs = {**meta, "PolicyRule": POLICY_RULE, "LabelSelector": ANY_OBJ}
    return {
        "namespace.json": top("Namespace", "v1", meta, spec=obj(finalizers=arr(S)), status=ANY_OBJ),
        "serviceaccount.json": top(
            "ServiceAccount",
            "v1",
            meta,
            secrets=arr(OBJECT_REF),
            imagePullSecrets=arr(obj(name=S)),
            automountServiceAccountToken=B,
        ),
        "role.json": top("Role", RBAC, defs, rules=arr(ref("PolicyRule"))),
        "clusterrole.json": top(
            "ClusterRole",
            RBAC,
            defs,
            rules=arr(ref("PolicyRule")),
            aggregationRule=obj(clusterRoleSelectors=arr(ANY_OBJ)),
        ),
        "rolebinding.json": top("RoleBinding", RBAC, meta, roleRef=ROLE_REF, subjects=arr(SUBJECT)),
        "clusterrolebinding.json": top(
            "ClusterRoleBinding", RBAC, meta, roleRef=ROLE_REF, subjects=arr(SUBJECT)
        ),
        "poddisruptionbudget.json": top(
            "PodDisruptionBudget",
            "policy/v1",
            {**meta, "LabelSelector": CORE_DEFS["LabelSelector"]},
            spec=obj(
                minAvailable=IOS,
                maxUnavailable=IOS,
                selector=ref("LabelSelector"),
                unhealthyPodEvictionPolicy=S,
            ),
            status=ANY_OBJ,
        ),
    }
