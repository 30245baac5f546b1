"""kubectl's ``get`` columns: definitions and cells per resource (R10), pure.

Mirrors the column handlers of kubernetes' ``pkg/printers/internalversion``
for the resources minik serves: each resource has its column definitions
(name, type, priority — priority 1 columns are the ``-o wide`` ones) and one
function computing every cell of a row. The API wraps them in
``meta.k8s.io/v1`` Tables; the minik CLI lays them out with its tabwriter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from minik.k8s import Obj, meta, parse_time
from minik.printing.durations import between, human_duration, since


@dataclass(frozen=True)
class Column:
    """One ``TableColumnDefinition``; ``name`` as the API serves it (kubectl upper-cases it)."""

    name: str
    description: str
    priority: int = 0
    type: str = "string"
    format: str = ""

    def definition(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


NAME = Column("Name", "Name must be unique within a namespace.", format="name")
AGE = Column(
    "Age",
    "CreationTimestamp is a timestamp representing the server time when this object was created.",
)


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


def _job_cells(job: Obj, now: datetime) -> list[str]:
    cells = [
        meta(job).get("name", ""),
        job_status(job),
        job_completions(job),
        job_duration(job, now),
        since(meta(job).get("creationTimestamp"), now),
    ]
    pod = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    containers = pod.get("containers") or []
    cells += [
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
        format_label_selector((job.get("spec") or {}).get("selector")),
    ]
    return cells


def _cronjob_cells(cj: Obj, now: datetime) -> list[str]:
    """``printCronJob``: schedule, zone, suspend, active Jobs, last schedule, age (+ wide template cells)."""
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    suspend = spec.get("suspend")
    last = status.get("lastScheduleTime")
    template = (spec.get("jobTemplate") or {}).get("spec") or {}
    containers = ((template.get("template") or {}).get("spec") or {}).get("containers") or []
    return [
        meta(cj).get("name", ""),
        str(spec.get("schedule") or ""),
        str(spec.get("timeZone")) if spec.get("timeZone") is not None else "<none>",
        "<unset>" if suspend is None else ("True" if suspend else "False"),
        str(len(status.get("active") or [])),
        since(last, now) if last else "<none>",
        since(meta(cj).get("creationTimestamp"), now),
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
        format_label_selector(template.get("selector")),
    ]


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


def _pod_cells(pod: Obj, now: datetime) -> list[str]:
    ready, reason, restarts = pod_columns(pod, now)
    cells = [
        meta(pod).get("name", ""),
        ready,
        reason,
        restarts,
        since(meta(pod).get("creationTimestamp"), now),
    ]
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


def _service_cells(svc: Obj, now: datetime) -> list[str]:
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
    sel = spec.get("selector") or {}
    cells.append(",".join(f"{k}={v}" for k, v in sorted(sel.items())) or "<none>")
    return cells


def _configmap_cells(cm: Obj, now: datetime) -> list[str]:
    n = len(cm.get("data") or {}) + len(cm.get("binaryData") or {})
    return [meta(cm).get("name", ""), str(n), since(meta(cm).get("creationTimestamp"), now)]


def format_endpoints(ep: Obj) -> str:
    """kubectl's ENDPOINTS cell: the first three ``ip:port`` (or ``ip`` without ports), then ``+ N more...``."""
    subsets = ep.get("subsets") or []
    if not subsets:
        return "<none>"
    shown: list[str] = []
    count = 0
    more = False
    for ss in subsets:
        addresses = ss.get("addresses") or []
        ports = ss.get("ports") or []
        groups = (
            [[a.get("ip", "") for a in addresses]]
            if not ports
            else [[_host_port(a.get("ip", ""), p.get("port")) for a in addresses] for p in ports]
        )
        for group in groups:
            count += len(group)
            for item in group:
                if len(shown) == 3:
                    more = True
                    break
                shown.append(item)
    text = ",".join(shown)
    return f"{text} + {count - 3} more..." if more else text


def _host_port(ip: str, port: object) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _endpoints_cells(ep: Obj, now: datetime) -> list[str]:
    return [meta(ep).get("name", ""), format_endpoints(ep), since(meta(ep).get("creationTimestamp"), now)]


def _slice_list(items: list[str]) -> str:
    if not items:
        return "<unset>"
    if len(items) > 3:
        return ",".join(items[:3]) + f" + {len(items) - 3} more..."
    return ",".join(items)


def _endpointslice_cells(sl: Obj, now: datetime) -> list[str]:
    ports = [str(p.get("port")) if p.get("port") is not None else "<unset>" for p in sl.get("ports") or []]
    addrs = [a for e in sl.get("endpoints") or [] for a in e.get("addresses") or []]
    return [
        meta(sl).get("name", ""),
        str(sl.get("addressType") or ""),
        _slice_list(ports),
        _slice_list(addrs),
        since(meta(sl).get("creationTimestamp"), now),
    ]


def _secret_cells(s: Obj, now: datetime) -> list[str]:
    n = len(s.get("data") or {})
    return [
        meta(s).get("name", ""),
        s.get("type") or "Opaque",
        str(n),
        since(meta(s).get("creationTimestamp"), now),
    ]


