"""``minik logs``: container logs of a pod, of every pod of a Job, or of pods by label (R12).

Requests: ``GET /api/v1/namespaces/<ns>/pods/<pod>`` (or ``GET
/apis/batch/v1/namespaces/<ns>/jobs/<job>`` then ``GET .../pods?labelSelector=<job
selector>``), then per container ``GET .../pods/<pod>/log?container=<c>
[&follow=true][&tailLines=N][&timestamps=true][&previous=true][&sinceSeconds=N]``
streamed. ``-f`` on a Job also watches ``GET .../pods?watch=true&labelSelector=…``
and follows each new pod once its container has started; it ends when the Job
is finished and every stream has ended.

Unlike kubectl (which picks one pod), a Job shows every pod's logs, in
completion-index order then creation order, prefixed ``[pod/<pod>/<container>] ``
when there is more than one pod. ``-l SELECTOR`` prints bare lines as kubectl
does (``--prefix`` adds the prefix).
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minik.cli.common import Ctx, add_namespace
from minik.cli.kinds import CRONJOBS, JOBS, PODS, lookup
from minik.cli.printers import format_label_selector
from minik.errors import ApiError, MinikError, UsageError
from minik.gotime import parse_flag_seconds
from minik.k8s import Obj, meta, parse_time
from minik.resources import COMPLETION_INDEX_KEY, DEFAULT_CONTAINER_KEY

INDEX_LABEL = COMPLETION_INDEX_KEY
DEFAULT_CONTAINER = DEFAULT_CONTAINER_KEY


def register(sub: Any) -> None:
    p = sub.add_parser("logs", help="print container logs of a pod, a job (every pod) or pods by label")
    p.add_argument("target", nargs="?", metavar="POD|TYPE/NAME")
    p.add_argument("container_arg", nargs="?", metavar="CONTAINER")
    p.add_argument("-c", "--container", default=None)
    p.add_argument("-l", "--selector", default=None)
    p.add_argument("--all-containers", action="store_true")
    p.add_argument("-f", "--follow", action="store_true")
    p.add_argument("--tail", type=int, default=-1)
    p.add_argument("--timestamps", action="store_true")
    p.add_argument("-p", "--previous", action="store_true")
    p.add_argument("--since", default=None, help="only logs newer than a duration like 5s, 2m, 3h")
    p.add_argument("--prefix", action="store_true", help="prefix each line with [pod/<pod>/<container>]")
    p.add_argument("--max-log-requests", type=int, default=0, help="accepted for kubectl compatibility")
    add_namespace(p)
    p.set_defaults(func=run)


@dataclass(frozen=True)
class Stream:
    pod: str
    container: str


def pod_order_key(pod: Obj) -> tuple[int, str, str]:
    m = meta(pod)
    raw = (m.get("labels") or {}).get(INDEX_LABEL) or (m.get("annotations") or {}).get(INDEX_LABEL)
    try:
        index = int(raw) if raw is not None else 1 << 30
    except ValueError:
        index = 1 << 30
    created = parse_time(m.get("creationTimestamp"))
    return index, created.isoformat() if created else "", m.get("name", "")


def choose_containers(pod: Obj, container: str | None, all_containers: bool) -> tuple[list[str], str | None]:
    """(containers to show, the ``Defaulted container`` notice or None) per R12.1/R12.3."""
    spec = pod.get("spec") or {}
    regular = [c.get("name", "") for c in spec.get("containers") or []]
    inits = [c.get("name", "") for c in spec.get("initContainers") or []]
    ephemeral = [c.get("name", "") for c in spec.get("ephemeralContainers") or []]
    name = meta(pod).get("name", "")
    if all_containers:
        return [*inits, *regular, *ephemeral], None
    if container:
        if container not in (*regular, *inits, *ephemeral):
            raise MinikError(f"container {container} is not valid for pod {name}")
        return [container], None
    default = (meta(pod).get("annotations") or {}).get(DEFAULT_CONTAINER)
    chosen = str(default) if default in regular else (regular[0] if regular else "")
    notice = None
    if len(regular) > 1 or inits or ephemeral:
        names = [*regular, *(f"{c} (ephem)" for c in ephemeral), *(f"{c} (init)" for c in inits)]
        notice = f'Defaulted container "{chosen}" out of: {", ".join(names)}'
    return [chosen], notice


def started(pod: Obj, container: str) -> bool:
    status = pod.get("status") or {}
    for cs in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
        if cs.get("name") == container:
            state = cs.get("state") or {}
            return "running" in state or "terminated" in state or "terminated" in (cs.get("lastState") or {})
    return False


class Output:
    """Writes whole lines, optionally prefixed, from several streams without interleaving a line."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.lock = threading.Lock()

    def copy(self, chunks: Any, prefix: str) -> None:
        out = self.ctx.out
        if not prefix:
            for chunk in chunks:
                with self.lock:
                    out.write(chunk.decode("utf-8", "replace"))
                    out.flush()
            return
        buf = b""
        for chunk in chunks:
            buf += chunk
            if b"\n" not in buf:
                continue
            head, _, buf = buf.rpartition(b"\n")
            text = "".join(prefix + line + "\n" for line in head.decode("utf-8", "replace").split("\n"))
            with self.lock:
                out.write(text)
                out.flush()
        if buf:
            with self.lock:
                out.write(prefix + buf.decode("utf-8", "replace"))
                out.flush()


