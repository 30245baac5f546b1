"""Real ``kubectl`` against an instance, and small readers of the objects tests look at."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

Obj = dict[str, Any]


class _Instance(Protocol):
    home: Path

    def run(
        self, *args: str, check: bool = ..., timeout: float = ...
    ) -> subprocess.CompletedProcess[str]: ...

    def server_log(self) -> str: ...


def server_running(home: Path) -> bool:
    """Whether the server of the state directory ``home`` runs (its ``server.json`` names a live process)."""
    try:
        os.kill(int(json.loads((home / "server.json").read_text())["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return False
    return True


def kubeconfig(minik: _Instance) -> str:
    """The instance's kubeconfig path: ``minik kubeconfig`` (which starts the server if need be).

    While the server runs, its file is read directly (what the command would
    print) to spare a CLI start per kubectl call.
    """
    path = minik.home / "kubeconfig"
    if path.exists() and server_running(minik.home):
        return str(path)
    return minik.run("kubeconfig").stdout.strip()


def run_command(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    input: str | None = None,
    check: bool = True,
    timeout: float = 180,
    cwd: Path | None = None,
    context: Callable[[], str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (text in, text out); with ``check`` a non-zero exit fails the test with its output."""
    res = subprocess.run(
        argv, env=env, capture_output=True, text=True, input=input, timeout=timeout, cwd=cwd, check=False
    )
    if check and res.returncode != 0:
        more = f"\n{context()}" if context is not None else ""
        raise AssertionError(
            f"{Path(argv[0]).name} {' '.join(argv[1:])} exited {res.returncode}\n"
            f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}{more}"
        )
    return res


def kubectl(
    minik: _Instance, *args: str, input: str | None = None, check: bool = True, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """The ``kubectl`` on PATH with the instance's kubeconfig; fails with its output and the server log's tail."""
    return run_command(
        ["kubectl", "--kubeconfig", kubeconfig(minik), *args],
        input=input,
        check=check,
        timeout=timeout,
        context=lambda: f"server log:\n{minik.server_log()[-3000:]}",
    )


def container_status(pod: Obj, name: str) -> Obj | None:
    """The (init or app) container status called ``name`` in ``pod``'s status."""
    status = pod.get("status") or {}
    for s in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        if s.get("name") == name:
            return dict(s)
    return None


def condition(obj: Obj, type_: str) -> Obj | None:
    """The condition of ``type_`` in ``obj``'s status (a pod's or a Job's)."""
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return dict(c)
    return None


def pod_yaml(name: str, body: str, **meta: str) -> str:
    """A bare Pod manifest: ``body`` is the indented text under ``spec:``."""
    extra = "".join(f"  {k}: {v}\n" for k, v in meta.items())
    return f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n{extra}spec:\n{body}"


def job_yaml(
    name: str,
    command: str | list[str] = "true",
    *,
    completions: int = 1,
    parallelism: int | None = None,
    indexed: bool = False,
    backoff_limit: int | None = None,
    labels: dict[str, str] | None = None,
    image: str = "busybox:latest",
    container: str = "c",
    grace: int | None = None,
    generate_name: bool = False,
) -> str:
    """A Job of one container ``c`` (``sh -c COMMAND`` for a string, the argv for a list), never restarted.

    ``labels`` go on the Job and on its pods; ``container`` names the
    container, ``grace`` is the pods' ``terminationGracePeriodSeconds`` (unset:
    upstream's 30 s); with ``generate_name`` the server names the Job
    (``metadata.generateName: NAME``; ``minik create``, not ``apply``).
    """
    argv = (["true"] if command == "true" else ["sh", "-c", command]) if isinstance(command, str) else command
    spec: Obj = {"completions": completions}
    if parallelism is not None:
        spec["parallelism"] = parallelism
    if indexed:
        spec["completionMode"] = "Indexed"
    if backoff_limit is not None:
        spec["backoffLimit"] = backoff_limit
    pod: Obj = {"restartPolicy": "Never"}
    if grace is not None:
        pod["terminationGracePeriodSeconds"] = grace
    pod["containers"] = [
        {"name": container, "image": image, "imagePullPolicy": "IfNotPresent", "command": argv}
    ]
    spec["template"] = {"metadata": {"labels": dict(labels)}, "spec": pod} if labels else {"spec": pod}
    metadata: Obj = {
        "generateName" if generate_name else "name": name,
        **({"labels": dict(labels)} if labels else {}),
    }
    return (
        json.dumps({"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec}, indent=1)
        + "\n"
    )


BUSYBOX = "image: busybox:latest\n    imagePullPolicy: IfNotPresent"


def busybox_spec(command: str, *, grace: int | None = 1, more: str = "", restart: str = "Never") -> str:
    """A pod spec body for :func:`pod_yaml`: never restarted, one busybox container ``c`` running ``command``.

    ``command`` is YAML (``["sleep", "30"]``); ``more`` is YAML text that
    follows the ``command:`` line (more of ``c``'s fields at four spaces, more
    containers at two); ``grace`` is ``terminationGracePeriodSeconds`` (None: unset);
    ``restart`` the pod's restartPolicy.
    """
    grace_line = f"  terminationGracePeriodSeconds: {grace}\n" if grace is not None else ""
    return (
        f"  restartPolicy: {restart}\n{grace_line}  containers:\n  - name: c\n    {BUSYBOX}\n"
        f"    command: {command}\n{more}"
    )


def empty_dir_spec(
    command: str,
    *,
    mount: str,
    volume: str = "scratch",
    empty_dir: str = "{}",
    restart: str = "Never",
    grace: int | None = 1,
) -> str:
    """A pod spec body for :func:`pod_yaml`: one busybox container ``c`` running ``command`` (YAML)
    with the emptyDir ``volume`` (its YAML ``empty_dir``: ``{sizeLimit: 1Mi}``, …) mounted at ``mount``."""
    grace_line = f"  terminationGracePeriodSeconds: {grace}\n" if grace is not None else ""
    return (
        f"  restartPolicy: {restart}\n{grace_line}  volumes:\n  - name: {volume}\n    emptyDir: {empty_dir}\n"
        f"  containers:\n  - name: c\n    {BUSYBOX}\n    command: {command}\n"
        f"    volumeMounts: [{{name: {volume}, mountPath: {mount}}}]\n"
    )


# An age as kubectl prints it (``5s``, ``3m2s``, ``2d``): pages are compared with ages masked.
AGE = re.compile(r"\b\d+(?:s|m|h|d|y)(?:\d+(?:s|m|h|d))?\b")

# A one-container Job (``main``, ``sh -c COMMAND``, no retries): JOB.format(name=…, command=…).
JOB = """\
apiVersion: batch/v1
kind: Job
metadata: {{name: {name}}}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:latest
        command: [sh, -c, {command!r}]
"""

INDEXED_JOB = """apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
  labels: {{team: a}}
spec:
  completions: {completions}
  parallelism: 2
  completionMode: Indexed
  template:
    spec:
      restartPolicy: {restart}
      containers:
      - name: c
        image: busybox:latest
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", {command}]
"""


def indexed_job(
    name: str,
    command: str = '"echo line1; echo line2; echo index $JOB_COMPLETION_INDEX"',
    *,
    completions: int = 2,
    restart: str = "Never",
) -> str:
    """An Indexed Job labelled team=a, two at a time, whose container ``c`` runs ``sh -c COMMAND`` (YAML)."""
    return INDEXED_JOB.format(name=name, command=command, completions=completions, restart=restart)
