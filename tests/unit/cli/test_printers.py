"""`get` tables and `describe` pages as pure functions, against the reference's examples (R10, R11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from minik.cli import describe, printers
from minik.cli.jsonpath import evaluate
from minik.cli.kinds import CONFIGMAPS, EVENTS, JOBS, PODS, SECRETS, SERVICES
from minik.k8s import Obj

from .objects import T0, UID, at, cond, cstatus, job, pod, seed_events, seed_job

DATA = Path(__file__).parent / "data"
NOW = T0


def _job_at(now_offset: float) -> tuple[list[Obj], object]:
    from datetime import timedelta

    return [], T0 + timedelta(seconds=now_offset)


def test_get_jobs_matches_the_r10_example() -> None:
    from datetime import timedelta

    now = T0 + timedelta(seconds=15)
    jobs = [
        job(
            "ho-indexed-seed",
            created=0,
            start=0,
            completion=9,
            succeeded=5,
            completions=5,
            parallelism=3,
            conditions=[cond("Complete")],
        ),
        job(
            "ho-bol-zero",
            created=9,
            start=9,
            completions=1,
            conditions=[cond("FailureTarget"), cond("Failed")],
        ),
        job("ho-suspend", created=7, completions=2, parallelism=2, conditions=[cond("Suspended")]),
        job(
            "ho-workqueue",
            created=6,
            start=6,
            completion=11,
            succeeded=3,
            parallelism=3,
            conditions=[cond("Complete")],
        ),
    ]
    # ho-bol-zero failed at 13s but DURATION keeps growing (R10.2): now - start = 6s shown as in kubectl
    out = printers.render_table(JOBS, jobs, now)
    assert out.splitlines() == [
        "NAME              STATUS      COMPLETIONS   DURATION   AGE",
        "ho-indexed-seed   Complete    5/5           9s         15s",
        "ho-bol-zero       Failed      0/1           6s         6s",
        "ho-suspend        Suspended   0/2                      8s",
        "ho-workqueue      Complete    3/1 of 3      5s         9s",
    ]


@pytest.mark.parametrize(
    ("conditions", "deleting", "status"),
    [
        ([], False, "Running"),
        ([cond("SuccessCriteriaMet")], False, "Running"),
        ([cond("Complete")], False, "Complete"),
        ([cond("Failed")], True, "Failed"),
        ([], True, "Terminating"),
        ([cond("Suspended")], False, "Suspended"),
        ([cond("Suspended", "False")], False, "Running"),
        ([cond("FailureTarget")], False, "FailureTarget"),
    ],
)
def test_job_status_column(conditions: list[Obj], deleting: bool, status: str) -> None:
    j = job("j", conditions=conditions)
    if deleting:
        j["metadata"]["deletionTimestamp"] = at(1)
    assert printers.job_status(j) == status


def test_job_completions_column() -> None:
    assert printers.job_completions(job("j", completions=5)) == "0/5"
    assert printers.job_completions(job("j", parallelism=3)) == "0/1 of 3"
    assert printers.job_completions(job("j", parallelism=1)) == "0/1"


def test_get_pods_matches_the_r10_example() -> None:
    from datetime import timedelta

    now = T0 + timedelta(seconds=15)
    completed = cstatus(state={"terminated": {"exitCode": 0, "reason": "Completed"}})
    init_failed = cstatus("init0", state={"terminated": {"exitCode": 1, "reason": "Error"}})
    crash = cstatus(
        state={"waiting": {"reason": "CrashLoopBackOff"}},
        restarts=1,
        last={"terminated": {"exitCode": 1, "finishedAt": at(12)}},
    )
    pods = [
        pod("ho-indexed-seed-0-x7k2p", created=0, phase="Succeeded", statuses=[completed]),
        pod(
            "ho-init-fail-b6w2q",
            created=9,
            phase="Failed",
            inits=1,
            init_statuses=[init_failed],
            statuses=[cstatus(state={"waiting": {"reason": "PodInitializing"}})],
        ),
        pod("ho-onfailure-bol-4zx9k", created=9, statuses=[crash]),
    ]
    assert printers.render_table(PODS, pods, now).splitlines() == [
        "NAME                      READY   STATUS             RESTARTS     AGE",
        "ho-indexed-seed-0-x7k2p   0/1     Completed          0            15s",
        "ho-init-fail-b6w2q        0/1     Init:Error         0            6s",
        "ho-onfailure-bol-4zx9k    0/1     CrashLoopBackOff   1 (3s ago)   6s",
    ]


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (pod("p", phase="Pending"), ("0/1", "Pending", "0")),
        (
            pod("p", phase="Pending", statuses=[cstatus(state={"waiting": {"reason": "ContainerCreating"}})]),
            ("0/1", "ContainerCreating", "0"),
        ),
        (pod("p", statuses=[cstatus(state={"running": {}}, ready=True)]), ("1/1", "Running", "0")),
        (
            pod("p", phase="Failed", statuses=[cstatus(state={"terminated": {"exitCode": 3}})]),
            ("0/1", "ExitCode:3", "0"),
        ),
        (
            pod(
                "p",
                phase="Pending",
                inits=2,
                init_statuses=[
                    cstatus("init0", state={"terminated": {"exitCode": 0, "reason": "Completed"}}),
                    cstatus("init1", state={"running": {}}),
                ],
            ),
            ("0/1", "Init:1/2", "0"),
        ),
        (
            pod(
                "p",
                phase="Pending",
                inits=1,
                init_statuses=[
                    cstatus("init0", state={"waiting": {"reason": "CrashLoopBackOff"}}),
                ],
            ),
            ("0/1", "Init:CrashLoopBackOff", "0"),
        ),
        (
            pod(
                "p",
                phase="Failed",
                inits=1,
                init_statuses=[
                    cstatus("init0", state={"terminated": {"exitCode": 2}}),
                ],
            ),
            ("0/1", "Init:ExitCode:2", "0"),
        ),
    ],
)
def test_pod_columns(p: Obj, expected: tuple[str, str, str]) -> None:
    assert printers.pod_columns(p, NOW) == expected


def test_deleting_running_pod_shows_terminating() -> None:
    p = pod("p", statuses=[cstatus(state={"running": {}}, ready=True)])
    p["metadata"]["deletionTimestamp"] = at(0)
    assert printers.pod_columns(p, NOW)[1] == "Terminating"


def test_services_configmaps_secrets_events_tables() -> None:
    from datetime import timedelta

    now = T0 + timedelta(seconds=30)
    svc = {
        "metadata": {"name": "redis", "creationTimestamp": at(0)},
        "spec": {"type": "ClusterIP", "clusterIP": "None", "ports": [{"port": 6379, "protocol": "TCP"}]},
    }
    assert printers.render_table(SERVICES, [svc], now).splitlines() == [
        "NAME    TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)    AGE",
        "redis   ClusterIP   None         <none>        6379/TCP   30s",
    ]
    cm = {"metadata": {"name": "cfg", "creationTimestamp": at(0)}, "data": {"a": "1", "b": "2"}}
    assert printers.render_table(CONFIGMAPS, [cm], now) == "NAME   DATA   AGE\ncfg    2      30s\n"
    sec = {"metadata": {"name": "s", "creationTimestamp": at(0)}, "type": "Opaque", "data": {"k": "dg=="}}
    assert (
        printers.render_table(SECRETS, [sec], now)
        == "NAME   TYPE     DATA   AGE\ns      Opaque   1      30s\n"
    )
    evs = seed_events()[-2:]
    assert printers.render_table(EVENTS, evs, now).splitlines() == [
        "LAST SEEN   TYPE     REASON             OBJECT                MESSAGE",
        "26s         Normal   SuccessfulCreate   job/ho-indexed-seed   Created pod: ho-indexed-seed-4-h2vnx",
        "21s         Normal   Completed          job/ho-indexed-seed   Job completed",
    ]


def test_wide_namespace_and_kind_prefix() -> None:
    j = job(
        "pi", start=0, completions=1, selector={"matchLabels": {"batch.kubernetes.io/controller-uid": "u"}}
    )
    out = printers.render_table(JOBS, [j], NOW, wide=True, namespace_column=True, kind_prefix=True)
    assert out.splitlines()[0].split() == [
        "NAMESPACE",
        "NAME",
        "STATUS",
        "COMPLETIONS",
        "DURATION",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
    ]
    assert out.splitlines()[1].split() == [
        "default",
        "job.batch/pi",
        "Running",
        "0/1",
        "0s",
        "0s",
        "c",
        "busybox",
        "batch.kubernetes.io/controller-uid=u",
    ]


def test_describe_job_matches_the_r11_rendered_example() -> None:
    from datetime import timedelta

    expected = (DATA / "r11_describe_job.txt").read_text()
    out = describe.describe_job(seed_job(), seed_events(), T0 + timedelta(seconds=12))
    assert out == expected


def test_describe_job_without_events_and_non_indexed() -> None:
    j = job(
        "pi",
        start=0,
        completions=1,
        backoffLimit=4,
        completionMode="NonIndexed",
        suspend=False,
        parallelism=1,
        selector={"matchLabels": {"batch.kubernetes.io/controller-uid": UID}},
    )
    j["status"]["ready"] = 1
    j["status"]["active"] = 1
    out = describe.describe_job(j, [], NOW)
    lines = out.splitlines()
    assert lines[0] == "Name:             pi"  # column set by `Completion Mode:` (16 chars → 18)
    assert "Pods Statuses:    1 Active (1 Ready) / 0 Succeeded / 0 Failed" in lines
    assert not any(line.startswith("Completed Indexes") for line in lines)
    assert lines[-1].startswith("Events:") and lines[-1].endswith("<none>")


def test_describe_event_repeats() -> None:
    from datetime import timedelta

    from .objects import event

    ev = event("BackOff", "Back-off", first=0, last=590, count=6, type_="Warning")
    assert describe.event_age(ev, T0 + timedelta(seconds=600)) == "10s (x6 over 10m)"


def test_describe_pod_sections() -> None:
    p = pod(
        "pi-0-abcde",
        statuses=[
            cstatus(
                state={
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": at(1),
                        "finishedAt": at(2),
                    }
                }
            )
        ],
        phase="Succeeded",
        labels={"job-name": "pi"},
    )
    p["metadata"]["ownerReferences"] = [{"kind": "Job", "name": "pi", "controller": True}]
    p["spec"]["containers"][0]["env"] = [
        {
            "name": "JOB_COMPLETION_INDEX",
            "valueFrom": {
                "fieldRef": {
                    "apiVersion": "v1",
                    "fieldPath": "metadata.labels['batch.kubernetes.io/job-completion-index']",
                }
            },
        }
    ]
    p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] = "3"
    p["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    out = describe.describe_pod(p, [], NOW)
    assert "Controlled By:  Job/pi" in out
    assert "Status:         Succeeded" in out
    assert (
        "      JOB_COMPLETION_INDEX:  3 (v1:metadata.labels['batch.kubernetes.io/job-completion-index'])"
        in out
    )
    assert "    State:          Terminated\n      Reason:       Completed\n      Exit Code:    0\n" in out
    assert "QoS Class:                   BestEffort" in out or "QoS Class:" in out


def test_cap_index_ranges() -> None:
    assert describe.cap_index_ranges("") == "<none>"
    assert describe.cap_index_ranges("0-4") == "0-4"
    long = ",".join(str(i) for i in range(0, 60, 2))
    capped = describe.cap_index_ranges(long)
    assert capped.endswith(",...") and len(capped) <= 54


@pytest.mark.parametrize(
    ("template", "text"),
    [
        ("{.status.succeeded}", "5"),
        ("{.metadata.name}", "ho-indexed-seed"),
        ("{.spec.template.spec.containers[*].name}", "worker"),
        ("{.spec.template.spec.containers[0].image}", "busybox"),
        ('{.status.conditions[?(@.type=="Complete")].status}', "True"),
        ("{.metadata.labels.job-name}", "ho-indexed-seed"),
        ("{.metadata.labels.batch\\.kubernetes\\.io/job-name}", "ho-indexed-seed"),
        ('n={.spec.completions}{"\\n"}', "n=5\n"),
        ("{.status.missing}", ""),
    ],
)
def test_jsonpath_on_one_object(template: str, text: str) -> None:
    assert evaluate(template, seed_job()) == text


def test_jsonpath_on_lists_and_range() -> None:
    data = printers.as_list([job("a"), job("b")])
    assert evaluate("{.items[*].metadata.name}", data) == "a b"
    assert evaluate('{range .items[*]}{.metadata.name}{"\\n"}{end}', data) == "a\nb\n"


def test_name_and_structured_output() -> None:
    j = job("pi")
    assert printers.name_line(JOBS, j) == "job.batch/pi"
    assert printers.to_json({"b": 1, "a": 2}) == '{\n    "a": 2,\n    "b": 1\n}\n'
    assert printers.to_yaml({"b": 1, "a": {"c": "x\ny"}}) == "a:\n  c: |-\n    x\n    y\nb: 1\n"