class Logs:
    def __init__(self, ctx: Ctx, args: argparse.Namespace) -> None:
        self.ctx = ctx
        self.args = args
        self.out = Output(ctx)
        self.query: dict[str, str | int | bool | None] = {
            "follow": args.follow,
            "timestamps": args.timestamps,
            "previous": args.previous,
        }
        if args.tail is not None and args.tail >= 0:
            self.query["tailLines"] = args.tail
        elif args.selector and not args.target:
            self.query["tailLines"] = 10  # R12.6
        if args.since:
            try:
                self.query["sinceSeconds"] = max(1, int(parse_flag_seconds(args.since)))
            except ValueError:
                raise UsageError(f"invalid --since {args.since!r} (e.g. 5s, 2m, 3h)") from None

    def chunks(self, stream: Stream) -> Any:
        path = PODS.path(self.ctx.namespace, stream.pod, "log")
        return self.ctx.client.stream(path, {**self.query, "container": stream.container})

    def streams_of(self, pod: Obj, *, notice: bool) -> list[Stream]:
        container = self.args.container or self.args.container_arg
        names, msg = choose_containers(pod, container, self.args.all_containers)
        if msg and notice:
            self.ctx.eprint(msg)
        return [Stream(meta(pod).get("name", ""), c) for c in names]

    def prefix(self, s: Stream, many: bool) -> str:
        return f"[pod/{s.pod}/{s.container}] " if (many or self.args.prefix) else ""

    # -- one after another ---------------------------------------------------------------
    def sequential(self, streams: list[Stream], many: bool, *, tolerate: bool) -> None:
        for s in streams:
            try:
                self.out.copy(self.chunks(s), self.prefix(s, many))
            except ApiError as exc:
                if not tolerate:
                    raise
                from minik.cli.common import render_error

                self.ctx.eprint(render_error(exc))

    # -- in parallel -----------------------------------------------------------------------
    def parallel(self, streams: list[Stream], many: bool) -> None:
        errors: list[BaseException] = []
        threads = [self.spawn(s, many, errors) for s in streams]
        for t in threads:
            t.join()
        if errors and isinstance(errors[0], MinikError):
            raise errors[0]

    def spawn(self, s: Stream, many: bool, errors: list[BaseException]) -> threading.Thread:
        def work() -> None:
            try:
                self.out.copy(self.chunks(s), self.prefix(s, many))
            except MinikError as exc:
                errors.append(exc)

        t = threading.Thread(target=work, name=f"logs-{s.pod}-{s.container}", daemon=True)
        t.start()
        return t


def run(ctx: Ctx, args: argparse.Namespace) -> int:
    logs = Logs(ctx, args)
    if args.tail < -1:
        raise UsageError("--tail must be greater than or equal to -1")
    if args.target is None:
        if not args.selector:
            raise UsageError("expected POD, TYPE/NAME or -l SELECTOR")
        body = ctx.client.get(PODS.path(ctx.namespace), {"labelSelector": args.selector})
        pods = sorted(body.get("items") or [], key=pod_order_key)
        if not pods:
            ctx.eprint(f"No resources found in {ctx.namespace} namespace.")
            return 0
        return _pods(logs, pods, many=False)  # as kubectl: bare lines unless --prefix
    kind, sep, name = args.target.partition("/")
    resource = lookup(kind) if sep else PODS
    name = name if sep else args.target
    if resource is PODS:
        pod = ctx.client.get(PODS.path(ctx.namespace, name))
        streams = logs.streams_of(pod, notice=True)
        if args.follow and len(streams) > 1:
            logs.parallel(streams, many=False)
        else:
            logs.sequential(streams, many=False, tolerate=False)
        return 0
    if resource is CRONJOBS:
        return _job(logs, latest_job(ctx, name))
    if resource is not JOBS:
        raise UsageError(
            f"cannot get logs of {resource.plural}; use a pod, job/NAME, cronjob/NAME or -l SELECTOR"
        )
    job = ctx.client.get(JOBS.path(ctx.namespace, name))
    return _job(logs, job)


