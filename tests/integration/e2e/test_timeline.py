"""``minik timeline`` on a real run (issue 34): retries and back-off gaps where the pods say.

A 20-index Job, parallelism 4, ``backoffLimitPerIndex: 1``; indexes 3 and 11
fail once (exit 1) and succeed on their retry (the pod reads its index's
failure count from the ``job-index-failure-count`` annotation through the
downward API). The server runs at upstream's timing (``real_time``), so the
back-off before each retry is upstream's 10 s. The text chart, the page and
the trace are then checked against the pods' own timestamps.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from minik.k8s import parse_time

pytestmark = pytest.mark.slow

Minik = Any  # the `minik` fixture (conftest.Minik)

NAME = "timeline-retries"
FAILING = (3, 11)
WIDTH = 140

MANIFEST = f"""apiVersion: batch/v1
kind: Job
metadata:
  name: {NAME}
spec:
  completions: 20
  parallelism: 4
  completionMode: Indexed
  backoffLimitPerIndex: 1
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: work
        image: busybox:latest
        imagePullPolicy: IfNotPresent
        env:
        - name: FAILURES
          valueFrom:
            fieldRef:
              fieldPath: metadata.annotations['batch.kubernetes.io/job-index-failure-count']
        command:
        - sh
        - -c
        - |
          sleep 2
          case "$JOB_COMPLETION_INDEX" in {"|".join(map(str, FAILING))})
            [ "${{FAILURES:-0}}" = 0 ] && exit 1 ;;
          esac
          exit 0
"""


@pytest.fixture(scope="module")
def run(real_time: None, minik: Minik, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Apply the Job, wait for it, and read back the Job, its pods and all three renderings."""
    minik.run("apply", "-f", "-", input=MANIFEST)
    minik.run("wait", "--for=condition=complete", f"job/{NAME}", "--timeout=240s", timeout=260)
    out = tmp_path_factory.mktemp("timeline")
    page, trace = out / "run.html", out / "run.json"
    minik.run("timeline", f"job/{NAME}", "--html", str(page), "--trace", str(trace))
    text = minik.run("timeline", f"job/{NAME}", "--width", str(WIDTH), timeout=60).stdout
    job = minik.json("get", f"job/{NAME}")
    pods = minik.json("get", "pods", "-l", f"job-name={NAME}")["items"]
    return {
        "job": job,
        "pods": pods,
        "text": text,
        "page": page.read_text(),
        "trace": json.loads(trace.read_text()),
    }


