"""``describe job`` and ``describe pod`` as pure functions (R11), laid out like kubectl.

The writes mirror kubectl's ``pkg/describe/describe.go`` (``describeJob``,
``describePod``, ``DescribePodTemplate``, ``describeContainers``,
``describeVolumes``, ``DescribeEvents``) one for one, through the tabwriter
emulation, so the bytes match. Input: the object, its events, ``now``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from minik.cli.describe_env import env as _env
from minik.cli.durations import between, rfc1123z, since
from minik.cli.printers import format_label_selector
from minik.cli.tabwriter import PrefixWriter
from minik.k8s import Obj, controller_of, meta, qos_class
from minik.resources import LAST_APPLIED_KEY

LAST_APPLIED = LAST_APPLIED_KEY
MAX_ANNOTATION_LEN = 140


def _labels(w: PrefixWriter, title: str, labels: dict[str, str] | None, indent: str = "") -> None:
    w.write(0, f"{indent}{title}:\t")
    keys = sorted(labels or {})
    if not keys:
        w.write(0, "<none>\n")
        return
    for i, k in enumerate(keys):
        if i:
            w.write(0, f"{indent}\t")
        w.write(0, f"{k}={(labels or {})[k]}\n")


def _shorten(s: str, n: int) -> str:
    return s[:n] + "..." if len(s) > n else s


def _annotations(w: PrefixWriter, title: str, annotations: dict[str, str] | None) -> None:
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in (annotations or {}) if k != LAST_APPLIED)
    if not keys:
        w.write(0, "<none>\n")
        return
    for i, k in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = (annotations or {})[k].removesuffix("\n")
        if len(value) + len(k) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{k}:\n")
            for s in value.split("\n"):
                w.write(0, f"\t  {_shorten(s, MAX_ANNOTATION_LEN - 2)}\n")
        else:
            w.write(0, f"{k}: {value}\n")


def _tolerations(w: PrefixWriter, title: str, tolerations: list[Obj] | None) -> None:
    w.write(0, f"{title}:\t")
    if not tolerations:
        w.write(0, "<none>\n")
        return
    for i, t in enumerate(tolerations):
        if i:
            w.write(0, "\t")
        text = str(t.get("key") or "")
        if t.get("value"):
            text += f"={t['value']}"
        if t.get("effect"):
            text += f":{t['effect']}"
        if t.get("operator") == "Exists" and not t.get("value"):
            text += " op=Exists" if t.get("key") or t.get("effect") else "op=Exists"
        if t.get("tolerationSeconds") is not None:
            text += f" for {t['tolerationSeconds']}s"
        w.write(0, text + "\n")


def _controller(obj: Obj) -> str:
    ref = controller_of(obj)
    return f"{ref.get('kind')}/{ref.get('name')}" if ref else ""


def cap_index_ranges(ranges: str | None, max_length: int = 50) -> str:
    """kubectl's ``capIndexRanges``: ``<none>``, or cut at the last comma before ``max_length``."""
    if not ranges:
        return "<none>"
    if len(ranges) <= max_length:
        return ranges
    cut = ranges[:max_length].rfind(",")
    return (ranges[:cut] if cut >= 0 else ranges[:max_length]) + ",..."


# -- containers -------------------------------------------------------------------------


def _ports(ports: list[Obj], host: bool) -> str:
    out = []
    for p in ports:
        proto = p.get("protocol") or "TCP"
        out.append(f"{p.get('hostPort', 0) if host else p.get('containerPort', 0)}/{proto}")
    return ", ".join(out)


def _state(w: PrefixWriter, name: str, state: Obj) -> None:
    if "running" in state:
        w.write(2, f"{name}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z((state['running'] or {}).get('startedAt'))}\n")
    elif "waiting" in state:
        w.write(2, f"{name}:\tWaiting\n")
        reason = (state["waiting"] or {}).get("reason")
        if reason:
            w.write(3, f"Reason:\t{reason}\n")
    elif "terminated" in state:
        t = state["terminated"] or {}
        w.write(2, f"{name}:\tTerminated\n")
        if t.get("reason"):
            w.write(3, f"Reason:\t{t['reason']}\n")
        if t.get("message"):
            w.write(3, f"Message:\t{t['message']}\n")
        w.write(3, f"Exit Code:\t{t.get('exitCode', 0)}\n")
        if t.get("signal"):
            w.write(3, f"Signal:\t{t['signal']}\n")
        w.write(3, f"Started:\t{rfc1123z(t.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{rfc1123z(t.get('finishedAt'))}\n")
    else:
        w.write(2, f"{name}:\tWaiting\n")


