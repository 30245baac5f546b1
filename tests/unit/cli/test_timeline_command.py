"""``minik timeline`` against a fake API: what it asks for, what it prints and writes."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest

from minik.cli.client import Client
from minik.cli.common import Ctx
from minik.cli.main import main
from minik.k8s import rfc3339

from ..printing.runs import T0, cs, job, pod, simulated_run, terminated
from .fakeapi import TOKEN, FakeApi, Reply, Req, items, not_found, watch_lines

JOBS = "/apis/batch/v1/namespaces/default/jobs"
CRONJOBS = "/apis/batch/v1/namespaces/default/cronjobs"
PODS = "/api/v1/namespaces/default/pods"
EVENTS = "/api/v1/namespaces/default/events"


@pytest.fixture(autouse=True)
def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def _serve_run(api: FakeApi) -> None:
    j, pods = simulated_run(6, 2, failures={2: 1}, backoff=4)
    api.now = T0 + timedelta(hours=1)
    api.on("GET", f"{JOBS}/work", Reply(200, j))
    api.on("GET", PODS, items(*pods))
    api.on("GET", EVENTS, items())


def test_timeline_prints_the_chart_of_a_finished_job(api: FakeApi) -> None:
    _serve_run(api)
    code, out, err = api.run("timeline", "job/work")
    assert (code, err) == (0, "")
    assert api.seen() == [
        ("GET", f"{JOBS}/work", {}),
        ("GET", PODS, {"labelSelector": "job-name=work"}),
        (
            "GET",
            EVENTS,
            {
                "fieldSelector": "involvedObject.name=work,involvedObject.namespace=default,involvedObject.uid=u-1"
            },
        ),
    ]
    lines = out.splitlines()
    assert lines[0] == "job/work  Complete  6 indexes"
    assert [line[:7] for line in lines[3:9]] == [f"{i:>5} |" for i in range(6)]
    assert "X~" in lines[5] and lines[5].endswith("#0 exit 1 (Error)")
    assert all(len(line) <= 80 for line in lines)
    assert "Pods:             7 (1 failed)" in out


def test_the_jobs_warnings_and_suspensions_are_marked(api: FakeApi) -> None:
    _serve_run(api)
    warning = {
        "type": "Warning",
        "reason": "BackoffLimitExceeded",
        "message": "Job has reached the specified backoff limit",
        "lastTimestamp": rfc3339(T0 + timedelta(seconds=12)),
    }
    created = {"type": "Normal", "reason": "SuccessfulCreate", "message": "Created pod: work-0-0"}
    api.on("GET", EVENTS, items(warning, created | {"lastTimestamp": rfc3339(T0)}))
    code, out, err = api.run("timeline", "job/work")
    assert (code, err) == (0, "")
    assert "Event:            +12.0s BackoffLimitExceeded: Job has reached the specified backoff limit" in out
    assert "SuccessfulCreate" not in out
    events_row = next(line for line in out.splitlines() if line.startswith("events |"))
    assert events_row.count("!") == 1


def test_a_bare_name_is_a_job_and_other_kinds_are_refused(api: FakeApi) -> None:
    _serve_run(api)
    assert api.run("timeline", "work")[0] == 0
    code, _, err = api.run("timeline", "pod/work-0")
    assert code == 2 and "use job/NAME or cronjob/NAME" in err


def test_a_missing_job_is_kubectls_not_found(api: FakeApi) -> None:
    api.on("GET", f"{JOBS}/nope", not_found("jobs.batch", "nope"))
    code, out, err = api.run("timeline", "job/nope")
    assert (code, out) == (1, "")
    assert err == 'Error from server (NotFound): jobs.batch "nope" not found\n'


def test_html_and_trace_are_written_instead_of_the_chart(api: FakeApi, tmp_path: Path) -> None:
    _serve_run(api)
    page, trace = tmp_path / "run.html", tmp_path / "run.json"
    code, out, err = api.run("timeline", "job/work", "--html", str(page), "--trace", str(trace))
    assert (code, out) == (0, "")
    assert f"wrote {page}" in err and f"wrote {trace}" in err
    assert page.read_text().count("<g class='row'") == 6
    doc = json.loads(trace.read_text())
    assert sum(1 for e in doc["traceEvents"] if e.get("cat") == "pod") == 7


def test_a_cronjob_charts_its_latest_job(api: FakeApi) -> None:
    old, new = job("hello-1"), job("hello-2")
    for j, age in ((old, 120), (new, 60)):
        j["metadata"]["ownerReferences"] = [
            {"kind": "CronJob", "name": "hello", "uid": "cj", "controller": True}
        ]
        j["metadata"]["creationTimestamp"] = rfc3339(T0 - timedelta(seconds=age))
    api.on(
        "GET",
        f"{CRONJOBS}/hello",
        Reply(200, {"kind": "CronJob", "metadata": {"name": "hello", "uid": "cj"}}),
    )
    api.on("GET", JOBS, items(old, new))
    api.on("GET", PODS, items())
    api.on("GET", EVENTS, items())
    code, out, err = api.run("timeline", "cronjob/hello", "--width", "60")
    assert code == 0, err
    assert out.startswith("job/hello-2  ")
    assert ("GET", PODS, {"labelSelector": "job-name=hello-2"}) in api.seen()


def test_watch_redraws_until_the_job_ends_printing_frames_only_when_pods_change(api: FakeApi) -> None:
    running = job(completions=1)
    done = job(completions=1, finished=6)
    at1 = {"running": {"startedAt": rfc3339(T0 + timedelta(seconds=1))}}
    started = pod("w-0", created=0, phase="Running", index=0, containers=[cs("main", at1)])
    finished = pod("w-0", created=0, phase="Succeeded", index=0, containers=[cs("main", terminated(1, 5))])
    reads = iter([started, started, finished])

    def pods(req: Req) -> Reply:
        return watch_lines() if req.query.get("watch") else items(next(reads))

    api.now = T0 + timedelta(seconds=3)
    api.on("GET", f"{JOBS}/work", Reply(200, running), Reply(200, running), Reply(200, done))
    api.on("GET", PODS, pods)
    api.on("GET", EVENTS, items())
    code, out, err = api.run("timeline", "job/work", "-w")
    assert (code, err) == (0, "")
    headers = [line for line in out.splitlines() if line.startswith("job/work")]
    assert headers == ["job/work  running  1 indexes", "job/work  Complete  1 indexes"]
    watches = [r.query for r in api.requests if r.query.get("watch")]
    assert len(watches) == 2 and all(q["timeoutSeconds"] == "2" for q in watches)


class _Tty(StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("no_color", "coloured"), [("", True), ("1", False)])
def test_a_terminal_gets_colour_unless_no_color(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, no_color: str, coloured: bool
) -> None:
    _serve_run(api)
    monkeypatch.setenv("NO_COLOR", no_color)
    out = _Tty()
    ctx = Ctx(out=out, err=StringIO(), clock=lambda: api.now, connect=lambda: Client(api.url, TOKEN))
    assert main(["timeline", "job/work"], ctx=ctx) == 0
    assert ("\x1b[" in out.getvalue()) is coloured
    assert ("█" in out.getvalue()) is coloured


def test_watch_on_a_terminal_clears_and_redraws_each_frame(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    running, done = job(completions=1), job(completions=1, finished=6)
    finished = pod("w-0", created=0, phase="Succeeded", index=0, containers=[cs("main", terminated(1, 5))])
    api.now = T0 + timedelta(seconds=3)
    api.on("GET", f"{JOBS}/work", Reply(200, running), Reply(200, done))
    api.on("GET", PODS, lambda req: watch_lines() if req.query.get("watch") else items(finished))
    api.on("GET", EVENTS, items())
    out = _Tty()
    ctx = Ctx(out=out, err=StringIO(), clock=lambda: api.now, connect=lambda: Client(api.url, TOKEN))
    assert main(["timeline", "job/work", "-w"], ctx=ctx) == 0
    frames = out.getvalue().split("\x1b[H\x1b[2J")
    assert frames[0] == "" and len(frames) == 3
    assert frames[1].startswith("job/work  running") and frames[2].startswith("job/work  Complete")


def test_a_file_that_cannot_be_written_is_an_error_not_a_traceback(api: FakeApi, tmp_path: Path) -> None:
    _serve_run(api)
    code, out, err = api.run("timeline", "job/work", "--html", str(tmp_path / "missing" / "run.html"))
    assert (code, out) == (1, "")
    assert err == f"error: cannot write {tmp_path / 'missing' / 'run.html'}: No such file or directory\n"
