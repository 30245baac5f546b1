"""What the API server's admission does to a pod on create and update: ``DefaultTolerationSeconds``.

Owns, as a pure function over the pod, the ``DefaultTolerationSeconds``
admission plugin (``plugin/pkg/admission/defaulttolerationseconds``): a pod
(not a subresource write) that has no toleration for the
``node.kubernetes.io/not-ready`` or ``node.kubernetes.io/unreachable``
``NoExecute`` taint gets one, ``operator: Exists`` with
``tolerationSeconds: 300`` (the plugin's flag defaults). A toleration with
an empty key, or an empty effect, counts as tolerating it, whatever its
operator, as in the plugin. It runs on update too, so an update that drops
them gets them back and the pod's spec does not change.

Pod templates (a Job's) are not admitted: only the pods made from them.
"""

from __future__ import annotations

from typing import Any

from minik.k8s import Obj

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
DEFAULT_TOLERATION_SECONDS = 300
DEFAULT_TOLERATIONS: tuple[dict[str, Any], ...] = tuple(
    {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": DEFAULT_TOLERATION_SECONDS}
    for key in (NOT_READY, UNREACHABLE)
)
"""What the plugin adds, in its order (not-ready first)."""


def _tolerates(toleration: Any, key: str) -> bool:
    if not isinstance(toleration, dict):
        return False
    return toleration.get("key") in (None, "", key) and toleration.get("effect") in (None, "", "NoExecute")


def default_tolerations(pod: Obj) -> None:
    """Add the default NoExecute tolerations ``pod`` lacks, in place."""
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    tolerations = spec.get("tolerations")
    if tolerations is not None and not isinstance(tolerations, list):
        return  # validation reports it
    have = tolerations or []
    missing = [
        dict(t) for t in DEFAULT_TOLERATIONS if not any(_tolerates(given, str(t["key"])) for given in have)
    ]
    if missing:
        spec["tolerations"] = [*have, *missing]
