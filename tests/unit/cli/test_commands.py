"""The commands against a fake API: what they send, what they print, their exit codes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from .fakeapi import FakeApi, Reply, items, not_found, status, watch_lines
from .objects import T0, UID, cond, cstatus, job, pod, seed_events, seed_job

JOBS = "/apis/batch/v1/namespaces/default/jobs"
PODS = "/api/v1/namespaces/default/pods"
EVENTS = "/api/v1/namespaces/default/events"


def test_get_jobs_prints_the_table_and_sends_the_token(api: FakeApi) -> None:
    api.on(
        "GET",
        JOBS,
        items(job("pi", start=0, completion=9, succeeded=1, completions=1, conditions=[cond("Complete")])),
    )
    code, out, err = api.run("get", "jobs")
    assert (code, err) == (0, "")
    assert (
        out
        == "NAME   STATUS     COMPLETIONS   DURATION   AGE\npi     Complete   1/1           9s         0s\n"
    )
    assert api.requests[0].headers["authorization"] == "Bearer secret-token"


def test_get_empty_says_no_resources_on_stderr(api: FakeApi) -> None:
    api.on("GET", PODS, items())
    code, out, err = api.run("get", "po", "-l", "job-name=pi")
    assert (code, out, err) == (0, "", "No resources found in default namespace.\n")
    assert api.seen() == [("GET", PODS, {"labelSelector": "job-name=pi"})]


def test_get_all_namespaces_uses_the_cluster_path(api: FakeApi) -> None:
    api.on("GET", "/apis/batch/v1/jobs", items(job("pi")))
    code, out, _ = api.run("get", "jobs", "-A")
    assert code == 0
    assert out.splitlines()[0].startswith("NAMESPACE   NAME")


def test_get_missing_job_is_kubectls_not_found(api: FakeApi) -> None:
    api.on("GET", f"{JOBS}/x", not_found("jobs.batch", "x"))
    code, out, err = api.run("get", "job/x")
    assert (code, out) == (1, "")
    assert err == 'Error from server (NotFound): jobs.batch "x" not found\n'


def test_get_one_job_as_json_yaml_name_and_jsonpath(api: FakeApi) -> None:
    api.on("GET", f"{JOBS}/ho-indexed-seed", Reply(200, seed_job()))
    code, out, _ = api.run("get", "job.batch", "ho-indexed-seed", "-o", "json")
    assert code == 0 and json.loads(out)["metadata"]["name"] == "ho-indexed-seed"
    assert api.run("get", "jobs/ho-indexed-seed", "-o", "name")[1] == "job.batch/ho-indexed-seed\n"
    assert api.run("get", "job", "ho-indexed-seed", "-o", "jsonpath={.status.succeeded}")[1] == "5"
    assert "completionMode: Indexed" in api.run("get", "job/ho-indexed-seed", "-o", "yaml")[1]


def test_get_all_prints_one_table_per_type_with_kind_prefixes(api: FakeApi) -> None:
    api.on("GET", PODS, items(pod("pi-abcde", phase="Succeeded")))
    api.on("GET", "/api/v1/namespaces/default/services", items())
    api.on("GET", JOBS, items(job("pi")))
    api.on("GET", "/apis/batch/v1/namespaces/default/cronjobs", items())
    code, out, _ = api.run("get", "all")
    assert code == 0
    blocks = out.split("\n\n")
    assert blocks[0].splitlines()[1].startswith("pod/pi-abcde")
    assert blocks[1].splitlines()[1].startswith("job.batch/pi")


def test_get_unknown_type_and_bad_output_are_usage_errors(api: FakeApi) -> None:
    assert api.run("get", "deployments")[0] == 2
    code, _, err = api.run("get", "jobs", "-o", "table")
    assert code == 2 and "unable to match a printer" in err


def test_get_watch_prints_rows_as_events_arrive(api: FakeApi) -> None:
    api.on("GET", JOBS, items(job("pi"), rv="5"))

    def watch(req):  # type: ignore[no-untyped-def]
        assert req.query == {"watch": "true", "resourceVersion": "5"}
        done = job("pi", start=0, completion=3, succeeded=1, completions=1, conditions=[cond("Complete")])
        return watch_lines(("MODIFIED", done))

    api.routes[("GET", JOBS)] = [lambda r: items(job("pi", completions=1), rv="5"), watch]
    code, out, _ = api.run("get", "jobs", "-w")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert lines[2].split() == ["pi", "Complete", "1/1", "3s", "0s"]


def test_describe_job_fetches_events_by_involved_object(api: FakeApi) -> None:
    api.on("GET", f"{JOBS}/ho-indexed-seed", Reply(200, seed_job()))
    api.on("GET", EVENTS, items(*seed_events()))
    api.now = T0 + timedelta(seconds=12)
    code, out, _ = api.run("describe", "job/ho-indexed-seed")
    assert code == 0
    assert out.startswith("Name:               ho-indexed-seed\n")
    assert "  Normal  Completed         3s    job-controller  Job completed" in out
    assert api.seen()[1] == (
        "GET",
        EVENTS,
        {
            "fieldSelector": f"involvedObject.name=ho-indexed-seed,involvedObject.namespace=default,involvedObject.uid={UID}"
        },
    )


def test_describe_missing_job(api: FakeApi) -> None:
    api.on("GET", f"{JOBS}/nope", not_found("jobs.batch", "nope"))
    code, _, err = api.run("describe", "jobs", "nope")
    assert (code, err) == (1, 'Error from server (NotFound): jobs.batch "nope" not found\n')


# -- apply ---------------------------------------------------------------------------------

MANIFEST = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: pi
        image: perl
        command: ["perl", "-e", "print 1"]
"""


