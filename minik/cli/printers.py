"""``get`` output as pure functions: kubectl's table columns (R10), names, JSON, YAML.

Every function takes the objects and ``now`` and returns text; nothing here
does I/O or reads the clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from minik.cli.durations import between, human_duration, since
from minik.cli.resources import Resource
from minik.cli.tabwriter import table
from minik.k8s import Obj, meta, parse_time


def _cond_true(obj: Obj, type_: str) -> bool:
    return any(
        c.get("type") == type_ and c.get("status") == "True"
        for c in (obj.get("status") or {}).get("conditions") or []
    )


def job_status(job: Obj) -> str:
    """The STATUS column (R10.2)."""
    if _cond_true(job, "Complete"):
        return "Complete"
    if _cond_true(job, "Failed"):
        return "Failed"
    if meta(job).get("deletionTimestamp"):
        return "Terminating"
    if _cond_true(job, "Suspended"):
        return "Suspended"
    if _cond_true(job, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def job_completions(job: Obj) -> str:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    succeeded = int(status.get("succeeded") or 0)
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    parallelism = spec.get("parallelism")
    if parallelism is not None and int(parallelism) > 1:
        return f"{succeeded}/1 of {parallelism}"
    return f"{succeeded}/1"


def job_duration(job: Obj, now: datetime) -> str:
    status = job.get("status") or {}
    start = parse_time(status.get("startTime"))
    if start is None:
        return ""
    if status.get("completionTime"):
        return between(status.get("startTime"), status.get("completionTime"))
    return human_duration(now - start)


def format_label_selector(selector: Obj | None) -> str:
    """``metav1.FormatLabelSelector``: ``a=b,c in (d,e)``; ``<none>`` for an empty one."""
    if not selector:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for e in selector.get("matchExpressions") or []:
        op, key, values = e.get("operator"), e.get("key"), sorted(e.get("values") or [])
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) if parts else "<none>"


def _job_cells(job: Obj, now: datetime, wide: bool) -> list[str]:
    cells = [
        meta(job).get("name", ""),
        job_status(job),
        job_completions(job),
        job_duration(job, now),
        since(meta(job).get("creationTimestamp"), now),
    ]
    if wide:
        pod = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
        containers = pod.get("containers") or []
        cells += [
            ",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers),
            format_label_selector((job.get("spec") or {}).get("selector")),
        ]
    return cells


def _restartable(c: Obj | None) -> bool:
    return bool(c) and (c or {}).get("restartPolicy") == "Always"


def pod_columns(pod: Obj, now: datetime) -> tuple[str, str, str]:
    """(READY, STATUS, RESTARTS) as kubectl's printPod computes them (R10.3)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    inits = {c.get("name"): c for c in spec.get("initContainers") or []}
    total = len(spec.get("containers") or []) + sum(1 for c in inits.values() if _restartable(c))
    ready = 0
    restarts = 0
    sidecar_restarts = 0
    last_restart: datetime | None = None
    sidecar_last: datetime | None = None
    reason = status.get("reason") or status.get("phase") or ""

    def later(a: datetime | None, b: str | None) -> datetime | None:
        t = parse_time(b)
        return t if t is not None and (a is None or a < t) else a

    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for i, cs in enumerate(init_statuses):
        restarts += int(cs.get("restartCount") or 0)
        last_term = (cs.get("lastState") or {}).get("terminated")
        if last_term:
            last_restart = later(last_restart, last_term.get("finishedAt"))
        c = inits.get(cs.get("name"))
        if _restartable(c):
            sidecar_restarts += int(cs.get("restartCount") or 0)
            if last_term:
                sidecar_last = later(sidecar_last, last_term.get("finishedAt"))
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term and int(term.get("exitCode") or 0) == 0:
            continue
        if _restartable(c) and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if term:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{term.get('exitCode', 0)}"
        elif waiting and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
        initializing = True
        break

    initialized = any(
        c.get("type") == "Initialized" and c.get("status") == "True" for c in status.get("conditions") or []
    )
    if not initializing or initialized:
        restarts, last_restart = sidecar_restarts, sidecar_last
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount") or 0)
            last_term = (cs.get("lastState") or {}).get("terminated")
            if last_term:
                last_restart = later(last_restart, last_term.get("finishedAt"))
            state = cs.get("state") or {}
            waiting, term = state.get("waiting") or {}, state.get("terminated")
            if waiting.get("reason"):
                reason = waiting["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = (
                    f"Signal:{term['signal']}"
                    if term.get("signal")
                    else f"ExitCode:{term.get('exitCode', 0)}"
                )
            elif cs.get("ready") and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            ready_cond = any(c.get("type") == "Ready" for c in status.get("conditions") or [])
            reason = "Running" if ready_cond else "NotReady"

    if meta(pod).get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta(pod).get("deletionTimestamp") and status.get("phase") not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_text = str(restarts)
    if restarts and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration(now - last_restart)} ago)"
    return f"{ready}/{total}", reason, restarts_text


