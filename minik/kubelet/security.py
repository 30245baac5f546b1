"""The kubelet's checks of a container's securityContext before it is created (pure).

``runAsNonRoot`` is verified against the user the container will run as —
``runAsUser`` (container, else pod) or the image's own user — as the
kubelet's ``verifyRunAsNonRoot`` does; a failure is a
CreateContainerConfigError with upstream's message. ``allowPrivilegeEscalation:
false`` becomes the engine's ``no-new-privileges``; ``seccompProfile``
(container, else pod) becomes the engine's ``seccomp`` option, as the
kubelet's ``getSeccompProfile`` picks it (``pkg/kubelet/kuberuntime/helpers.go``).
"""

from __future__ import annotations

from minik.k8s import Obj


def effective(c: Obj, pod_spec: Obj, key: str) -> object:
    """A securityContext field: the container's, else the pod's."""
    sc = c.get("securityContext") or {}
    if key in sc:
        return sc[key]
    return (pod_spec.get("securityContext") or {}).get(key)


def needs_image_user(c: Obj, pod_spec: Obj) -> bool:
    """Whether :func:`verify_run_as_non_root` must know the image's user."""
    return effective(c, pod_spec, "runAsNonRoot") is True and effective(c, pod_spec, "runAsUser") is None


def verify_run_as_non_root(c: Obj, pod_spec: Obj, pod_ref: str, image_user: str) -> str | None:
    """The error message when the container would break ``runAsNonRoot``, else ``None``.

    ``pod_ref`` is the kubelet's ``name_namespace(uid)``.
    """
    if effective(c, pod_spec, "runAsNonRoot") is not True:
        return None
    name = c["name"]
    uid = effective(c, pod_spec, "runAsUser")
    if uid is not None:
        if int(str(uid)) == 0:
            return f'container\'s runAsUser breaks non-root policy (pod: "{pod_ref}", container: {name})'
        return None
    user = image_user.split(":", 1)[0]
    if user == "":
        return f'container has runAsNonRoot and image will run as root (pod: "{pod_ref}", container: {name})'
    if not user.isdigit():
        return (
            f"container has runAsNonRoot and image has non-numeric user ({user}), "
            f'cannot verify user is non-root (pod: "{pod_ref}", container: {name})'
        )
    if int(user) == 0:
        return f'container has runAsNonRoot and image will run as root (pod: "{pod_ref}", container: {name})'
    return None


def security_opts(c: Obj) -> list[str]:
    """The engine's security options for the container."""
    sc = c.get("securityContext") or {}
    if sc.get("allowPrivilegeEscalation") is False:
        return ["no-new-privileges"]
    return []


def seccomp_opts(c: Obj, pod_spec: Obj, localhost: str | None) -> list[str]:
    """The engine's seccomp option: RuntimeDefault (or none given) is the engine's default profile.

    Unconfined is ``seccomp=unconfined``; Localhost is the profile's JSON
    text (the engine API takes the profile itself, not a path), read by the
    worker and passed as ``localhost``.
    """
    profile = effective(c, pod_spec, "seccompProfile")
    kind = profile.get("type") if isinstance(profile, dict) else None
    if kind == "Unconfined":
        return ["seccomp=unconfined"]
    if kind == "Localhost" and localhost is not None:
        return [f"seccomp={localhost}"]
    return []
