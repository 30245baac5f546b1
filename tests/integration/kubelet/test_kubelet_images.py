"""imagePullPolicy as on a node: ErrImagePull → ImagePullBackOff, ErrImageNeverPull, local images.

Nothing can be pulled on the test machine (no registry), which is exactly
the situation the fallback to a local image is for.
"""

from __future__ import annotations

from tests.support import Cluster, container_status


def _apply(minik: Cluster, pod_name: str, image: str, policy: str, *, grace: int | None = None) -> None:
    """A pod whose one container ``c`` runs ``true`` from ``image`` under ``imagePullPolicy: policy``."""
    grace_line = f"  terminationGracePeriodSeconds: {grace}\n" if grace is not None else ""
    body = f"  restartPolicy: Never\n{grace_line}  containers:\n  - name: c\n    image: {image}\n"
    minik.apply_pod(pod_name, f'{body}    imagePullPolicy: {policy}\n    command: ["true"]\n')


def _waiting_reason(pod: dict) -> str:  # type: ignore[type-arg]
    return str(((container_status(pod, "c") or {}).get("state") or {}).get("waiting", {}).get("reason", ""))


def test_missing_image_waits_in_err_image_pull_then_image_pull_back_off(
    minik: Cluster, pod_name: str
) -> None:
    _apply(minik, pod_name, "minik.invalid/no-such-image:1.0", "IfNotPresent", grace=0)
    pod = minik.wait_pod(pod_name, "ImagePullBackOff", lambda p: _waiting_reason(p) == "ImagePullBackOff", 30)
    assert pod["status"]["phase"] == "Pending"
    waiting = container_status(pod, "c")["state"]["waiting"]  # type: ignore[index]
    assert waiting["message"] == 'Back-off pulling image "minik.invalid/no-such-image:1.0"'
    events = [(e["type"], e["reason"], e["message"]) for e in minik.events(pod_name)]
    reasons = {r for _, r, _ in events}
    assert {"Pulling", "Failed", "BackOff"} <= reasons, events
    assert ("Warning", "Failed", "Error: ErrImagePull") in events
    assert ("Normal", "BackOff", 'Back-off pulling image "minik.invalid/no-such-image:1.0"') in events
    assert any(m.startswith('Failed to pull image "minik.invalid/no-such-image:1.0"') for _, _, m in events)
    minik.delete("pod", pod_name)


def test_never_pull_policy_without_a_local_image_is_err_image_never_pull(
    minik: Cluster, pod_name: str
) -> None:
    _apply(minik, pod_name, "minik.invalid/never-here:1.0", "Never", grace=0)
    pod = minik.wait_pod(
        pod_name, "ErrImageNeverPull", lambda p: _waiting_reason(p) == "ErrImageNeverPull", 30
    )
    assert pod["status"]["phase"] == "Pending"
    message = 'Container image "minik.invalid/never-here:1.0" is not present with pull policy of Never'
    assert container_status(pod, "c")["state"]["waiting"]["message"] == message  # type: ignore[index]
    events = [(e["type"], e["reason"], e["message"]) for e in minik.events(pod_name)]
    assert ("Warning", "ErrImageNeverPull", message) in events
    assert not any(r == "Pulling" for _, r, _ in events)
    minik.delete("pod", pod_name)


def test_always_pull_policy_offline_uses_the_local_image_with_a_warning(
    minik: Cluster, pod_name: str
) -> None:
    _apply(minik, pod_name, "busybox:latest", "Always")
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Succeeded"
    reasons = {(e["type"], e["reason"]) for e in minik.events(pod_name)}
    assert ("Warning", "PullFailedUsingLocal") in reasons
    minik.delete("pod", pod_name)