def _pod_cells(pod: Obj, now: datetime, wide: bool) -> list[str]:
    ready, reason, restarts = pod_columns(pod, now)
    cells = [
        meta(pod).get("name", ""),
        ready,
        reason,
        restarts,
        since(meta(pod).get("creationTimestamp"), now),
    ]
    if wide:
        status, spec = pod.get("status") or {}, pod.get("spec") or {}
        ips = status.get("podIPs") or []
        ip = (ips[0].get("ip") if ips else "") or status.get("podIP") or "<none>"
        gates = spec.get("readinessGates") or []
        cells += [ip, spec.get("nodeName") or "<none>", status.get("nominatedNodeName") or "<none>"]
        cells.append(_readiness_gates(pod) if gates else "<none>")
    return cells


def _readiness_gates(pod: Obj) -> str:
    conds = {c.get("type"): c.get("status") for c in (pod.get("status") or {}).get("conditions") or []}
    gates = (pod.get("spec") or {}).get("readinessGates") or []
    ok = sum(1 for g in gates if conds.get(g.get("conditionType")) == "True")
    return f"{ok}/{len(gates)}"


def _service_cells(svc: Obj, now: datetime, wide: bool) -> list[str]:
    spec = svc.get("spec") or {}
    type_ = spec.get("type") or "ClusterIP"
    external = ",".join(spec.get("externalIPs") or []) or "<none>"
    if type_ == "LoadBalancer":
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        lbs = [i.get("ip") or i.get("hostname") for i in ingress]
        external = ",".join([*(x for x in lbs if x), *(spec.get("externalIPs") or [])]) or "<pending>"
    elif type_ == "ExternalName":
        external = spec.get("externalName") or "<none>"
    ports = []
    for p in spec.get("ports") or []:
        proto = p.get("protocol") or "TCP"
        if p.get("nodePort"):
            ports.append(f"{p.get('port')}:{p['nodePort']}/{proto}")
        else:
            ports.append(f"{p.get('port')}/{proto}")
    cells = [
        meta(svc).get("name", ""),
        type_,
        spec.get("clusterIP") or "<none>",
        external,
        ",".join(ports) or "<none>",
        since(meta(svc).get("creationTimestamp"), now),
    ]
    if wide:
        sel = spec.get("selector") or {}
        cells.append(",".join(f"{k}={v}" for k, v in sorted(sel.items())) or "<none>")
    return cells


def _configmap_cells(cm: Obj, now: datetime, wide: bool) -> list[str]:
    n = len(cm.get("data") or {}) + len(cm.get("binaryData") or {})
    return [meta(cm).get("name", ""), str(n), since(meta(cm).get("creationTimestamp"), now)]


def _secret_cells(s: Obj, now: datetime, wide: bool) -> list[str]:
    n = len(s.get("data") or {})
    return [
        meta(s).get("name", ""),
        s.get("type") or "Opaque",
        str(n),
        since(meta(s).get("creationTimestamp"), now),
    ]


def _event_cells(ev: Obj, now: datetime, wide: bool) -> list[str]:
    first = ev.get("firstTimestamp") or ev.get("eventTime")
    last = ev.get("lastTimestamp") or first
    inv = ev.get("involvedObject") or {}
    kind = str(inv.get("kind") or "").lower()
    target = f"{kind}/{inv['name']}" if inv.get("name") else kind
    message = str(ev.get("message") or "").strip()
    if not wide:
        return [since(last, now), str(ev.get("type") or ""), str(ev.get("reason") or ""), target, message]
    source = (ev.get("source") or {}).get("component") or ev.get("reportingComponent") or ""
    host = (ev.get("source") or {}).get("host")
    if host:
        source = f"{source}, {host}"
    return [
        since(last, now),
        str(ev.get("type") or ""),
        str(ev.get("reason") or ""),
        target,
        str(inv.get("fieldPath") or ""),
        source,
        message,
        since(first, now),
        str(ev.get("count") or 1),
        meta(ev).get("name", ""),
    ]