def test_apply_creates_with_the_last_applied_annotation(api: FakeApi, tmp_path: Path) -> None:
    f = tmp_path / "job.yaml"
    f.write_text(MANIFEST)
    api.on("GET", f"{JOBS}/pi", not_found("jobs.batch", "pi"))
    api.on("POST", JOBS, lambda req: Reply(201, req.body, {"Warning": '299 - "spec.x: careful"'}))
    code, out, err = api.run("apply", "-f", str(f))
    assert (code, out) == (0, "job.batch/pi created\n")
    assert err == "Warning: spec.x: careful\n"
    sent = api.requests[-1].body
    annotation = sent["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert json.loads(annotation)["metadata"] == {"name": "pi", "namespace": "default"}
    assert api.requests[-1].headers["content-type"] == "application/json"


def test_apply_unchanged_then_configured(api: FakeApi, tmp_path: Path) -> None:
    f = tmp_path / "job.yaml"
    f.write_text(MANIFEST)
    stored: dict[str, object] = {}

    def create(req):  # type: ignore[no-untyped-def]
        stored.update(req.body)
        return Reply(201, req.body)

    api.on("GET", f"{JOBS}/pi", not_found("jobs.batch", "pi"), lambda req: Reply(200, stored))
    api.on("POST", JOBS, create)
    api.on("PATCH", f"{JOBS}/pi", lambda req: Reply(200, stored))
    assert api.run("apply", "-f", str(f))[1] == "job.batch/pi created\n"
    assert api.run("apply", "-f", str(f))[1] == "job.batch/pi unchanged\n"
    f.write_text(MANIFEST.replace("print 1", "print 2"))
    assert api.run("apply", "-f", str(f))[1] == "job.batch/pi configured\n"
    patch = api.requests[-1]
    assert (
        patch.method == "PATCH" and patch.headers["content-type"] == "application/strategic-merge-patch+json"
    )
    pod = patch.body["spec"]["template"]["spec"]
    assert pod["containers"] == [{"name": "pi", "command": ["perl", "-e", "print 2"]}]
    assert pod["$setElementOrder/containers"] == [{"name": "pi"}]


def test_apply_invalid_manifest_applies_nothing(api: FakeApi, tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(
        MANIFEST + "---\n" + MANIFEST.replace("Never", "Always").replace("name: pi\nspec", "name: pi2\nspec")
    )
    code, out, err = api.run("apply", "-f", str(f))
    assert (code, out) == (1, "")
    assert "restartPolicy" in err and not err.startswith("error:")
    assert api.requests == []


def test_apply_server_invalid_is_rendered_like_kubectl(api: FakeApi, tmp_path: Path) -> None:
    f = tmp_path / "job.yaml"
    f.write_text(MANIFEST)
    api.on("GET", f"{JOBS}/pi", not_found("jobs.batch", "pi"))
    causes = [
        {"field": "spec.completions", "message": "Invalid value: -1: must be greater than or equal to 0"},
        {"field": "spec.parallelism", "message": "Invalid value: -1: must be greater than or equal to 0"},
    ]
    api.on(
        "POST",
        JOBS,
        status(
            422,
            "Invalid",
            'Job.batch "pi" is invalid: [...]',
            kind="Job",
            name="pi",
            group="batch",
            causes=causes,
        ),
    )
    code, _, err = api.run("apply", "-f", str(f))
    assert code == 1
    assert err == (
        'The Job "pi" is invalid: \n'
        "* spec.completions: Invalid value: -1: must be greater than or equal to 0\n"
        "* spec.parallelism: Invalid value: -1: must be greater than or equal to 0\n"
    )


def test_apply_client_dry_run_never_contacts_the_server(tmp_path: Path) -> None:
    from io import StringIO

    from minik.cli.common import Ctx
    from minik.cli.main import main

    f = tmp_path / "job.yaml"
    f.write_text(MANIFEST)

    def no_server():  # type: ignore[no-untyped-def]
        raise AssertionError("contacted the server")

    out, err = StringIO(), StringIO()
    code = main(
        ["apply", "-f", str(f), "--dry-run=client", "-o", "yaml"],
        ctx=Ctx(out=out, err=err, connect=no_server),
    )
    assert code == 0, err.getvalue()
    assert "backoffLimit: 6" in out.getvalue()  # defaulted


def test_apply_server_dry_run(api: FakeApi, tmp_path: Path) -> None:
    f = tmp_path / "job.yaml"
    f.write_text(MANIFEST)
    api.on("GET", f"{JOBS}/pi", not_found("jobs.batch", "pi"))
    api.on("POST", JOBS, lambda req: Reply(201, req.body))
    code, out, _ = api.run("apply", "-f", str(f), "--dry-run=server")
    assert (code, out) == (0, "job.batch/pi created (server dry run)\n")
    assert api.seen("POST") == [("POST", JOBS, {"dryRun": "All"})]


# -- delete ----------------------------------------------------------------------------------


def test_delete_sends_background_propagation_and_waits(api: FakeApi) -> None:
    api.on("DELETE", f"{JOBS}/pi", Reply(200, job("pi")))
    live = job("pi")
    live["metadata"]["resourceVersion"] = "7"
    api.on("GET", f"{JOBS}/pi", Reply(200, live))
    api.on("GET", JOBS, watch_lines(("DELETED", job("pi"))))
    code, out, _ = api.run("delete", "job", "pi")
    assert (code, out) == (0, 'job.batch "pi" deleted\n')
    assert api.requests[0].body == {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "propagationPolicy": "Background",
    }
    assert api.seen()[-1] == (
        "GET",
        JOBS,
        {"fieldSelector": "metadata.name=pi", "resourceVersion": "7", "watch": "true"},
    )


def test_delete_all_orphan_no_wait(api: FakeApi) -> None:
    api.on("GET", JOBS, items(job("a"), job("b")))
    api.on("DELETE", f"{JOBS}/a", Reply(200, job("a")))
    api.on("DELETE", f"{JOBS}/b", Reply(200, job("b")))
    code, out, _ = api.run("delete", "jobs", "--all", "--cascade=orphan", "--wait=false")
    assert (code, out) == (0, 'job.batch "a" deleted\njob.batch "b" deleted\n')
    assert api.requests[1].body["propagationPolicy"] == "Orphan"


def test_delete_missing(api: FakeApi) -> None:
    api.on("DELETE", f"{JOBS}/x", not_found("jobs.batch", "x"))
    code, _, err = api.run("delete", "job/x")
    assert (code, err) == (1, 'Error from server (NotFound): jobs.batch "x" not found\n')
    assert api.run("delete", "job/x", "--ignore-not-found")[0] == 0


# -- wait ------------------------------------------------------------------------------------


def test_wait_for_complete_follows_the_watch(api: FakeApi) -> None:
    running = job("pi", start=0)
    running["metadata"]["resourceVersion"] = "3"
    api.on("GET", f"{JOBS}/pi", Reply(200, running))
    api.on("GET", JOBS, watch_lines(("MODIFIED", job("pi", conditions=[cond("Complete")]))))
    code, out, _ = api.run("wait", "--for=condition=complete", "job/pi")
    assert (code, out) == (0, "job.batch/pi condition met\n")
    q = api.seen()[-1][2]
    assert q["fieldSelector"] == "metadata.name=pi" and q["resourceVersion"] == "3" and q["watch"] == "true"
    assert int(q["timeoutSeconds"]) <= 30


def test_wait_for_complete_on_a_failed_job_is_impossible(api: FakeApi) -> None:
    failed = job(
        "pi",
        conditions=[
            cond(
                "Failed", reason="BackoffLimitExceeded", message="Job has reached the specified backoff limit"
            )
        ],
    )
    api.on("GET", f"{JOBS}/pi", Reply(200, failed))
    code, out, err = api.run("wait", "--for=condition=Complete", "job/pi")
    assert (code, out) == (2, "")
    assert (
        err
        == "error: job.batch/pi failed: BackoffLimitExceeded: Job has reached the specified backoff limit\n"
    )


def test_wait_times_out_with_exit_1(api: FakeApi) -> None:
    api.on("GET", f"{JOBS}/pi", Reply(200, job("pi")))
    code, _, err = api.run("wait", "--for=condition=complete", "job/pi", "--timeout=0")
    assert (code, err) == (1, "error: condition not met for jobs/pi\n")
    api.on("GET", JOBS, watch_lines())
    code, _, err = api.run("wait", "--for=condition=complete", "job/pi", "--timeout=1s")
    assert (code, err) == (1, "error: timed out waiting for the condition on jobs/pi\n")


def test_wait_for_delete(api: FakeApi) -> None:
    api.on("GET", f"{JOBS}/pi", Reply(200, job("pi")))
    api.on("GET", JOBS, watch_lines(("DELETED", job("pi"))))
    assert api.run("wait", "--for=delete", "job/pi")[:2] == (0, "job.batch/pi condition met\n")


# -- logs ------------------------------------------------------------------------------------


def _job_pod(name: str, index: int, created: float) -> dict:  # type: ignore[type-arg]
    p = pod(
        name,
        created=created,
        phase="Succeeded",
        statuses=[cstatus(state={"terminated": {"exitCode": 0, "reason": "Completed"}})],
        labels={"batch.kubernetes.io/job-completion-index": str(index)},
    )
    return p


def test_logs_of_a_pod(api: FakeApi) -> None:
    api.on("GET", f"{PODS}/p", Reply(200, _job_pod("p", 0, 0)))
    api.on("GET", f"{PODS}/p/log", Reply(200, stream=[b"hello\n", b"no newline"]))
    code, out, _ = api.run("logs", "p", "--tail=5", "--timestamps")
    assert (code, out) == (0, "hello\nno newline")
    assert api.seen()[-1] == (
        "GET",
        f"{PODS}/p/log",
        {"timestamps": "true", "tailLines": "5", "container": "c"},
    )


def test_logs_of_a_job_shows_every_pod_in_index_order(api: FakeApi) -> None:
    j = seed_job()
    api.on("GET", f"{JOBS}/ho-indexed-seed", Reply(200, j))
    api.on("GET", PODS, items(_job_pod("seed-1-b", 1, 0), _job_pod("seed-0-a", 0, 1)))
    api.on("GET", f"{PODS}/seed-0-a/log", Reply(200, stream=[b"oof\n"]))
    api.on("GET", f"{PODS}/seed-1-b/log", Reply(200, stream=[b"ra", b"b\n"]))
    code, out, _ = api.run("logs", "job/ho-indexed-seed")
    assert code == 0
    assert out == "[pod/seed-0-a/c] oof\n[pod/seed-1-b/c] rab\n"
    assert api.seen()[1] == ("GET", PODS, {"labelSelector": f"batch.kubernetes.io/controller-uid={UID}"})


def test_logs_errors(api: FakeApi) -> None:
    p = pod("p", statuses=[cstatus(state={"running": {}})])
    api.on("GET", f"{PODS}/p", Reply(200, p))
    code, _, err = api.run("logs", "p", "-c", "nope")
    assert (code, err) == (1, "error: container nope is not valid for pod p\n")
    api.on(
        "GET",
        f"{PODS}/p/log",
        status(400, "BadRequest", 'previous terminated container "c" in pod "p" not found'),
    )
    code, _, err = api.run("logs", "p", "--previous")
    assert (code, err) == (
        1,
        'Error from server (BadRequest): previous terminated container "c" in pod "p" not found\n',
    )
    api.on("GET", f"{PODS}/x", not_found("pods", "x"))
    assert api.run("logs", "pod/x")[2] == 'Error from server (NotFound): pods "x" not found\n'


def test_logs_defaulted_container_notice(api: FakeApi) -> None:
    p = pod("p", inits=1, statuses=[cstatus(state={"running": {}})])
    api.on("GET", f"{PODS}/p", Reply(200, p))
    api.on("GET", f"{PODS}/p/log", Reply(200, stream=[b"x\n"]))
    code, out, err = api.run("logs", "p")
    assert (code, out) == (0, "x\n")
    assert err == 'Defaulted container "c" out of: c, init0 (init)\n'


def test_logs_follow_a_job_picks_up_new_pods(api: FakeApi) -> None:
    j = seed_job()
    api.on("GET", f"{JOBS}/ho-indexed-seed", Reply(200, j))
    first = _job_pod("seed-0-a", 0, 0)
    later = _job_pod("seed-1-b", 1, 1)
    api.on("GET", PODS, items(first), watch_lines(("ADDED", later)), items(first, later))
    api.on("GET", f"{PODS}/seed-0-a/log", Reply(200, stream=[b"zero\n"]))
    api.on("GET", f"{PODS}/seed-1-b/log", Reply(200, stream=[b"one\n"]))
    code, out, _ = api.run("logs", "-f", "job/ho-indexed-seed")
    assert code == 0
    assert sorted(out.splitlines()) == ["[pod/seed-0-a/c] zero", "[pod/seed-1-b/c] one"]
    log_queries = [q for m, p, q in api.seen() if p.endswith("/log")]
    assert all(q["follow"] == "true" for q in log_queries)


def test_unreachable_server_is_one_sentence() -> None:
    import socket
    from io import StringIO

    from minik.cli.client import Client
    from minik.cli.common import Ctx
    from minik.cli.main import main

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    out, err = StringIO(), StringIO()
    code = main(
        ["get", "jobs"], ctx=Ctx(out=out, err=err, connect=lambda: Client(f"http://127.0.0.1:{port}", "t"))
    )
    assert code == 3
    assert err.getvalue().startswith("error: the minik server at") and err.getvalue().count("\n") == 1
