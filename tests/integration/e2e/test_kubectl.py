"""Real ``kubectl`` (the binary on PATH, v1.32) against minik, with minik's kubeconfig.

Every everyday flow of the issue: apply/get/describe/logs/wait/delete of the
examples, server-side Table columns, ``get -w``, ``logs -f``, events,
``apply`` twice, an immutable field, strict validation, foreground deletion.
The compatibility table in docs/kubectl.md lists the same commands.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support import EXAMPLES, Minik, kubeconfig, kubectl
from tests.support.kube import AGE, JOB

__all__ = ["AGE", "JOB", "kubeconfig", "kubectl"]  # imported by other modules

# example → (Job name, what a second ``kubectl apply`` prints). The -vol example's downwardAPI
# ``items`` list has no merge key, so kubectl sends it whole as on a real cluster (the server
# defaulted ``fieldRef.apiVersion``) and says "configured"; the object does not change.
EXAMPLE_JOBS = {
    "indexed-job.yaml": ("indexed-job", "unchanged"),
    "indexed-job-vol.yaml": ("indexed-job", "configured"),
}


@pytest.mark.parametrize("example", sorted(EXAMPLE_JOBS))
def test_every_example_through_kubectl(minik: Minik, example: str) -> None:
    name, again = EXAMPLE_JOBS[example]
    path = str(EXAMPLES / example)
    assert kubectl(minik, "apply", "-f", path).stdout.strip() == f"job.batch/{name} created"
    kubectl(minik, "wait", "--for=condition=complete", f"job/{name}", "--timeout=120s")

    # get: server-side Table columns, and -o yaml status equal to minik's own view
    table = kubectl(minik, "get", "jobs", name).stdout.splitlines()
    assert table[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert table[1].split()[:3] == [name, "Complete", "5/5"]
    pods_table = kubectl(minik, "get", "pods", "-l", f"job-name={name}").stdout.splitlines()
    assert pods_table[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert all(line.split()[1:4] == ["0/1", "Completed", "0"] for line in pods_table[1:])
    assert len(pods_table) == 6
    # A finished pod's status may change once more after its Job completes (the kubelet tears
    # its sandbox down): the three views below are compared once two reads a second apart agree.
    seen: list[Any] = [None]

    def settled() -> bool:
        now = {
            (o["kind"], o["metadata"]["name"]): o["status"] for o in minik.json("get", "jobs,pods")["items"]
        }
        same, seen[0] = now == seen[0], now
        return same

    minik.eventually("the Job's and its pods' status to settle", settled, 30, every=1.0)
    listed: dict[str, Any] = json.loads(kubectl(minik, "get", "jobs,pods", "-o", "json").stdout)
    from_kubectl = {(o["kind"], o["metadata"]["name"]): o["status"] for o in listed["items"]}
    import yaml

    as_yaml = yaml.safe_load(kubectl(minik, "get", "jobs,pods", "-o", "yaml").stdout)
    assert {(o["kind"], o["metadata"]["name"]): o["status"] for o in as_yaml["items"]} == from_kubectl
    ours = minik.json("get", "jobs,pods")
    assert {(o["kind"], o["metadata"]["name"]): o["status"] for o in ours["items"]} == from_kubectl

    # describe: the same page as `minik describe`, ages aside
    described = kubectl(minik, "describe", "job", name).stdout

    # Ages differ between two reads a moment apart ("9s" then "10s"), and the events table pads its
    # Age column to the widest age: padding after an age (or the header) is not compared.
    def ages_aside(text: str) -> str:
        return re.sub(r"(<age>|Age) +", r"\1 ", AGE.sub("<age>", text))

    assert ages_aside(described) == ages_aside(minik.run("describe", "job", name).stdout)
    assert "SuccessfulCreate" in described and "Completed" in described

    # logs: kubectl picks one pod for job/NAME; -l shows every pod
    pods = [o["metadata"]["name"] for o in listed["items"] if o["kind"] == "Pod"]
    per_pod = {minik.run("logs", f"pod/{p}").stdout for p in pods}
    assert len(per_pod) == 5
    assert kubectl(minik, "logs", f"job/{name}").stdout in per_pod
    every = kubectl(minik, "logs", "-l", f"job-name={name}").stdout  # the example prints no newline
    assert sorted(every.replace("\n", "")) == sorted("".join(per_pod).replace("\n", ""))

    events = kubectl(minik, "get", "events", "--field-selector", f"involvedObject.name={name}").stdout
    assert events.splitlines()[0].split()[:4] == ["LAST", "SEEN", "TYPE", "REASON"]
    assert "SuccessfulCreate" in events and f"job/{name}" in events

    rv = minik.json("get", "job", name)["metadata"]["resourceVersion"]
    assert kubectl(minik, "apply", "-f", path).stdout.strip() == f"job.batch/{name} {again}"
    assert minik.json("get", "job", name)["metadata"]["resourceVersion"] == rv
    assert kubectl(minik, "delete", "-f", path).stdout.strip() == f'job.batch "{name}" deleted'
    assert kubectl(minik, "get", "job", name, check=False).returncode == 1
    assert kubectl(minik, "get", "pods", "-l", f"job-name={name}", "-o", "name").stdout == ""


def test_apply_of_a_changed_immutable_field_is_the_apis_error(minik: Minik) -> None:
    kubectl(minik, "apply", "-f", "-", input=JOB.format(name="immut", command="echo one"))
    res = kubectl(minik, "apply", "-f", "-", input=JOB.format(name="immut", command="echo two"), check=False)
    assert res.returncode == 1
    assert 'The Job "immut" is invalid: spec.template: Invalid value: ' in res.stderr
    assert res.stderr.rstrip().endswith("field is immutable")
    kubectl(minik, "delete", "job", "immut")


def test_apply_validate_strict_rejects_an_unknown_field(minik: Minik) -> None:
    manifest = JOB.format(name="strict", command="true").replace(
        "restartPolicy: Never", "restartPolicy: Never\n      bogus: 1"
    )
    res = kubectl(minik, "apply", "--validate=strict", "-f", "-", input=manifest, check=False)
    assert res.returncode == 1
    assert 'strict decoding error: unknown field "spec.template.spec.bogus"' in res.stderr
    assert kubectl(minik, "get", "job", "strict", check=False).returncode == 1


def test_get_watch_prints_table_rows_as_the_pod_changes(minik: Minik) -> None:
    cmd = ["kubectl", "--kubeconfig", kubeconfig(minik), "get", "pods", "-l", "job-name=watched", "-w"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as watcher:
        try:
            time.sleep(1.0)
            kubectl(minik, "apply", "-f", "-", input=JOB.format(name="watched", command="sleep 1"))
            kubectl(minik, "wait", "--for=condition=complete", "job/watched", "--timeout=60s")
            time.sleep(1.0)
        finally:
            watcher.terminate()
        out, _ = watcher.communicate(timeout=10)
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    statuses = [line.split()[2] for line in lines[1:]]
    assert "Running" in statuses and statuses[-1] == "Completed"
    kubectl(minik, "delete", "job", "watched")


def test_logs_follow_streams_until_the_container_exits(minik: Minik) -> None:
    kubectl(
        minik,
        "apply",
        "-f",
        "-",
        input=JOB.format(name="follow", command="for i in 1 2 3; do echo line $i; sleep 0.5; done"),
    )
    kubectl(
        minik, "wait", "--for=condition=ready", "pod", "-l", "job-name=follow", "--timeout=60s", check=False
    )
    res = kubectl(minik, "logs", "-f", "job/follow", timeout=60)
    assert res.stdout.splitlines()[-1] == "line 3"
    kubectl(minik, "delete", "job", "follow")


def test_delete_cascade_foreground_removes_the_job_and_its_pods(minik: Minik) -> None:
    # The pod ends on SIGTERM (a shell as PID 1 ignores it otherwise and waits out the 30 s grace).
    fg = JOB.format(name="fg", command="trap 'exit 0' TERM; sleep 30 & wait")
    kubectl(minik, "apply", "-f", "-", input=fg)
    kubectl(minik, "wait", "--for=condition=ready", "pod", "-l", "job-name=fg", "--timeout=60s")
    out = kubectl(minik, "delete", "job", "fg", "--cascade=foreground", "--timeout=60s").stdout
    assert out.strip() == 'job.batch "fg" deleted'
    assert kubectl(minik, "get", "job", "fg", check=False).returncode == 1
    assert kubectl(minik, "get", "pods", "-l", "job-name=fg", "-o", "name").stdout == ""


def test_wide_output_and_several_kinds(minik: Minik) -> None:
    kubectl(minik, "apply", "-f", "-", input=JOB.format(name="wide", command="true"))
    kubectl(minik, "wait", "--for=condition=complete", "job/wide", "--timeout=60s")
    wide = kubectl(minik, "get", "job", "wide", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[5:] == ["CONTAINERS", "IMAGES", "SELECTOR"]
    assert wide[1].split()[5:7] == ["main", "busybox:latest"]
    both = kubectl(minik, "get", "jobs,pods", "-l", "job-name=wide").stdout
    assert "job.batch/wide" in both and "pod/wide-" in both
    kubectl(minik, "delete", "job", "wide")


def test_create_job_with_an_image_and_a_command(minik: Minik) -> None:
    kubectl(minik, "create", "job", "created", "--image=busybox:latest", "--", "echo", "hi")
    kubectl(minik, "wait", "--for=condition=complete", "job/created", "--timeout=60s")
    assert kubectl(minik, "logs", "job/created").stdout == "hi\n"
    kubectl(minik, "delete", "job", "created")


def test_create_configmap_and_secret(minik: Minik) -> None:
    """kubectl's typed `create` commands post protobuf; minik reads it."""
    kubectl(minik, "create", "configmap", "cm", "--from-literal=a=b")
    kubectl(minik, "create", "secret", "generic", "sec", "--from-literal=a=b")
    assert minik.json("get", "configmap", "cm")["data"] == {"a": "b"}
    secret = minik.json("get", "secret", "sec")
    assert secret["data"] == {"a": "Yg=="} and secret["type"] == "Opaque"
    kubectl(minik, "delete", "configmap", "cm")
    kubectl(minik, "delete", "secret", "sec")