Cells = Callable[[Obj, datetime, bool], list[str]]

COLUMNS: dict[str, tuple[list[str], list[str], Cells]] = {
    "jobs": (
        ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
        ["CONTAINERS", "IMAGES", "SELECTOR"],
        _job_cells,
    ),
    "pods": (
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
        _pod_cells,
    ),
    "services": (
        ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
        ["SELECTOR"],
        _service_cells,
    ),
    "configmaps": (["NAME", "DATA", "AGE"], [], _configmap_cells),
    "secrets": (["NAME", "TYPE", "DATA", "AGE"], [], _secret_cells),
    "events": (
        ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
        [
            "LAST SEEN",
            "TYPE",
            "REASON",
            "OBJECT",
            "SUBOBJECT",
            "SOURCE",
            "MESSAGE",
            "FIRST SEEN",
            "COUNT",
            "NAME",
        ],
        _event_cells,
    ),
    "namespaces": (
        ["NAME", "STATUS", "AGE"],
        [],
        lambda o, now, w: [
            meta(o).get("name", ""),
            (o.get("status") or {}).get("phase") or "Active",
            since(meta(o).get("creationTimestamp"), now),
        ],
    ),
}


def header(resource: Resource, *, wide: bool = False, namespace_column: bool = False) -> list[str]:
    base, extra, _ = COLUMNS[resource.plural]
    cols = list(extra) if resource.plural == "events" and wide else base + (extra if wide else [])
    return (["NAMESPACE"] if namespace_column else []) + cols


def row(
    resource: Resource,
    obj: Obj,
    now: datetime,
    *,
    wide: bool = False,
    namespace_column: bool = False,
    kind_prefix: bool = False,
) -> list[str]:
    cells = COLUMNS[resource.plural][2](obj, now, wide)
    if kind_prefix and resource.plural != "events":
        cells[0] = f"{resource.display}/{cells[0]}"
    if namespace_column:
        cells.insert(0, meta(obj).get("namespace", ""))
    return cells


def sort_for_display(resource: Resource, items: Sequence[Obj]) -> list[Obj]:
    if resource.plural == "events":

        def key(e: Obj) -> str:
            return str(e.get("lastTimestamp") or e.get("firstTimestamp") or e.get("eventTime") or "")

        return sorted(items, key=key)
    return list(items)


def render_table(
    resource: Resource,
    items: Sequence[Obj],
    now: datetime,
    *,
    wide: bool = False,
    namespace_column: bool = False,
    kind_prefix: bool = False,
    no_headers: bool = False,
) -> str:
    rows = [] if no_headers else [header(resource, wide=wide, namespace_column=namespace_column)]
    for obj in sort_for_display(resource, items):
        rows.append(
            row(resource, obj, now, wide=wide, namespace_column=namespace_column, kind_prefix=kind_prefix)
        )
    return table(rows)


def name_line(resource: Resource, obj: Obj) -> str:
    return f"{resource.display}/{meta(obj).get('name', '')}"


def as_list(items: Sequence[Obj]) -> Obj:
    """What kubectl prints for several objects with ``-o json|yaml``."""
    return {"apiVersion": "v1", "items": list(items), "kind": "List", "metadata": {"resourceVersion": ""}}


def to_json(obj: Any) -> str:
    return json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False) + "\n"


def to_yaml(obj: Any) -> str:
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
        style = "|" if "\n" in data else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    _Dumper.add_representer(str, _str)
    return yaml.dump(obj, Dumper=_Dumper, default_flow_style=False, sort_keys=True, allow_unicode=True)


def with_kind(resource: Resource, obj: Obj) -> Obj:
    """List items come without ``apiVersion``/``kind``; kubectl fills them in for output."""
    out = dict(obj)
    out.setdefault("apiVersion", resource.api_version)
    out.setdefault("kind", resource.kind)
    return out
