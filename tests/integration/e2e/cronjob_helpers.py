"""Shared helpers of the CronJob end-to-end tests: manifests, polling, reading Jobs and events."""

from __future__ import annotations

from typing import Any

from tests.integration.e2e.conftest import Minik

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata: {{name: {name}}}
spec:
  schedule: "{schedule}"
  concurrencyPolicy: {policy}
  suspend: {suspend}
  successfulJobsHistoryLimit: {keep_ok}
  failedJobsHistoryLimit: {keep_failed}
  jobTemplate:
    metadata:
      labels: {{app: {name}}}
    spec:
      backoffLimit: 0
      template:
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: busybox:latest
            command: [sh, -c, {command!r}]
"""


def cronjob_yaml(
    name: str,
    command: str,
    *,
    schedule: str = "* * * * *",
    policy: str = "Allow",
    suspend: bool = False,
    keep_ok: int = 3,
    keep_failed: int = 1,
) -> str:
    return CRONJOB.format(
        name=name,
        command=command,
        schedule=schedule,
        policy=policy,
        suspend="true" if suspend else "false",
        keep_ok=keep_ok,
        keep_failed=keep_failed,
    )


def jobs_of(minik: Minik, cronjob: str) -> list[dict[str, Any]]:
    items = minik.json("get", "jobs")["items"]
    return [
        j
        for j in items
        if any(
            r.get("name") == cronjob and r.get("kind") == "CronJob"
            for r in j["metadata"].get("ownerReferences") or []
        )
    ]


def finished(job: dict[str, Any]) -> str | None:
    for c in (job.get("status") or {}).get("conditions") or []:
        if c["type"] in ("Complete", "Failed") and c["status"] == "True":
            return str(c["type"])
    return None


def events_of(minik: Minik, name: str) -> list[str]:
    items = minik.json("get", "events")["items"]
    return [
        f"{e['reason']}: {e['message']}"
        for e in items
        if e["involvedObject"].get("kind") == "CronJob" and e["involvedObject"].get("name") == name
    ]


def pods_of(minik: Minik, app: str) -> list[dict[str, Any]]:
    return list(minik.json("get", "pods", "-l", f"app={app}")["items"])
