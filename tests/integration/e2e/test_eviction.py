"""Eviction and PodDisruptionBudgets through the official Python client and real kubectl.

Ports of upstream's Job e2e tests on evicted pods (a pod failure policy that
ignores them, matched on the DisruptionTarget condition the eviction API adds,
or on exit code 137), and the eviction API's 429 from a budget that forbids.
Timing is the real one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support import Minik, eventually, kubectl

kubernetes = pytest.importorskip("kubernetes", reason="the official client is in the test extras")
from kubernetes import client  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

NS = "default"
# Upstream's "notTerminateOncePerIndex": each index sleeps the first time it runs, succeeds the second.
ONCE_PER_INDEX = (
    "if [ -r /data/foo-$JOB_COMPLETION_INDEX ]; then exit 0; "
    "else touch /data/foo-$JOB_COMPLETION_INDEX; sleep 1000000; fi"
)
# Upstream's "notTerminateOnce": index 0 sleeps the first time and leaves a marker; the others fail until it exists.
ONCE = "if [ -r /data/foo ]; then exit 0; elif [ $JOB_COMPLETION_INDEX -eq 0 ]; then touch /data/foo; sleep 1000000; else exit 1; fi"


@pytest.fixture(scope="module", autouse=True)
def _upstream_timing(real_time: None, minik: Minik) -> None:
    """Upstream's timing (requested before the instance, so its server starts with it)."""
    assert minik.env["MINIK_TIME_SCALE"] == "1"


def evict(core: client.CoreV1Api, name: str) -> None:
    body = client.V1Eviction(metadata=client.V1ObjectMeta(name=name, namespace=NS))
    core.create_namespaced_pod_eviction(name, NS, body)


def indexed_job(name: str, data: Path, command: str, **spec: Any) -> client.V1Job:
    volume = client.V1Volume(
        name="data", host_path=client.V1HostPathVolumeSource(path=str(data), type="DirectoryOrCreate")
    )
    container = client.V1Container(
        name="c",
        image="busybox:latest",
        command=["sh", "-c", command],
        volume_mounts=[client.V1VolumeMount(name="data", mount_path="/data")],
    )
    pod = client.V1PodSpec(
        restart_policy="Never", containers=[container], volumes=[volume], termination_grace_period_seconds=1
    )
    body = client.V1JobSpec(template=client.V1PodTemplateSpec(spec=pod), completion_mode="Indexed", **spec)
    return client.V1Job(metadata=client.V1ObjectMeta(name=name), spec=body)


def complete_by_completions(batch: client.BatchV1Api, name: str) -> Any:
    job = batch.read_namespaced_job_status(name, NS)
    done = [c for c in job.status.conditions or [] if c.type == "Complete" and c.status == "True"]
    return done and done[0].reason == "CompletionsReached" and job


def gone(core: client.CoreV1Api, name: str) -> bool:
    return not core.list_namespaced_pod(NS, field_selector=f"metadata.name={name}").items


def test_should_allow_to_use_a_pod_failure_policy_to_ignore_failure_matching_on_disruption_target_condition(
    api: client.ApiClient, tmp_path: Path
) -> None:
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    on = client.V1PodFailurePolicyOnPodConditionsPattern(type="DisruptionTarget", status="True")
    rule = client.V1PodFailurePolicyRule(action="Ignore", on_pod_conditions=[on])
    name = "evicted-pod-ignore-on-disruption-condition"
    job = indexed_job(
        name,
        tmp_path / "data",
        ONCE_PER_INDEX,
        parallelism=3,
        completions=3,
        backoff_limit=2,
        pod_failure_policy=client.V1PodFailurePolicy(rules=[rule]),
    )
    batch.create_namespaced_job(NS, job)
    try:
        eventually(
            "3 ready pods",
            lambda: (batch.read_namespaced_job_status(name, NS).status.ready or 0) == 3,
            timeout=90,
        )
        pods = [
            p
            for p in core.list_namespaced_pod(NS, label_selector=f"job-name={name}").items
            if p.status.phase == "Running"
        ]
        assert len(pods) == 3, "Number of running pods doesn't match parallelism"
        for p in pods:
            evict(core, p.metadata.name)
            seen = core.read_namespaced_pod(p.metadata.name, NS)
            target = [c for c in seen.status.conditions or [] if c.type == "DisruptionTarget"]
            assert [(c.status, c.reason, c.message) for c in target] == [
                ("True", "EvictionByEvictionAPI", "Eviction API: evicting")
            ]
        for p in pods:
            eventually(f"{p.metadata.name} deleted", lambda p=p: gone(core, p.metadata.name), timeout=90)
        done = eventually("the Job complete", lambda: complete_by_completions(batch, name), timeout=120)
        assert done.status.succeeded == 3 and not done.status.failed
    finally:
        batch.delete_namespaced_job(name, NS, propagation_policy="Foreground")


