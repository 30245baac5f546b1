"""The official ``kubernetes`` Python client against minik: create, list, read, watch a Job; read a pod's log."""

from __future__ import annotations

from typing import Any

import pytest

kubernetes = pytest.importorskip("kubernetes", reason="the official client is in the test extras")
from kubernetes import client, watch  # noqa: E402


def a_job(name: str) -> client.V1Job:
    container = client.V1Container(
        name="main", image="busybox:latest", command=["sh", "-c", "echo hello from python"]
    )
    pod = client.V1PodSpec(restart_policy="Never", containers=[container])
    spec = client.V1JobSpec(template=client.V1PodTemplateSpec(spec=pod), backoff_limit=0)
    return client.V1Job(
        api_version="batch/v1", kind="Job", metadata=client.V1ObjectMeta(name=name), spec=spec
    )


def test_create_list_read_watch_a_job_and_read_its_pods_log(api: client.ApiClient) -> None:
    batch, core = client.BatchV1Api(api), client.CoreV1Api(api)
    created = batch.create_namespaced_job("default", a_job("pyjob"))
    assert created.metadata.uid and created.spec.completions == 1 and created.spec.parallelism == 1
    try:
        listed = batch.list_namespaced_job("default")
        assert [j.metadata.name for j in listed.items] == ["pyjob"]
        assert listed.metadata.resource_version

        complete: Any = None
        w = watch.Watch()
        for event in w.stream(
            batch.list_namespaced_job, "default", field_selector="metadata.name=pyjob", timeout_seconds=90
        ):
            job = event["object"]
            if any(c.type == "Complete" and c.status == "True" for c in job.status.conditions or []):
                complete = job
                w.stop()
        assert complete is not None, "the watch ended before the Job completed"
        assert complete.status.succeeded == 1

        read = batch.read_namespaced_job("pyjob", "default")
        assert read.status.succeeded == 1 and read.status.completion_time is not None
        assert read.metadata.labels["batch.kubernetes.io/job-name"] == "pyjob"

        (pod,) = core.list_namespaced_pod("default", label_selector="job-name=pyjob").items
        assert pod.status.phase == "Succeeded"
        assert core.read_namespaced_pod_log(pod.metadata.name, "default") == "hello from python\n"
    finally:
        batch.delete_namespaced_job("pyjob", "default", propagation_policy="Foreground")
