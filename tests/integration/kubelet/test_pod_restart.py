"""restartPolicy of a bare Pod: Never, OnFailure (in place, crash-loop backoff), Always.

A restart is a new Docker container of the same pod container; the status
keeps the ``restartCount`` and the previous attempt in ``lastState``, and
``minik logs --previous`` reads that previous attempt.
"""

from __future__ import annotations

import itertools
from datetime import datetime

from tests.support import Cluster, busybox_spec, container_status, empty_dir_spec


def _attempts(minik: Cluster, uid: str, container: str) -> int:
    return len(
        [c for c in minik.pod_containers(uid) if c["Config"]["Labels"]["minik.io/container"] == container]
    )


def _restart_gaps(minik: Cluster, uid: str, container: str) -> list[float]:
    """Seconds between one attempt's finish and the next attempt's start, from Docker's timestamps."""
    runs = sorted(
        (int(c["Config"]["Labels"].get("minik.io/attempt", "0")), c["State"])
        for c in minik.pod_containers(uid)
        if c["Config"]["Labels"]["minik.io/container"] == container
    )
    spans = [(_docker_time(st["StartedAt"]), _docker_time(st["FinishedAt"])) for _, st in runs]
    return [(nxt[0] - prev[1]).total_seconds() for prev, nxt in itertools.pairwise(spans)]


def _docker_time(value: str) -> datetime:
    """Docker's RFC 3339 time with nanoseconds, to microseconds."""
    head, _, frac = value.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00")


def _restarted_twice_or_done(pod: dict) -> bool:  # type: ignore[type-arg]
    count = (container_status(pod, "c") or {}).get("restartCount", 0)
    return bool(count >= 2 or pod["status"].get("phase") in ("Succeeded", "Failed"))


def test_never_a_failed_container_is_not_restarted_and_the_pod_fails(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(pod_name, busybox_spec('["sh", "-c", "echo once; exit 2"]', grace=None))
    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"))
    assert pod["status"]["phase"] == "Failed"
    c = container_status(pod, "c")
    assert c is not None and c["restartCount"] == 0
    assert c["state"]["terminated"]["exitCode"] == 2
    assert _attempts(minik, pod["metadata"]["uid"], "c") == 1
    assert minik.logs(pod_name).strip() == "once"
    minik.delete("pod", pod_name)


def test_on_failure_restarts_in_place_with_crash_loop_backoff_until_success(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(
        pod_name,
        empty_dir_spec(
            '["sh", "-c", "echo x >> /s/n; n=$(wc -l < /s/n); echo attempt $n; [ $n -ge 4 ]"]',
            mount="/s",
            volume="s",
            restart="OnFailure",
            grace=None,
        ),
    )
    backing_off = minik.wait_pod(
        pod_name,
        "CrashLoopBackOff",
        lambda p: (
            (container_status(p, "c") or {}).get("state", {}).get("waiting", {}).get("reason")
            == "CrashLoopBackOff"
        ),
        30,
    )
    c = container_status(backing_off, "c")
    assert c is not None
    assert "back-off" in c["state"]["waiting"]["message"]
    assert c["lastState"]["terminated"]["exitCode"] == 1
    # Two runs so far (the first restart is immediate): the latest container's count is 1,
    # set when it was created, not raised by its exit.
    assert c["restartCount"] == 1
    assert backing_off["status"]["phase"] in ("Pending", "Running")

    pod = minik.wait_pod_phase(pod_name, ("Succeeded", "Failed"), 60)
    assert pod["status"]["phase"] == "Succeeded"
    c = container_status(pod, "c")
    assert c is not None and c["restartCount"] == 3
    assert c["state"]["terminated"]["exitCode"] == 0
    assert c["lastState"]["terminated"]["exitCode"] == 1
    assert _attempts(minik, pod["metadata"]["uid"], "c") == 4
    # Crash-loop backoff: the first restart is immediate, then 10 s doubling (scaled by MINIK_TIME_SCALE).
    scale = float(minik.env.get("MINIK_TIME_SCALE", "1"))
    gaps = _restart_gaps(minik, pod["metadata"]["uid"], "c")
    assert gaps[1] >= 10 * scale * 0.9 and gaps[2] >= 20 * scale * 0.9, gaps
    assert gaps[1] < gaps[2], gaps
    assert minik.logs(pod_name).strip() == "attempt 4"
    assert minik.logs(pod_name, previous=True).strip() == "attempt 3"
    minik.delete("pod", pod_name)


def test_always_restarts_a_container_that_exits_zero_and_the_pod_stays_running(
    minik: Cluster, pod_name: str
) -> None:
    minik.apply_pod(
        pod_name,
        busybox_spec('["sh", "-c", "echo ran; sleep 0.2"]', restart="Always"),
    )
    pod = minik.wait_pod(pod_name, "restartCount >= 2 or a terminal phase", _restarted_twice_or_done, 30)
    assert pod["status"]["phase"] == "Running"
    c = container_status(pod, "c")
    assert c is not None and c["lastState"]["terminated"]["reason"] == "Completed"
    minik.delete("pod", pod_name)


def test_always_restarts_a_failing_container(minik: Cluster, pod_name: str) -> None:
    minik.apply_pod(
        pod_name,
        busybox_spec('["sh", "-c", "exit 5"]', restart="Always"),
    )
    pod = minik.wait_pod(
        pod_name,
        "restartCount >= 2",
        lambda p: (container_status(p, "c") or {}).get("restartCount", 0) >= 2,
        30,
    )
    assert pod["status"]["phase"] in ("Running", "Pending")
    c = container_status(pod, "c")
    assert c is not None and c["lastState"]["terminated"]["exitCode"] == 5
    minik.delete("pod", pod_name)