def _index(pod: dict[str, Any]) -> int:
    return int(pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"])


def _rel(t0: datetime, s: str) -> float:
    t = parse_time(s)
    assert t is not None
    return (t - t0).total_seconds()


def _facts(run: dict[str, Any]) -> tuple[datetime, float, dict[int, list[dict[str, Any]]]]:
    """(the Job's start, its end in seconds from it, each index's pods in creation order)."""
    job = run["job"]
    t0 = parse_time(job["status"]["startTime"])
    assert t0 is not None
    end = _rel(t0, job["status"]["completionTime"])
    by_index: dict[int, list[dict[str, Any]]] = {}
    for p in sorted(run["pods"], key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"])):
        by_index.setdefault(_index(p), []).append(p)
    return t0, end, by_index


def _terminated(pod: dict[str, Any]) -> dict[str, Any]:
    term: dict[str, Any] = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    return term


def test_the_run_is_what_the_chart_is_checked_against(run: dict[str, Any]) -> None:
    _, _, by_index = _facts(run)
    assert sorted(by_index) == list(range(20))
    for index, pods in by_index.items():
        phases = [p["status"]["phase"] for p in pods]
        assert phases == (["Failed", "Succeeded"] if index in FAILING else ["Succeeded"]), index


def test_text_chart_shows_each_retry_and_back_off_gap_at_its_time(run: dict[str, Any]) -> None:
    t0, end, by_index = _facts(run)
    lines = run["text"].splitlines()
    rows = {int(line.split("|")[0]): line for line in lines if line.split("|")[0].strip().isdigit()}
    assert sorted(rows) == list(range(20))
    label_w = len(lines[2].split("|")[0]) - 1  # "index |"
    note_w = len("#0 exit 1 (Error)") + 1
    cols = WIDTH - label_w - 3 - note_w
    scale = end / cols

    def col(s: float) -> int:
        return max(0, min(cols - 1, int(s / scale)))

    for index, line in rows.items():
        chart = line[label_w + 2 : label_w + 2 + cols]
        if index not in FAILING:
            assert "X" not in chart and "~" not in chart, line
            assert chart[col(_rel(t0, _terminated(by_index[index][0])["finishedAt"]))] == "+", line
            continue
        failed, retry = by_index[index]
        fail_end = _rel(t0, _terminated(failed)["finishedAt"])
        retry_created = _rel(t0, retry["metadata"]["creationTimestamp"])
        assert chart[col(fail_end)] == "X", line
        gap = chart[col(fail_end) + 1 : col(retry_created)]
        assert gap and set(gap) == {"~"}, line
        assert chart[col(_rel(t0, _terminated(retry)["finishedAt"]))] == "+", line
        assert line.endswith("#0 exit 1 (Error)")


def test_back_off_gaps_are_upstreams_ten_seconds(run: dict[str, Any]) -> None:
    t0, _, by_index = _facts(run)
    for index in FAILING:
        failed, retry = by_index[index]
        gap = _rel(t0, retry["metadata"]["creationTimestamp"]) - _rel(t0, _terminated(failed)["finishedAt"])
        assert 8 <= gap <= 20, (index, gap)


def test_trace_has_the_pods_containers_and_gaps_at_their_timestamps(run: dict[str, Any]) -> None:
    t0, _, by_index = _facts(run)
    events = run["trace"]["traceEvents"]
    tracks = {e["args"]["name"]: e["tid"] for e in events if e.get("name") == "thread_name"}
    assert sorted(tracks) == sorted(f"index {i}" for i in range(20))
    slices = [e for e in events if e.get("ph") == "X"]
    for index, pods in by_index.items():
        tid = tracks[f"index {index}"]
        on_track = [e for e in slices if e["tid"] == tid]
        for p in pods:
            name = p["metadata"]["name"]
            pod_slice = next(e for e in on_track if e["cat"] == "pod" and e["args"]["pod"] == name)
            assert pod_slice["ts"] == _rel(t0, p["metadata"]["creationTimestamp"]) * 1e6
            term = _terminated(p)
            container = next(e for e in on_track if e["cat"] == "container" and e["args"]["pod"] == name)
            assert container["ts"] == _rel(t0, term["startedAt"]) * 1e6
            assert container["ts"] + container["dur"] == _rel(t0, term["finishedAt"]) * 1e6
            assert container["args"]["exitCode"] == term["exitCode"]
        backoff = [(e["ts"], e["dur"]) for e in on_track if e["cat"] == "backoff"]
        if index in FAILING:
            failed, retry = pods
            start = _rel(t0, _terminated(failed)["finishedAt"])
            assert backoff == [
                (start * 1e6, (_rel(t0, retry["metadata"]["creationTimestamp"]) - start) * 1e6)
            ]
        else:
            assert backoff == []


def test_page_has_a_row_per_index_and_titles_for_the_failed_runs(run: dict[str, Any]) -> None:
    page = run["page"]
    assert page.count("<g class='row'") == 20
    _, _, by_index = _facts(run)
    for index in FAILING:
        failed = by_index[index][0]["metadata"]["name"]
        assert f"<g class='pod failed' data-pod='{failed}'>" in page
        block = page[page.index(f"data-pod='{failed}'") :]
        assert "exit code 1" in block[: block.index("</g>")]
    assert page.count("class='backoff'") >= len(FAILING)
