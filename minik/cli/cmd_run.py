"""``minik run -f FILE``: apply, follow every pod's logs live, wait for the file's Jobs, exit with their outcome.

Anchors: ``docker compose up --exit-code-from`` and ``kubectl run --rm``.

Requests: what ``minik apply`` sends for each object (ConfigMaps, Secrets,
Services, Pods, Jobs, …); for each CronJob the Job that ``minik create job
--from=cronjob/NAME`` posts (its template runs once, now); then per
namespace ``GET .../pods?watch=true&timeoutSeconds=1`` in a loop, each
started container's ``GET .../pods/<pod>/log?follow=true&container=<c>`` on
its own connection (printed ``[pod/<pod>/<container>] line``), and ``GET``
of each Job until every Job (and every bare Pod that can end) has finished.
``--rm``: ``DELETE`` of everything applied or created, Jobs in the
foreground (their pods first), waiting until gone — also after Ctrl-C.

Exit codes: 0 every Job Complete; 1 a Job Failed (its condition's reason
and message and the failed pods' exit codes on stderr); 124 ``--timeout``
came first; 130 interrupted. Pure parts: :mod:`minik.cli.run_report`.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from minik.cli import cmd_apply, printers, run_report
from minik.cli.cmd_create_job import job_from_cronjob
from minik.cli.cmd_logs import Output, started
from minik.cli.common import Ctx, add_namespace
from minik.cli.kinds import CRONJOBS, JOBS, PODS
from minik.errors import MinikError, NotFound, UsageError
from minik.gotime import parse_flag_seconds
from minik.k8s import Obj, meta
from minik.resources import Resource, random_suffix

CONTROLLER_UID = "batch.kubernetes.io/controller-uid"
LOG_DRAIN = 10.0
"""How long log streams may run on after every Job has finished (a stream of an ended container closes at once)."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="apply a file, follow its pods' logs, wait for its Jobs and exit with their outcome",
        description=(
            "Apply FILE (a CronJob runs its template once), print every pod's logs as "
            "[pod/NAME/container] lines, wait for the Jobs and exit 0 (all Complete), "
            "1 (a Job Failed) or 124 (--timeout)."
        ),
    )
    p.add_argument("-f", "--filename", action="append", required=True, help="file, directory or - for stdin")
    p.add_argument("-R", "--recursive", action="store_true")
    p.add_argument(
        "--timeout", default="0", help="give up after this long, exit 124 (e.g. 90s, 5m; 0: never)"
    )
    p.add_argument("--rm", action="store_true", help="delete what was applied afterwards (also on Ctrl-C)")
    p.add_argument(
        "--junit", metavar="PATH", default=None, help="write a JUnit XML report: one testcase per Job"
    )
    add_namespace(p)
    p.set_defaults(func=run)


@dataclass(frozen=True)
class Ref:
    resource: Resource
    namespace: str
    name: str


@dataclass
class Watched:
    """What the run waits for and follows: its Jobs (by uid) and its bare Pods."""

    jobs: dict[str, Ref] = field(default_factory=dict)  # uid → Job
    pods: list[Ref] = field(default_factory=list)  # bare pods that can end (restartPolicy Never/OnFailure)
    bare: set[tuple[str, str]] = field(default_factory=set)  # every bare pod followed, (namespace, name)

    @property
    def namespaces(self) -> list[str]:
        return sorted({r.namespace for r in [*self.jobs.values(), *self.pods]} | {ns for ns, _ in self.bare})


def _timeout(text: str) -> float | None:
    try:
        seconds = parse_flag_seconds(text)
    except ValueError:
        raise UsageError(f"invalid --timeout {text!r} (e.g. 90s, 5m)") from None
    return seconds if seconds > 0 else None


def run(ctx: Ctx, args: argparse.Namespace) -> int:
    timeout = _timeout(args.timeout)
    checked = cmd_apply.validate_files(ctx, args.filename, recursive=args.recursive)
    kinds = {str(o.get("kind")) for o in checked.originals}
    if not kinds & {"Job", "CronJob", "Pod"}:
        raise UsageError("nothing to run: the files have no Job, CronJob or Pod")
    runner = Runner(ctx, timeout=timeout)
    old_sigterm = _sigterm_as_interrupt()
    try:
        runner.apply(args.filename, checked, recursive=args.recursive)
        code = runner.wait()
        if args.junit:
            runner.write_junit(args.junit, " ".join(args.filename))
        return code
    except KeyboardInterrupt:
        ctx.eprint("minik run: interrupted" + ("; deleting what it applied" if args.rm else ""))
        raise
    finally:
        if args.rm:
            with _no_interrupts():
                runner.remove()
        _restore_sigterm(old_sigterm)