def test_kubeconfig_is_minik_s(minik: Minik) -> None:
    assert Path(minik.run("kubeconfig").stdout.strip()) == minik.home / "kubeconfig"


def test_diff_and_explain(minik: Minik) -> None:
    manifest = JOB.format(name="diffed", command="true")
    kubectl(minik, "apply", "-f", "-", input=manifest)
    assert kubectl(minik, "diff", "-f", "-", input=manifest).returncode == 0
    labelled = manifest.replace("metadata: {name: diffed}", "metadata: {name: diffed, labels: {team: a}}")
    res = kubectl(minik, "diff", "-f", "-", input=labelled, check=False)
    assert res.returncode == 1 and "+    team: a" in res.stdout
    kubectl(minik, "delete", "job", "diffed")
    explained = kubectl(minik, "explain", "job.spec").stdout
    assert "FIELD: spec <JobSpec>" in explained and "backoffLimit\t<integer>" in explained
    assert "env\t<[]EnvVar>" in kubectl(minik, "explain", "pod.spec.containers").stdout


SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
"""


@pytest.mark.parametrize("tool", ["kubectl", "minik"])
def test_apply_removes_a_service_port_by_its_merge_key(minik: Minik, tool: str) -> None:
    two = SERVICE + "  - {name: metrics, port: 9090}\n"

    def apply(text: str) -> str:
        if tool == "kubectl":
            return kubectl(minik, "apply", "-f", "-", input=text).stdout + kubectl_stderr_free(minik, text)
        return minik.run("apply", "-f", "-", input=text).stdout

    assert apply(two).strip() == "service/web created"
    assert apply(SERVICE).strip() == "service/web configured"
    ports = minik.json("get", "service", "web")["spec"]["ports"]
    assert [(p["name"], p["port"]) for p in ports] == [("http", 80)]
    minik.run("delete", "service", "web")


def kubectl_stderr_free(minik: Minik, text: str) -> str:
    """kubectl must compute its patch from minik's OpenAPI without falling back (no warning)."""
    res = kubectl(minik, "apply", "--dry-run=server", "-f", "-", input=text)
    assert "warning" not in res.stderr.lower(), res.stderr
    return ""