def _resources(w: PrefixWriter, resources: Obj | None) -> None:
    for title in ("limits", "requests"):
        values = (resources or {}).get(title) or {}
        if values:
            w.write(2, f"{title.capitalize()}:\n")
        for k in sorted(values):
            w.write(3, f"{k}:\t{values[k]}\n")


def _mounts(w: PrefixWriter, c: Obj) -> None:
    mounts = sorted(c.get("volumeMounts") or [], key=lambda m: str(m.get("mountPath", "")))
    w.write(2, "Mounts:" + ("" if mounts else "\t<none>") + "\n")
    for m in mounts:
        flags = ["ro" if m.get("readOnly") else "rw"]
        if m.get("subPath"):
            flags.append(f'path="{m["subPath"]}"')
        w.write(3, f"{m.get('mountPath')} from {m.get('name')} ({','.join(flags)})\n")


def _probe_text(p: Obj) -> str:
    attrs = (
        f"delay={p.get('initialDelaySeconds', 0)}s timeout={p.get('timeoutSeconds', 1)}s "
        f"period={p.get('periodSeconds', 10)}s #success={p.get('successThreshold', 1)} "
        f"#failure={p.get('failureThreshold', 3)}"
    )
    if p.get("exec"):
        return f"exec [{' '.join(str(a) for a in p['exec'].get('command') or [])}] {attrs}"  # Go's %v
    if p.get("httpGet"):
        g = p["httpGet"]
        url = (
            f"{(g.get('scheme') or 'HTTP').lower()}://{g.get('host', '')}:{g.get('port')}{g.get('path', '')}"
        )
        return f"http-get {url} {attrs}"
    if p.get("tcpSocket"):
        return f"tcp-socket {p['tcpSocket'].get('host', '')}:{p['tcpSocket'].get('port')} {attrs}"
    if p.get("grpc"):
        return f"grpc <pod>:{p['grpc'].get('port')} {p['grpc'].get('service') or ''} {attrs}"
    return f"unknown {attrs}"


def _containers(
    w: PrefixWriter,
    label: str,
    *,
    containers: list[Obj],
    statuses: list[Obj] | None,
    pod: Obj | None,
    space: str,
) -> None:
    by_name = {s.get("name"): s for s in statuses or []}
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    name_indent = " " if space else ""
    for c in containers:
        st = by_name.get(c.get("name"))
        w.write(1, f"{name_indent}{c.get('name')}:\n")
        if st is not None:
            w.write(2, f"Container ID:\t{st.get('containerID', '')}\n")
        w.write(2, f"Image:\t{c.get('image', '')}\n")
        if st is not None:
            w.write(2, f"Image ID:\t{st.get('imageID', '')}\n")
        ports = c.get("ports") or []
        text = _ports(ports, host=False)
        w.write(2, f"Ports:\t{text}\n" if "," in text else f"Port:\t{text or '<none>'}\n")
        text = _ports(ports, host=True)
        w.write(2, f"Host Ports:\t{text}\n" if "," in text else f"Host Port:\t{text or '<none>'}\n")
        for title, key in (("Command", "command"), ("Args", "args")):
            if c.get(key):
                w.write(2, f"{title}:\n")
                for item in c[key]:
                    for s in str(item).split("\n"):
                        w.write(3, f"{s}\n")
        if st is not None:
            _state(w, "State", st.get("state") or {})
            if ((st.get("lastState") or {}).get("terminated")) is not None:
                _state(w, "Last State", st["lastState"])
            w.write(2, f"Ready:\t{'True' if st.get('ready') else 'False'}\n")
            w.write(2, f"Restart Count:\t{st.get('restartCount', 0)}\n")
        _resources(w, c.get("resources"))
        for title, key in (
            ("Liveness", "livenessProbe"),
            ("Readiness", "readinessProbe"),
            ("Startup", "startupProbe"),
        ):
            if c.get(key):
                w.write(2, f"{title}:\t{_probe_text(c[key])}\n")
        _env(w, c, pod)
        _mounts(w, c)