def test_should_allow_to_use_a_pod_failure_policy_to_ignore_failure_for_an_evicted_pod_matching_on_the_exit_code(
    api: client.ApiClient, tmp_path: Path
) -> None:
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    codes = client.V1PodFailurePolicyOnExitCodesRequirement(operator="In", values=[1, 137])
    rule = client.V1PodFailurePolicyRule(action="Ignore", on_exit_codes=codes)
    name = "evicted-pod-ignore-on-exit-code"
    job = indexed_job(
        name,
        tmp_path / "data",
        ONCE,
        parallelism=2,
        completions=4,
        backoff_limit=0,
        pod_failure_policy=client.V1PodFailurePolicy(rules=[rule]),
    )
    batch.create_namespaced_job(NS, job)
    try:
        selector = f"job-name={name},batch.kubernetes.io/job-completion-index=0"

        def first_running() -> Any:
            pods = core.list_namespaced_pod(NS, label_selector=selector).items
            return [p for p in pods if p.status.phase == "Running"]

        (pod,) = eventually("the 0-indexed pod running", first_running, timeout=90)
        evict(core, pod.metadata.name)
        eventually("the 0-indexed pod deleted", lambda: gone(core, pod.metadata.name), timeout=90)
        done = eventually("the Job complete", lambda: complete_by_completions(batch, name), timeout=120)
        assert done.status.succeeded == 4
    finally:
        batch.delete_namespaced_job(name, NS, propagation_policy="Foreground")


PDB = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: keep-one}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: guarded}}
"""


def test_a_budget_that_forbids_answers_too_many_requests(api: client.ApiClient, minik: Minik) -> None:
    core, policy = client.CoreV1Api(api), client.PolicyV1Api(api)
    assert kubectl(minik, "apply", "-f", "-", input=PDB).stdout.strip() == (
        "poddisruptionbudget.policy/keep-one created"
    )
    container = client.V1Container(name="c", image="busybox:latest", command=["sleep", "1000000"])
    body = client.V1Pod(
        metadata=client.V1ObjectMeta(name="guarded", labels={"app": "guarded"}),
        spec=client.V1PodSpec(containers=[container], termination_grace_period_seconds=1),
    )
    core.create_namespaced_pod(NS, body)
    try:

        def healthy() -> Any:
            st = policy.read_namespaced_pod_disruption_budget_status("keep-one", NS).status
            return st and st.current_healthy == 1 and st

        status = eventually("the budget to see the pod ready", healthy, timeout=90)
        assert (status.desired_healthy, status.expected_pods, status.disruptions_allowed) == (1, 1, 0)
        table = kubectl(minik, "get", "pdb").stdout.splitlines()
        assert table[0].split() == [
            "NAME",
            "MIN",
            "AVAILABLE",
            "MAX",
            "UNAVAILABLE",
            "ALLOWED",
            "DISRUPTIONS",
            "AGE",
        ]
        assert table[1].split()[:4] == ["keep-one", "1", "N/A", "0"]
        with pytest.raises(ApiException) as err:
            evict(core, "guarded")
        assert err.value.status == 429
        assert "Cannot evict pod as it would violate the pod's disruption budget." in err.value.body
        assert "The disruption budget keep-one needs 1 healthy pods and has 1 currently" in err.value.body
        assert not core.read_namespaced_pod("guarded", NS).metadata.deletion_timestamp

        policy.patch_namespaced_pod_disruption_budget("keep-one", NS, {"spec": {"minAvailable": 0}})
        eventually(
            "a disruption allowed",
            lambda: (
                policy.read_namespaced_pod_disruption_budget("keep-one", NS).status.disruptions_allowed == 1
            ),
            timeout=90,
        )
        evict(core, "guarded")
        assert core.read_namespaced_pod("guarded", NS).metadata.deletion_timestamp
    finally:
        kubectl(minik, "delete", "pdb", "keep-one")
        core.delete_namespaced_pod("guarded", NS, grace_period_seconds=0)
        eventually(
            "the pod gone",
            lambda: not core.list_namespaced_pod(NS, label_selector="app=guarded").items,
            timeout=90,
        )