def test_the_other_everyday_commands_of_the_table(minik: Minik) -> None:
    """The remaining ✅ rows of docs/kubectl.md, one call each."""
    kubectl(minik, "apply", "-f", "-", input=JOB.format(name="misc", command="echo misc"))
    kubectl(minik, "wait", "--for=condition=complete", "job/misc", "--timeout=60s")
    assert kubectl(
        minik, "patch", "job", "misc", "--type=strategic", "-p", '{"metadata":{"labels":{"s":"1"}}}'
    ).stdout
    kubectl(minik, "patch", "job", "misc", "--type=merge", "-p", '{"metadata":{"labels":{"m":"1"}}}')
    kubectl(
        minik,
        "patch",
        "job",
        "misc",
        "--type=json",
        "-p",
        '[{"op":"add","path":"/metadata/labels/j","value":"1"}]',
    )
    kubectl(minik, "label", "job", "misc", "l=1")
    kubectl(minik, "annotate", "job", "misc", "a=1")
    labels = minik.json("get", "job", "misc")["metadata"]["labels"]
    assert {k: labels[k] for k in ("s", "m", "j", "l")} == {"s": "1", "m": "1", "j": "1", "l": "1"}
    shown = kubectl(minik, "get", "jobs", "-A", "-L", "l", "--show-labels").stdout.splitlines()
    assert shown[0].split()[:2] == ["NAMESPACE", "NAME"] and "L" in shown[0].split()
    columns = kubectl(
        minik, "get", "job", "misc", "-o", "custom-columns=N:.metadata.name,S:.status.succeeded"
    )
    assert columns.stdout.split() == ["N", "S", "misc", "1"]
    assert "Completed" in kubectl(minik, "events", "--for", "job/misc").stdout
    assert "Events:" in kubectl(minik, "describe", "pod", "-l", "job-name=misc").stdout
    resources = kubectl(minik, "api-resources").stdout
    assert "jobs" in resources and "pods" in resources
    assert "Server Version: v1.33.0-minik" in kubectl(minik, "version").stdout
    assert "is running at" in kubectl(minik, "cluster-info").stdout
    kubectl(minik, "run", "solo", "--image=busybox:latest", "--restart=Never", "--", "echo", "solo")
    kubectl(minik, "wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/solo", "--timeout=60s")
    assert kubectl(minik, "logs", "solo").stdout == "solo\n"
    kubectl(minik, "create", "service", "clusterip", "svc", "--tcp=80:8080")
    assert minik.json("get", "service", "svc")["spec"]["ports"][0]["targetPort"] == 8080
    kubectl(minik, "delete", "job", "misc", "--cascade=orphan")
    assert kubectl(minik, "get", "pods", "-l", "job-name=misc", "-o", "name").stdout.startswith("pod/misc-")
    kubectl(minik, "delete", "pods", "-l", "job-name=misc")
    kubectl(minik, "delete", "pod", "solo")
    kubectl(minik, "delete", "service", "svc")
