"""A control plane killed mid-run changes no outcome (issue 28's crash matrix).

One file of scenarios (``tests/fixtures/crash-matrix.yaml``) — an OnFailure
container that fails once, one that crash-loops twice, a Never container,
init containers, a native sidecar,
readiness and liveness probes, an image that cannot be pulled, an Indexed
Job failed by its podFailurePolicy, and a pod deleted (preStop hook) just
before the kill — runs on three fresh instances side by side: one untouched,
and one each with ``minik server`` killed (SIGKILL) at two different moments
and started again by the next CLI call. The Jobs' final status, the pods'
phases, restart counts and container end states, and the logs must be the
same in all three runs.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.support import FIXTURES, Minik, WaitTimeout, eventually, private_minik

JOBS = ["on-failure", "crash-loop", "never", "with-init", "with-sidecar", "probed", "policy"]

SCENARIOS = (FIXTURES / "crash-matrix.yaml").read_text()


def _outcome(m: Minik) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in JOBS:
        job = m.json("get", "job", name)
        st = job["status"]
        pods = m.json("get", "pods", "-l", f"job-name={name}")["items"]
        out[name] = {
            "conditions": sorted(
                (c["type"], c["status"], c.get("reason", "")) for c in st.get("conditions") or []
            ),
            "counts": (st.get("succeeded", 0), st.get("failed", 0), st.get("completedIndexes", "")),
            "pods": sorted(_pod(p) for p in pods),
            "logs": sorted(re.sub(r"^\[pod/[^/]+/", "[", line) for line in _logs(m, name)),
        }
    out["no-image"] = _pod(m.json("get", "pod", "no-image"))
    deleted = m.run("get", "pod", "deleted", "-o", "json", check=False)
    out["deleted"] = (
        "gone" if deleted.returncode else json.loads(deleted.stdout)["metadata"].get("deletionTimestamp")
    )
    return out


def _logs(m: Minik, job: str) -> list[str]:
    """Every pod's logs, each line prefixed ``[pod/NAME/container]`` (names differ between runs)."""
    return m.run("logs", f"job/{job}", "--all-containers").stdout.splitlines()


def _pod(p: dict[str, Any]) -> tuple[Any, ...]:
    def states(key: str) -> tuple[Any, ...]:
        rows = []
        for s in p["status"].get(key) or []:
            state = s.get("state") or {}
            term = state.get("terminated")
            if term:
                shown = ("terminated", term.get("reason"), term.get("exitCode"))
            elif "waiting" in state:
                shown = (
                    "waiting",
                    state["waiting"].get("reason") in ("ErrImageNeverPull", "ImagePullBackOff"),
                    None,
                )
            else:
                shown = ("running", None, None)
            rows.append((s["name"], s.get("restartCount", 0), shown))
        return tuple(rows)

    index = (p["metadata"].get("annotations") or {}).get("batch.kubernetes.io/job-completion-index", "")
    return (index, p["status"].get("phase"), states("initContainerStatuses"), states("containerStatuses"))


def _run(home: Path, docker_client: docker.DockerClient, kill_after: float | None) -> dict[str, Any]:
    with private_minik(home, docker_client, env={"MINIK_TIME_SCALE": "0.1"}) as m:
        m.run("apply", "-f", "-", input=SCENARIOS)
        m.run("wait", "--for=condition=Ready", "pod/deleted", "--timeout=60s")
        m.run("delete", "pod", "deleted", "--wait=false")
        if kill_after is not None:
            time.sleep(kill_after)
            m.kill_server()
        for name in JOBS:  # the first call starts the server again
            m.run("wait", "--for=condition=complete", f"job/{name}", "--timeout=180s", check=False)
        with contextlib.suppress(WaitTimeout):  # the outcome records what is left of it
            eventually(
                "pod/deleted to go",
                lambda: m.run("get", "pod", "deleted", check=False).returncode != 0,
                60,
                every=0.5,
            )
        return _outcome(m)


KILLS = {"early: inits, first runs, pulls": 1.5, "late: restarts, back-off, probes": 4.5}


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient
) -> Iterator[dict[float | None, Future[dict[str, Any]]]]:
    """The untouched run (``None``) and one per kill moment, on three instances at once.

    The runs are independent (each its own instance, home and network), so
    they run side by side instead of one after another (about a minute each).
    """
    tmp = tmp_path_factory.mktemp("crash")
    with ThreadPoolExecutor(max_workers=3) as pool:
        yield {
            kill: pool.submit(_run, tmp / f"home-{kill}", docker_client, kill)
            for kill in (None, *KILLS.values())
        }


@pytest.fixture(scope="module")
def baseline(runs: dict[float | None, Future[dict[str, Any]]]) -> dict[str, Any]:
    return runs[None].result()


@pytest.mark.parametrize("kill_after", list(KILLS.values()), ids=list(KILLS))
def test_a_killed_control_plane_changes_no_outcome(
    baseline: dict[str, Any], runs: dict[float | None, Future[dict[str, Any]]], kill_after: float
) -> None:
    got = runs[kill_after].result()
    for key, want in baseline.items():
        assert got[key] == want, f"{key} differs after a kill at {kill_after}s"


def test_the_baseline_is_what_kubernetes_gives(baseline: dict[str, Any]) -> None:
    """The untouched run itself, against the rules (so an identical wrong answer cannot pass)."""
    onf = baseline["on-failure"]
    assert onf["counts"][:2] == (1, 0) and onf["pods"][0][3] == (("c", 1, ("terminated", "Completed", 0)),)
    assert baseline["crash-loop"]["pods"][0][3] == (("c", 2, ("terminated", "Completed", 0)),)
    assert ("Complete", "True", "CompletionsReached") in baseline["with-sidecar"]["conditions"]
    assert ("Failed", "True", "PodFailurePolicy") in baseline["policy"]["conditions"]
    assert baseline["no-image"][1] == "Pending" and baseline["no-image"][3][0][2][1] is True
    assert baseline["deleted"] == "gone"
    assert "second" in baseline["on-failure"]["logs"][-1] or "second" in " ".join(
        baseline["on-failure"]["logs"]
    )
