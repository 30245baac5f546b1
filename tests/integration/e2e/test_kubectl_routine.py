"""A day with kubectl: the commands a user types in a row, each with what it must print (issue 30).

One namespace, one small web pod (busybox ``httpd``), a kustomized Job, a few
ConfigMaps: create, run, apply -k, apply --prune, patch, edit (KUBE_EDITOR is
a script), get in every output format, wait, logs, events, describe,
explain, exec, cp, port-forward, proxy, expose, debug, diff, server-side
apply, replace, label, annotate and the delete variants. Each step asserts
what a cluster answers, not only the exit code. ``auth can-i`` and
``auth whoami`` come with the auth branch (marked below).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.instance import Minik
from tests.support.kube import JOB, kubeconfig, run_command
from tests.support.polling import eventually

NS = "routine"
WEB = [
    "sh", "-c", "echo hello from web > /tmp/index.html && exec httpd -f -p 8080 -h /tmp",
]  # fmt: skip
KUSTOMIZATION = """\
namespace: routine
resources: [job.yaml]
configMapGenerator:
- name: kcfg
  literals: [mode=routine]
"""
PRUNE_SET = """\
apiVersion: v1
kind: ConfigMap
metadata: {{name: {name}, namespace: routine, labels: {{set: routine}}}}
data: {{k: v}}
"""
SSA = """\
apiVersion: v1
kind: ConfigMap
metadata: {{name: ssa, namespace: routine}}
data: {{owner: {owner}}}
"""
EDITOR = """#!/bin/sh
sed -i 's/^  a: "1"$/  a: edited/' "$1"
"""


class Routine:
    """Runs kubectl against the instance and counts the commands whose outcome was asserted."""

    def __init__(self, minik: Minik, workdir: Path) -> None:
        self.minik = minik
        self.workdir = workdir
        self.config = kubeconfig(minik)
        self.count = 0

    def argv(self, *args: str) -> list[str]:
        return ["kubectl", "--kubeconfig", self.config, *args]

    def __call__(
        self, *args: str, input: str | None = None, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        self.count += 1
        return run_command(
            self.argv(*args), input=input, check=check, env=env, cwd=self.workdir,
            context=lambda: f"server log:\n{self.minik.server_log()[-3000:]}",
        )  # fmt: skip

    def out(self, *args: str) -> str:
        return self(*args).stdout

    def until(self, what: str, *args: str, want: str) -> None:
        """One command, repeated until it prints ``want`` (counted once)."""
        self.count += 1
        eventually(what, lambda: run_command(self.argv(*args), check=False, cwd=self.workdir).stdout == want)

    @contextmanager
    def serving(self, *args: str, ready: str) -> Iterator[int]:
        """A long-running kubectl (port-forward, proxy) until the block ends; the local port it prints."""
        self.count += 1
        proc = subprocess.Popen(self.argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            found = re.search(ready, line)
            assert found, (line, proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
            yield int(found.group(1))
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read().decode()


def test_a_day_of_kubectl(minik: Minik, tmp_path: Path) -> None:
    k = Routine(minik, tmp_path)

    # -- set up ------------------------------------------------------------------------------
    assert k.out("create", "namespace", NS).strip() == f"namespace/{NS} created"
    out = k.out("run", "web", "-n", NS, "--image=busybox:1.36", "--restart=Never", "--labels=app=web",
                "--port=8080", "--command", "--", *WEB)  # fmt: skip
    assert out.strip() == "pod/web created"
    assert k.out("wait", "-n", NS, "--for=condition=Ready", "pod/web", "--timeout=60s").strip() == (
        "pod/web condition met"
    )
    assert (
        k.out("create", "configmap", "cfg", "-n", NS, "--from-literal=a=1").strip() == "configmap/cfg created"
    )
    assert k.out("create", "secret", "generic", "sec", "-n", NS, "--from-literal=p=s3cret").strip() == (
        "secret/sec created"
    )

    # -- apply -k, then wait for the Job and read its log ------------------------------------------
    kdir = tmp_path / "kustom"
    kdir.mkdir()
    (kdir / "kustomization.yaml").write_text(KUSTOMIZATION)
    (kdir / "job.yaml").write_text(JOB.format(name="report", command="echo report done"))
    out = k.out("apply", "-k", str(kdir))
    assert re.fullmatch(r"configmap/kcfg-[a-z0-9]{10} created\njob.batch/report created\n", out), out
    assert k.out("wait", "-n", NS, "--for=condition=complete", "job/report", "--timeout=60s").strip() == (
        "job.batch/report condition met"
    )
    assert k.out("logs", "-n", NS, "job/report") == "report done\n"

    # -- apply --prune: the object no longer in the set goes -------------------------------------
    pdir = tmp_path / "prune"
    pdir.mkdir()
    for name in ("keep", "drop"):
        (pdir / f"{name}.yaml").write_text(PRUNE_SET.format(name=name))
    k("apply", "-f", str(pdir), "-l", "set=routine")
    (pdir / "drop.yaml").unlink()
    # kubectl's default prune list names kinds minik does not serve (ReplicationController,
    # Deployment, Ingress, …): it refuses to start without them, so the kinds to prune are named
    # (docs/kubectl.md)
    plain = k("apply", "-f", str(pdir), "-l", "set=routine", "--prune", check=False)
    assert plain.returncode == 1 and 'no matches for kind "ReplicationController"' in plain.stderr
    out = k.out(
        "apply", "-f", str(pdir), "-l", "set=routine", "--prune", "--prune-allowlist=core/v1/ConfigMap"
    )
    assert "configmap/keep unchanged" in out and "configmap/drop pruned" in out, out

    # -- patch, edit, label, annotate ------------------------------------------------------------------
    assert k.out(
        "patch", "configmap", "cfg", "-n", NS, "--type=merge", "-p", '{"data":{"b":"2"}}'
    ).strip() == ("configmap/cfg patched")
    editor = tmp_path / "editor.sh"
    editor.write_text(EDITOR)
    editor.chmod(0o755)
    env = {**os.environ, "KUBE_EDITOR": str(editor)}
    assert k("edit", "configmap", "cfg", "-n", NS, env=env).stdout.strip() == "configmap/cfg edited"
    assert k.out("label", "pod", "web", "-n", NS, "tier=frontend").strip() == "pod/web labeled"
    assert k.out("annotate", "pod", "web", "-n", NS, "note=hi").strip() == "pod/web annotated"

    # -- get, in every format -----------------------------------------------------------------------
    wide = k.out("get", "pods", "-n", NS, "-o", "wide", "-l", "tier=frontend").splitlines()
    assert wide[0].split()[:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]
    assert wide[1].split()[:3] == ["web", "1/1", "Running"] and wide[1].split()[6] == "minik"
    cfg_yaml = k.out("get", "configmap", "cfg", "-n", NS, "-o", "yaml")
    assert "  a: edited\n" in cfg_yaml and '  b: "2"\n' in cfg_yaml
    pod = json.loads(k.out("get", "pod", "web", "-n", NS, "-o", "json"))
    assert pod["metadata"]["annotations"]["note"] == "hi" and pod["metadata"]["labels"]["tier"] == "frontend"
    ip = pod["status"]["podIP"]
    assert k.out("get", "pod", "web", "-n", NS, "-o", "jsonpath={.status.phase}") == "Running"
    columns = k.out(
        "get", "pods", "-n", NS, "-l", "app=web", "-o", "custom-columns=NAME:.metadata.name,IP:.status.podIP"
    )
    assert columns.split() == ["NAME", "IP", "web", ip]
    names = k.out("get", "configmaps,secrets", "-n", NS, "-o", "name").split()
    assert {"configmap/cfg", "configmap/keep", "secret/sec"} <= set(names) and "configmap/drop" not in names

    # -- events, describe, explain ----------------------------------------------------------------------
    assert re.search(r"Normal\s+Started\s+Pod/web", k.out("events", "-n", NS, "--for", "pod/web"))
    events = k.out("get", "events", "-n", NS, "--field-selector", "involvedObject.name=web,reason=Created")
    assert "Created container: web" in events
    described = k.out("describe", "pod", "web", "-n", NS)
    assert re.search(r"^Status:\s+Running$", described, re.M) and re.search(
        r"^IP:\s+" + re.escape(ip), described, re.M
    )
    explained = k.out("explain", "job.spec.backoffLimit")
    assert "FIELD: backoffLimit <integer>" in explained and "Specifies the number of retries" in explained

    # -- exec, cp -----------------------------------------------------------------------------------------
    assert k.out("exec", "web", "-n", NS, "--", "cat", "/tmp/index.html") == "hello from web\n"
    (tmp_path / "up.txt").write_text("uploaded\n")
    k("cp", str(tmp_path / "up.txt"), f"{NS}/web:/tmp/up.txt")
    assert k.out("exec", "web", "-n", NS, "--", "cat", "/tmp/up.txt") == "uploaded\n"
    k("cp", f"{NS}/web:/tmp/index.html", str(tmp_path / "down.html"))
    assert (tmp_path / "down.html").read_text() == "hello from web\n"

    # -- port-forward, expose, proxy ---------------------------------------------------------------------
    with k.serving(
        "port-forward", "-n", NS, "pod/web", ":8080", ready=r"Forwarding from 127\.0\.0\.1:(\d+)"
    ) as port:
        assert eventually("the forwarded page", lambda: fetch(f"http://127.0.0.1:{port}/index.html")) == (
            "hello from web\n"
        )
    assert k.out(
        "expose", "pod", "web", "-n", NS, "--port=80", "--target-port=8080", "--name=web-svc"
    ).strip() == ("service/web-svc exposed")
    svc = json.loads(k.out("get", "service", "web-svc", "-n", NS, "-o", "json"))
    assert (
        svc["spec"]["selector"] == {"app": "web", "tier": "frontend"}
        and svc["spec"]["ports"][0]["port"] == 80
    )
    with k.serving("proxy", "--port=0", ready=r"Starting to serve on 127\.0\.0\.1:(\d+)") as port:
        proxied = json.loads(fetch(f"http://127.0.0.1:{port}/api/v1/namespaces/{NS}/pods/web"))
        assert proxied["status"]["podIP"] == ip

    # -- debug: an ephemeral container on the pod's network -----------------------------------------------
    k("debug", "web", "-n", NS, "--image=busybox:1.36", "-c", "dbg", "--profile=general",
      "--", "wget", "-qO-", "http://localhost:8080/index.html")  # fmt: skip
    k.until("the debug container's page", "logs", "web", "-n", NS, "-c", "dbg", want="hello from web\n")

    # -- diff, server-side apply, replace ----------------------------------------------------------------
    ssa = tmp_path / "ssa.yaml"
    ssa.write_text(SSA.format(owner="routine"))
    assert k.out("apply", "--server-side", "--field-manager=routine", "-f", str(ssa)).strip() == (
        "configmap/ssa serverside-applied"
    )
    ssa.write_text(SSA.format(owner="changed"))
    diff = k("diff", "-f", str(ssa), check=False)
    assert diff.returncode == 1 and "-  owner: routine" in diff.stdout and "+  owner: changed" in diff.stdout
    assert k.out("replace", "-f", str(ssa)).strip() == "configmap/ssa replaced"
    assert k.out("get", "configmap", "ssa", "-n", NS, "-o", "jsonpath={.data.owner}") == "changed"

    # -- auth: who am I, what may I, what may a service account --------------------------------------------
    whoami = k.out("auth", "whoami")
    assert "kubernetes-admin" in whoami and "system:masters" in whoami, whoami
    assert k.out("auth", "can-i", "create", "jobs", "-n", NS).strip() == "yes"
    robot = ("--as", f"system:serviceaccount:{NS}:default")
    no = k("auth", "can-i", "delete", "pods", "-n", NS, *robot, check=False)
    assert (no.returncode, no.stdout.strip()) == (1, "no")

    # -- the delete variants -----------------------------------------------------------------------------
    assert k.out("delete", "configmap", "cfg", "-n", NS).strip() == 'configmap "cfg" deleted'
    out = k.out("delete", "-k", str(kdir))
    assert re.fullmatch(r'configmap "kcfg-[a-z0-9]{10}" deleted\njob.batch "report" deleted\n', out), out
    assert k.out("delete", "configmaps", "-n", NS, "-l", "set=routine").strip() == 'configmap "keep" deleted'
    forced = k("delete", "pod", "web", "-n", NS, "--grace-period=0", "--force")
    assert forced.stdout.strip() == 'pod "web" force deleted' and "Immediate deletion" in forced.stderr
    assert k.out("delete", "namespace", NS, "--timeout=90s").strip() == f'namespace "{NS}" deleted'
    assert "NotFound" in k("get", "namespace", NS, check=False).stderr

    assert k.count >= 35, k.count
