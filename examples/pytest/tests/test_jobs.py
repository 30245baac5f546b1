"""Testing Job manifests with minik's pytest fixtures (installed with minik, nothing to enable).

``minik`` is one private instance for the session (one per pytest-xdist
worker); ``minik_namespace`` is that instance bound to a fresh namespace for
one test, deleted afterwards. When a test fails, pytest's report shows each
Job it applied, described, and the logs of its failed pods.
"""

from pathlib import Path

import pytest

JOBS = Path(__file__).resolve().parent.parent / "jobs"


def test_hello_completes(minik_namespace):
    minik_namespace.apply(JOBS / "hello.yaml")
    job = minik_namespace.wait("job/hello", "Complete", timeout=60)
    assert job["status"]["succeeded"] == 1
    assert minik_namespace.logs("job/hello") == "hello from minik\n"


def test_migration_failure_is_reported(minik_namespace):
    minik_namespace.apply(JOBS / "migrate-fails.yaml")
    job = minik_namespace.wait("job/migrate", "Failed", timeout=60)
    failed = next(c for c in job["status"]["conditions"] if c["type"] == "Failed")
    assert failed["reason"] == "BackoffLimitExceeded"
    assert job["status"]["failed"] == 2  # backoffLimit 1: the first try and one retry


def test_indexed_job_logs(minik_namespace):
    minik_namespace.apply(JOBS / "indexed.yaml")
    minik_namespace.wait("job/indexed", timeout=60)
    lines = minik_namespace.logs("job/indexed").splitlines()
    # Every pod's logs, in completion-index order, prefixed [pod/NAME/container].
    assert [line.split("] ", 1)[1] for line in lines] == ["oof", "rab", "zab"]
    assert all(line.startswith("[pod/indexed-") for line in lines)


def test_an_inline_manifest_and_the_official_client(minik_namespace):
    kubernetes = pytest.importorskip("kubernetes")
    minik_namespace.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "inline"},
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "busybox:latest", "command": ["true"]}],
                    }
                }
            },
        }
    )
    minik_namespace.wait("job/inline")
    with minik_namespace.api_client() as api:
        batch = kubernetes.client.BatchV1Api(api)
        job = batch.read_namespaced_job("inline", minik_namespace.namespace)
    assert job.status.succeeded == 1