def latest_job(ctx: Ctx, name: str) -> Obj:
    """The CronJob's most recently created Job (its controller ownerReference names the CronJob)."""
    uid = meta(ctx.client.get(CRONJOBS.path(ctx.namespace, name))).get("uid")
    items = ctx.client.get(JOBS.path(ctx.namespace)).get("items") or []
    owned = [
        j
        for j in items
        if any(r.get("controller") and r.get("uid") == uid for r in meta(j).get("ownerReferences") or [])
    ]
    if not owned:
        raise MinikError(f"no jobs found for cronjob {name} yet")
    return max(owned, key=lambda j: (str(meta(j).get("creationTimestamp") or ""), str(meta(j).get("name"))))


def _pods(logs: Logs, pods: list[Obj], *, many: bool) -> int:
    streams = [s for p in pods for s in logs.streams_of(p, notice=False)]
    if logs.args.follow:
        logs.parallel(streams, many=many)
    else:
        logs.sequential(streams, many=many, tolerate=len(streams) > 1)
    return 0


def _finished(job: Obj) -> bool:
    return any(
        c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
        for c in (job.get("status") or {}).get("conditions") or []
    )


def _job(logs: Logs, job: Obj) -> int:
    ctx = logs.ctx
    selector = format_label_selector((job.get("spec") or {}).get("selector"))
    if selector == "<none>":
        raise MinikError(f"job {meta(job).get('name')} has no selector")
    body = ctx.client.get(PODS.path(ctx.namespace), {"labelSelector": selector})
    pods = sorted(body.get("items") or [], key=pod_order_key)
    parallelism = int((job.get("spec") or {}).get("parallelism") or 1)
    completions = (job.get("spec") or {}).get("completions")
    many = len(pods) > 1 or parallelism > 1 or (completions is not None and int(completions) > 1)
    if not logs.args.follow:
        if not pods:
            raise MinikError(f"no pods found for job {meta(job).get('name')} yet")
        return _pods(logs, pods, many=many)
    _follow_job(
        logs,
        job,
        selector,
        pods=pods,
        many=many,
        rv=str((body.get("metadata") or {}).get("resourceVersion") or ""),
    )
    return 0


def _follow_job(logs: Logs, job: Obj, selector: str, *, pods: list[Obj], many: bool, rv: str) -> None:
    """Follow every pod of the Job, including pods created while following (R12 minik extension)."""
    ctx = logs.ctx
    followed: set[Stream] = set()
    threads: list[threading.Thread] = []
    errors: list[BaseException] = []

    def consider(pod: Obj) -> None:
        for s in logs.streams_of(pod, notice=False):
            if s not in followed and started(pod, s.container):
                followed.add(s)
                threads.append(logs.spawn(s, many, errors))

    for pod in pods:
        consider(pod)
    name = meta(job).get("name", "")
    done: Callable[[], bool] = lambda: _finished(ctx.client.get(JOBS.path(ctx.namespace, name)))  # noqa: E731
    while True:
        query = {"labelSelector": selector, "resourceVersion": rv or None, "timeoutSeconds": 2}
        for event in ctx.client.watch(PODS.path(ctx.namespace), query):
            obj = event.get("object") or {}
            rv = str(meta(obj).get("resourceVersion") or rv)
            if event.get("type") in ("ADDED", "MODIFIED"):
                consider(obj)
        if done() and all(not t.is_alive() for t in threads):
            # One last look for pods that started just before the Job finished.
            body = ctx.client.get(PODS.path(ctx.namespace), {"labelSelector": selector})
            before = len(threads)
            for pod in sorted(body.get("items") or [], key=pod_order_key):
                consider(pod)
            if len(threads) == before:
                break
    for t in threads:
        t.join()