def _volumes(w: PrefixWriter, volumes: list[Obj], space: str) -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    indent = " " if space else ""
    for v in volumes:
        w.write(1, f"{indent}{v.get('name')}:\n")
        if "hostPath" in v:
            hp = v["hostPath"] or {}
            w.write(2, "Type:\tHostPath (bare host directory volume)\n")
            w.write(0, f"    Path:\t{hp.get('path', '')}\n    HostPathType:\t{hp.get('type') or '<none>'}\n")
        elif "emptyDir" in v:
            ed = v["emptyDir"] or {}
            size = ed.get("sizeLimit")
            size_text = str(size) if size and str(size) not in ("0",) else "<unset>"
            w.write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n")
            w.write(0, f"    Medium:\t{ed.get('medium', '')}\n    SizeLimit:\t{size_text}\n")
        elif "secret" in v:
            s = v["secret"] or {}
            w.write(2, "Type:\tSecret (a volume populated by a Secret)\n")
            opt = "true" if s.get("optional") else "false"
            w.write(0, f"    SecretName:\t{s.get('secretName', '')}\n    Optional:\t{opt}\n")
        elif "configMap" in v:
            cm = v["configMap"] or {}
            w.write(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n")
            opt = "true" if cm.get("optional") else "false"
            w.write(0, f"    Name:\t{cm.get('name', '')}\n    Optional:\t{opt}\n")
        elif "persistentVolumeClaim" in v:
            pvc = v["persistentVolumeClaim"] or {}
            ro = "true" if pvc.get("readOnly") else "false"
            w.write(
                2,
                "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n",
            )
            w.write(0, f"    ClaimName:\t{pvc.get('claimName', '')}\n    ReadOnly:\t{ro}\n")
        elif "downwardAPI" in v:
            w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n")
            for item in (v["downwardAPI"] or {}).get("items") or []:
                if item.get("fieldRef"):
                    w.write(3, f"{item['fieldRef'].get('fieldPath')} -> {item.get('path')}\n")
                if item.get("resourceFieldRef"):
                    w.write(3, f"{item['resourceFieldRef'].get('resource')} -> {item.get('path')}\n")
        else:
            w.write(1, "<unknown>\n")


def _pod_template(w: PrefixWriter, template: Obj | None) -> None:
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    m = template.get("metadata") or {}
    spec = template.get("spec") or {}
    _labels(w, "  Labels", m.get("labels"))
    if m.get("annotations"):
        _annotations(w, "  Annotations", m.get("annotations"))
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        _containers(
            w, "Init Containers", containers=spec["initContainers"], statuses=None, pod=None, space="  "
        )
    _containers(w, "Containers", containers=spec.get("containers") or [], statuses=None, pod=None, space="  ")
    _volumes(w, spec.get("volumes") or [], "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    _labels(w, "  Node-Selectors", spec.get("nodeSelector"))
    _tolerations(w, "  Tolerations", spec.get("tolerations"))


# -- events -----------------------------------------------------------------------------


def event_age(ev: Obj, now: datetime) -> str:
    first = since(ev.get("firstTimestamp") or ev.get("eventTime"), now)
    series = ev.get("series")
    if series:
        return f"{since(series.get('lastObservedTime'), now)} (x{series.get('count')} over {first})"
    count = int(ev.get("count") or 0)
    if count > 1:
        return f"{since(ev.get('lastTimestamp'), now)} (x{count} over {first})"
    return first


def _events(w: PrefixWriter, events: Sequence[Obj] | None, now: datetime) -> None:
    if events is None:
        return
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.flush()
    ordered = sorted(
        events,
        key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or e.get("firstTimestamp") or ""),
    )
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in ordered:
        source = (e.get("source") or {}).get("component") or e.get("reportingComponent") or ""
        w.write(
            1,
            f"{e.get('type', '')}\t{e.get('reason', '')}\t{event_age(e, now)}\t{source}\t"
            f"{str(e.get('message') or '').strip()}\n",
        )


# -- job / pod --------------------------------------------------------------------------


def describe_job(job: Obj, events: Sequence[Obj] | None, now: datetime) -> str:
    w = PrefixWriter()
    m, spec, status = meta(job), job.get("spec") or {}, job.get("status") or {}
    w.write(0, f"Name:\t{m.get('name', '')}\n")
    w.write(0, f"Namespace:\t{m.get('namespace', '')}\n")
    selector = format_label_selector(spec.get("selector"))
    w.write(0, f"Selector:\t{'' if selector == '<none>' else selector}\n")
    _labels(w, "Labels", m.get("labels"))
    _annotations(w, "Annotations", m.get("annotations"))
    controlled = _controller(job)
    if controlled:
        w.write(0, f"Controlled By:\t{controlled}\n")
    if spec.get("parallelism") is not None:
        w.write(0, f"Parallelism:\t{spec['parallelism']}\n")
    if spec.get("completions") is not None:
        w.write(0, f"Completions:\t{spec['completions']}\n")
    else:
        w.write(0, "Completions:\t<unset>\n")
    if spec.get("completionMode"):
        w.write(0, f"Completion Mode:\t{spec['completionMode']}\n")
    if spec.get("suspend") is not None:
        w.write(0, f"Suspend:\t{'true' if spec['suspend'] else 'false'}\n")
    if spec.get("backoffLimit") is not None:
        w.write(0, f"Backoff Limit:\t{spec['backoffLimit']}\n")
    if spec.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{spec['ttlSecondsAfterFinished']}\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(status['startTime'])}\n")
    if status.get("completionTime"):
        w.write(0, f"Completed At:\t{rfc1123z(status['completionTime'])}\n")
        if status.get("startTime"):
            w.write(0, f"Duration:\t{between(status['startTime'], status['completionTime'])}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{spec['activeDeadlineSeconds']}s\n")
    a, s, f = (int(status.get(k) or 0) for k in ("active", "succeeded", "failed"))
    if status.get("ready") is None:
        w.write(0, f"Pods Statuses:\t{a} Active / {s} Succeeded / {f} Failed\n")
    else:
        w.write(0, f"Pods Statuses:\t{a} Active ({status['ready']} Ready) / {s} Succeeded / {f} Failed\n")
    if spec.get("completionMode") == "Indexed":
        w.write(0, f"Completed Indexes:\t{cap_index_ranges(status.get('completedIndexes'))}\n")
    _pod_template(w, spec.get("template"))
    _events(w, events, now)
    return w.getvalue()


