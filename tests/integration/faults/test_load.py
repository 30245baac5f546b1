"""Load: many Jobs applied at once, watched from before the apply.

20 Jobs × 10 pods (``busybox true``, parallelism 5) by default
(``MINIK_FAULT_LOAD_JOBS`` / ``MINIK_FAULT_LOAD_PODS`` scale it). Every Job
must complete; watches on jobs and pods opened before the apply must see
every change in order (strictly increasing resourceVersions, every Job
reaching Complete and every pod Succeeded in the stream); the server log
must never mention a locked database.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.integration.faults.conftest import LOAD_JOBS, LOAD_PODS
from tests.support import Minik, eventually, job_yaml


def load_job(i: int, pods: int) -> str:
    return job_yaml(f"load-{i}", completions=pods, parallelism=5, labels={"suite": "load"})


@dataclass
class Watch:
    """A watch stream read in a thread; ``events`` holds every (type, object) received."""

    minik: Minik
    path: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    error: BaseException | None = None
    opened: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()
        assert self.opened.wait(10), f"the watch on {self.path} did not open"

    def _run(self) -> None:
        home = self.minik.home
        url = json.loads((home / "server.json").read_text())["url"]
        token = (home / "token").read_text().strip()
        ctx = ssl.create_default_context(cafile=str(home / "tls.crt"))
        try:
            with httpx.Client(base_url=url, verify=ctx, timeout=httpx.Timeout(10, read=None)) as c:
                params = {"watch": "true", "labelSelector": "suite=load", "timeoutSeconds": "600"}
                headers = {"Authorization": f"Bearer {token}"}
                with c.stream("GET", self.path, params=params, headers=headers) as resp:
                    assert resp.status_code == 200, resp.status_code
                    self.opened.set()
                    for line in resp.iter_lines():
                        if line:
                            ev = json.loads(line)
                            self.events.append((ev["type"], ev["object"]))
                        if self.stop.is_set():
                            return
        except BaseException as exc:
            self.error = exc
            self.opened.set()


def completed(obj: dict[str, Any]) -> bool:
    conds = (obj.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Complete" and c.get("status") == "True" for c in conds)


def check_order(watch: Watch) -> None:
    assert watch.error is None, watch.error
    rvs = [int(o["metadata"]["resourceVersion"]) for _, o in watch.events]
    assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs), "resourceVersions not strictly increasing"


def test_jobs_applied_at_once_all_complete_and_a_watch_sees_every_change_in_order(minik: Minik) -> None:
    minik.run("get", "jobs")  # the server runs
    jobs, pods = (
        Watch(minik, "/apis/batch/v1/namespaces/default/jobs"),
        Watch(minik, "/api/v1/namespaces/default/pods"),
    )
    jobs.start()
    pods.start()
    started = time.monotonic()
    docs = "---\n".join(load_job(i, LOAD_PODS) for i in range(LOAD_JOBS))
    minik.run("apply", "-f", "-", input=docs)
    names = {f"load-{i}" for i in range(LOAD_JOBS)}

    def all_complete() -> bool:
        assert jobs.error is None, jobs.error
        return {o["metadata"]["name"] for _, o in list(jobs.events) if completed(o)} >= names

    eventually("every Job to reach Complete in the watch", all_complete, timeout=240, every=0.5)
    took = time.monotonic() - started
    eventually(
        "every pod to reach Succeeded in the watch",
        lambda: (
            sum(1 for t, o in list(pods.events) if o["status"].get("phase") == "Succeeded" and t != "DELETED")
            >= LOAD_JOBS * LOAD_PODS
        ),
        timeout=30,
    )
    jobs.stop.set()
    pods.stop.set()
    check_order(jobs)
    check_order(pods)
    for name in names:
        job = minik.json("get", "job", name)
        assert job["status"].get("succeeded") == LOAD_PODS and not job["status"].get("failed"), job["status"]
    succeeded = {o["metadata"]["name"] for _, o in pods.events if o["status"].get("phase") == "Succeeded"}
    assert len(succeeded) == LOAD_JOBS * LOAD_PODS, len(succeeded)
    log = minik.server_log()
    assert "database is locked" not in log and "locked by another process" not in log
    print(
        json.dumps(
            {
                "jobs": LOAD_JOBS,
                "pods": LOAD_JOBS * LOAD_PODS,
                "all_complete_s": round(took, 1),
                "job_events": len(jobs.events),
                "pod_events": len(pods.events),
            }
        )
    )
    # No `minik delete` here: the fixture removes the containers itself, by label and by name,
    # which also clears the endpoints Docker 20.10 can keep after a burst of removals.