def _event_cells(ev: Obj, now: datetime) -> list[str]:
    first = ev.get("firstTimestamp") or ev.get("eventTime")
    last = ev.get("lastTimestamp") or first
    inv = ev.get("involvedObject") or {}
    kind = str(inv.get("kind") or "").lower()
    target = f"{kind}/{inv['name']}" if inv.get("name") else kind
    message = str(ev.get("message") or "").strip()
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


def _namespace_cells(ns: Obj, now: datetime) -> list[str]:
    return [
        meta(ns).get("name", ""),
        (ns.get("status") or {}).get("phase") or "Active",
        since(meta(ns).get("creationTimestamp"), now),
    ]


Cells = Callable[[Obj, datetime], list[str]]

COLUMNS: dict[str, tuple[tuple[Column, ...], Cells]] = {
    "jobs": (
        (
            NAME,
            Column("Status", "Status of the job."),
            Column("Completions", "The completion status of the job as a fraction of succeeded and total."),
            Column("Duration", "Time required to complete the job."),
            AGE,
            Column("Containers", "Names of each container in the template.", 1),
            Column("Images", "Images referenced by each container in the template.", 1),
            Column("Selector", "Query over pods that should match the pod count.", 1),
        ),
        _job_cells,
    ),
    "cronjobs": (
        (
            NAME,
            Column("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
            Column(
                "Timezone",
                "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.",
            ),
            Column(
                "Suspend", "This flag tells the controller to suspend subsequent executions.", type="boolean"
            ),
            Column("Active", "A list of pointers to currently running jobs.", type="integer"),
            Column("Last Schedule", "Information when was the last time the job was successfully scheduled."),
            AGE,
            Column("Containers", "Names of each container in the template.", 1),
            Column("Images", "Images referenced by each container in the template.", 1),
            Column("Selector", "Query over pods that should match the pod count.", 1),
        ),
        _cronjob_cells,
    ),
    "pods": (
        (
            NAME,
            Column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
            Column("Status", "The aggregate status of the containers in this pod."),
            Column(
                "Restarts",
                "The number of times the containers in this pod have been restarted "
                "and when the last container in this pod has restarted.",
            ),
            AGE,
            Column("IP", "IP address allocated to the pod.", 1),
            Column("Node", "Name of the node the pod is assigned to.", 1),
            Column("Nominated Node", "Name of the node where the pod is nominated to run.", 1),
            Column("Readiness Gates", "Pod readiness gates that are satisfied.", 1),
        ),
        _pod_cells,
    ),
    "services": (
        (
            NAME,
            Column("Type", "The type of the service: ClusterIP, NodePort, LoadBalancer or ExternalName."),
            Column("Cluster-IP", "The IP address of the service, assigned by the master."),
            Column("External-IP", "External IPs on which the service is exposed."),
            Column("Port(s)", "The ports exposed by the service."),
            AGE,
            Column("Selector", "Route service traffic to pods with labels matching this selector.", 1),
        ),
        _service_cells,
    ),
    "configmaps": ((NAME, Column("Data", "Number of keys in the config map."), AGE), _configmap_cells),
    "endpoints": ((NAME, Column("Endpoints", "Endpoints exposed by the service."), AGE), _endpoints_cells),
    "endpointslices": (
        (
            NAME,
            Column("AddressType", "The IP protocol type of the addresses in this EndpointSlice."),
            Column("Ports", "The ports exposed by this EndpointSlice."),
            Column("Endpoints", "The addresses of the endpoints in this EndpointSlice."),
            AGE,
        ),
        _endpointslice_cells,
    ),
    "secrets": (
        (
            NAME,
            Column("Type", "The type of the secret."),
            Column("Data", "Number of items in the secret."),
            AGE,
        ),
        _secret_cells,
    ),
    "events": (
        (
            Column("Last Seen", "The time the most recent occurrence of this event was recorded."),
            Column("Type", "Type of this event (Normal, Warning)."),
            Column("Reason", "Short, machine understandable string giving the reason for the transition."),
            Column("Object", "The object that this event is about."),
            Column("Subobject", "The subobject (container) that this event is about.", 1),
            Column("Source", "The component reporting this event.", 1),
            Column("Message", "A human-readable description of the status of this operation."),
            Column("First Seen", "The time at which the event was first recorded.", 1),
            Column("Count", "The number of times this event has occurred.", 1),
            Column("Name", "Name of the event.", 1, format="name"),
        ),
        _event_cells,
    ),
    "namespaces": (
        (NAME, Column("Status", "The status of the namespace."), AGE),
        _namespace_cells,
    ),
}


def columns_for(plural: str, *, wide: bool = True) -> list[Column]:
    """The resource's columns; without ``wide`` only the priority-0 ones (``kubectl get``)."""
    return [c for c in COLUMNS[plural][0] if wide or c.priority == 0]


def cells(plural: str, obj: Obj, now: datetime, *, wide: bool = True) -> list[str]:
    """One row: every column's cell, or without ``wide`` the priority-0 ones."""
    defs, compute = COLUMNS[plural]
    row = compute(obj, now)
    return [cell for col, cell in zip(defs, row, strict=True) if wide or col.priority == 0]