class Runner:
    def __init__(self, ctx: Ctx, *, timeout: float | None) -> None:
        self.ctx = ctx
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout if timeout else None
        self.applied: list[Ref] = []
        self.watched = Watched()
        self.out = Output(ctx)
        self.followed: set[tuple[str, str, str]] = set()  # (namespace, pod, container)
        self.threads: list[threading.Thread] = []
        self.logs: dict[str, list[str]] = {}  # "job.batch/NAME" or "pod/NAME" → prefixed lines
        self.lock = threading.Lock()
        self.outcomes: list[run_report.Outcome] = []

    # -- apply ----------------------------------------------------------------------------
    def apply(self, filenames: list[str], checked: cmd_apply.Validated, *, recursive: bool) -> None:
        ctx = self.ctx
        for resource, obj, verb in cmd_apply.apply_files(
            ctx, filenames, recursive=recursive, checked=checked
        ):
            m = meta(obj)
            ref = Ref(resource, m.get("namespace") or ctx.namespace, m.get("name", ""))
            self.applied.append(ref)
            ctx.eprint(f"{printers.name_line(resource, obj)} {verb}")
            if resource is JOBS:
                self.watched.jobs[m.get("uid", "")] = ref
            elif resource is CRONJOBS:
                name = f"{ref.name[:46]}-run-{random_suffix()}"
                job = ctx.client.request(
                    "POST", JOBS.path(ref.namespace), body=job_from_cronjob(name, obj)
                ).body
                job_ref = Ref(JOBS, ref.namespace, meta(job).get("name", name))
                self.applied.append(job_ref)
                self.watched.jobs[meta(job).get("uid", "")] = job_ref
                ctx.eprint(f"job.batch/{job_ref.name} created (from cronjob/{ref.name})")
            elif resource is PODS:
                self.watched.bare.add((ref.namespace, ref.name))
                if ((obj.get("spec") or {}).get("restartPolicy") or "Always") != "Always":
                    self.watched.pods.append(ref)

    # -- follow and wait ------------------------------------------------------------------
    def wait(self) -> int:
        """Follow logs until every Job and endable Pod has finished (or the deadline); the exit code."""
        rvs: dict[str, str] = {}
        timed_out = False
        while True:
            for ns in self.watched.namespaces:
                rvs[ns] = self._watch_pods(ns, rvs.get(ns, ""))
            if self._finished():
                break
            if self.deadline is not None and time.monotonic() >= self.deadline:
                timed_out = True
                break
        for ns in self.watched.namespaces:  # pods that started just before the end
            for pod in self.ctx.client.get(PODS.path(ns)).get("items") or []:
                self._consider(pod)
        drain = time.monotonic() + LOG_DRAIN
        for t in self.threads:
            t.join(timeout=max(0.0, drain - time.monotonic()) if not timed_out else 0.5)
        self.outcomes = self._outcomes()
        for line in run_report.summary_lines(self.outcomes, timeout=self.timeout):
            self.ctx.eprint(line)
        return run_report.exit_code(self.outcomes, timed_out=timed_out)

    def _watch_pods(self, ns: str, rv: str) -> str:
        if not rv:
            body = self.ctx.client.get(PODS.path(ns))
            for pod in body.get("items") or []:
                self._consider(pod)
            return str((body.get("metadata") or {}).get("resourceVersion") or "")
        try:
            for event in self.ctx.client.watch(PODS.path(ns), {"resourceVersion": rv, "timeoutSeconds": 1}):
                obj = event.get("object") or {}
                rv = str(meta(obj).get("resourceVersion") or rv)
                if event.get("type") in ("ADDED", "MODIFIED"):
                    self._consider(obj)
        except MinikError as exc:
            if getattr(exc, "reason", None) != "Expired":
                raise
            return ""  # too old: list again
        return rv

    def _owner(self, pod: Obj) -> str | None:
        """``job.batch/NAME`` or ``pod/NAME`` when the pod is one this run follows."""
        m = meta(pod)
        job = self.watched.jobs.get((m.get("labels") or {}).get(CONTROLLER_UID, ""))
        if job is not None:
            return f"job.batch/{job.name}"
        if (m.get("namespace", ""), m.get("name", "")) in self.watched.bare:
            return f"pod/{m.get('name')}"
        return None

    def _consider(self, pod: Obj) -> None:
        owner = self._owner(pod)
        if owner is None:
            return
        m, spec = meta(pod), pod.get("spec") or {}
        containers = [
            c.get("name", "") for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
        ]
        for c in containers:
            key = (m.get("namespace", ""), m.get("name", ""), c)
            if key not in self.followed and started(pod, c):
                self.followed.add(key)
                self.threads.append(self._follow(owner, *key))

    def _follow(self, owner: str, ns: str, pod: str, container: str) -> threading.Thread:
        prefix = f"[pod/{pod}/{container}] "
        chunks = self.ctx.client.stream(PODS.path(ns, pod, "log"), {"follow": True, "container": container})

        def tee() -> Any:
            buf = b""
            for chunk in chunks:
                buf += chunk
                head, sep, buf = buf.rpartition(b"\n")
                if sep:
                    text = head.decode("utf-8", "replace").split("\n")
                    with self.lock:
                        self.logs.setdefault(owner, []).extend(prefix + line for line in text)
                yield chunk
            if buf:
                with self.lock:
                    self.logs.setdefault(owner, []).append(prefix + buf.decode("utf-8", "replace"))

        def work() -> None:
            with contextlib.suppress(MinikError):  # a pod deleted mid-stream: its logs end there
                self.out.copy(tee(), prefix)

        t = threading.Thread(target=work, name=f"run-logs-{pod}-{container}", daemon=True)
        t.start()
        return t

    def _finished(self) -> bool:
        client = self.ctx.client
        for ref in self.watched.jobs.values():
            try:
                job = client.get(JOBS.path(ref.namespace, ref.name))
            except NotFound:
                continue  # deleted under us (ttlSecondsAfterFinished: 0, or by hand): nothing left to wait for
            if run_report.job_outcome(job, [], self.ctx.clock()).state == run_report.RUNNING:
                return False
        for ref in self.watched.pods:
            try:
                if not run_report.pod_done(client.get(PODS.path(ref.namespace, ref.name))):
                    return False
            except NotFound:
                continue
        return True

    def _outcomes(self) -> list[run_report.Outcome]:
        client, now = self.ctx.client, self.ctx.clock()
        out = []
        for ref in self.watched.jobs.values():
            try:
                job = client.get(JOBS.path(ref.namespace, ref.name))
            except NotFound:
                out.append(run_report.vanished("job.batch", ref.namespace, ref.name))
                continue
            selector = f"{CONTROLLER_UID}={meta(job).get('uid', '')}"
            pods = client.get(PODS.path(ref.namespace), {"labelSelector": selector}).get("items") or []
            out.append(run_report.job_outcome(job, pods, now))
        for ref in self.watched.pods:
            try:
                out.append(run_report.pod_outcome(client.get(PODS.path(ref.namespace, ref.name)), now))
            except NotFound:
                out.append(run_report.vanished("pod", ref.namespace, ref.name))
        return out

    # -- after ------------------------------------------------------------------------------
    def write_junit(self, path: str, suite: str) -> None:
        with self.lock:
            logs = {owner: "\n".join(lines) + "\n" for owner, lines in self.logs.items()}
        data = run_report.junit_xml(f"minik run {suite}", self.outcomes, logs, timeout=self.timeout)
        try:
            with open(path, "wb") as f:
                f.write(data)
        except OSError as exc:
            raise MinikError(f"cannot write the JUnit report {path}: {exc.strerror or exc}") from None

    def remove(self) -> None:
        """Delete what this run applied or created, newest first; Jobs in the foreground; wait until gone."""
        client = self.ctx.client
        for ref in reversed(self.applied):
            policy = "Foreground" if ref.resource is JOBS else "Background"
            options = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": policy}
            path = ref.resource.path(ref.namespace if ref.resource.namespaced else None, ref.name)
            try:
                obj = client.request("DELETE", path, body=options).body
            except NotFound:
                continue
            self.ctx.eprint(f'{ref.resource.display} "{ref.name}" deleted')
            cmd_apply.wait_gone(
                self.ctx, ref.resource, ref.namespace, ref.name, obj if isinstance(obj, dict) else {}
            )


def _sigterm_as_interrupt() -> Any:
    """SIGTERM (a CI runner cancelling the step) cleans up as Ctrl-C does; and Ctrl-C does even
    when this process was started with SIGINT ignored (a test runner's or CI agent's child, a
    shell's background job: Python then installs no KeyboardInterrupt handler)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt), signal.signal(signal.SIGINT, signal.default_int_handler)


def _restore_sigterm(old: Any) -> None:
    if old is not None:
        signal.signal(signal.SIGTERM, old[0])
        signal.signal(signal.SIGINT, old[1])


@contextlib.contextmanager
def _no_interrupts() -> Any:
    """The clean-up runs to its end: a second Ctrl-C (or SIGTERM) while deleting is ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN), signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old[0])
        signal.signal(signal.SIGTERM, old[1])