def _qos(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("qosClass") or qos_class(pod))


def describe_pod(pod: Obj, events: Sequence[Obj] | None, now: datetime) -> str:
    w = PrefixWriter()
    m, spec, status = meta(pod), pod.get("spec") or {}, pod.get("status") or {}
    w.write(0, f"Name:\t{m.get('name', '')}\n")
    w.write(0, f"Namespace:\t{m.get('namespace', '')}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{spec['priority']}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("runtimeClassName"):
        w.write(0, f"Runtime Class Name:\t{spec['runtimeClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("nodeName"):
        w.write(0, f"Node:\t{spec['nodeName']}/{status.get('hostIP', '')}\n")
    else:
        w.write(0, "Node:\t<none>\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(status['startTime'])}\n")
    _labels(w, "Labels", m.get("labels"))
    _annotations(w, "Annotations", m.get("annotations"))
    if m.get("deletionTimestamp") and status.get("phase") not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {since(m['deletionTimestamp'], now)})\n")
        w.write(0, f"Termination Grace Period:\t{m.get('deletionGracePeriodSeconds', 0)}s\n")
    else:
        w.write(0, f"Status:\t{status.get('phase', '')}\n")
    if status.get("reason"):
        w.write(0, f"Reason:\t{status['reason']}\n")
    if status.get("message"):
        w.write(0, f"Message:\t{status['message']}\n")
    w.write(0, f"IP:\t{status.get('podIP', '')}\n")
    ips: list[Any] = status.get("podIPs") or []
    if not ips:
        w.write(0, "IPs:\t<none>\n")
    else:
        w.write(0, "IPs:\n")
        for ip in ips:
            w.write(1, f"IP:\t{ip.get('ip', '')}\n")
    controlled = _controller(pod)
    if controlled:
        w.write(0, f"Controlled By:\t{controlled}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if spec.get("initContainers"):
        _containers(
            w,
            "Init Containers",
            containers=spec["initContainers"],
            statuses=status.get("initContainerStatuses"),
            pod=pod,
            space="",
        )
    _containers(
        w,
        "Containers",
        containers=spec.get("containers") or [],
        statuses=status.get("containerStatuses"),
        pod=pod,
        space="",
    )
    if spec.get("ephemeralContainers"):  # kubectl's describePod, after the containers
        _containers(
            w,
            "Ephemeral Containers",
            containers=spec["ephemeralContainers"],
            statuses=status.get("ephemeralContainerStatuses"),
            pod=pod,
            space="",
        )
    conditions = status.get("conditions") or []
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in conditions:
            w.write(1, f"{c.get('type')} \t{c.get('status')} \n")
    _volumes(w, spec.get("volumes") or [], "")
    w.write(0, f"QoS Class:\t{_qos(pod)}\n")
    _labels(w, "Node-Selectors", spec.get("nodeSelector"))
    _tolerations(w, "Tolerations", spec.get("tolerations"))
    _events(w, events, now)
    return w.getvalue()
