"""Layer 2: what minik implements — the ONE list of unsupported and ignored fields.

Kubernetes accepts every field below; minik either does not implement it
(an error, ``Unsupported by minik``), or it means nothing on one machine (a
warning, ``Ignored by minik``), or minik honours it but it reaches into the
host (a warning, ``Host access``: every field Pod Security's ``baseline``
level refuses — host namespaces, host ports, ``hostPath`` volumes,
``privileged``, capabilities beyond the baseline set, an ``Unconfined``
seccomp profile — and a PersistentVolume on a host path, each naming what it
gives the pod). Anything not listed is implemented.
:func:`support_markdown` renders this list for the README. Checks run on
defaulted objects, so default values (``dnsPolicy: ClusterFirst``…) are
listed as harmless.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from minik.errors import FieldError
from minik.k8s import NODE_NAME
from minik.manifest import fields as f
from minik.manifest.fields import PathT
from minik.manifest.pod_admission import DEFAULT_TOLERATIONS
from minik.manifest.storage_admission import PROVISIONER
from minik.manifest.support_entries import (
    CAPABILITIES,
    ERROR,
    HOST,
    HOST_IPC,
    HOST_NETWORK,
    HOST_PATH,
    HOST_PID,
    HOST_PORT,
    LOAD_BALANCER,
    PLACEMENT,
    PRIVILEGED,
    SECCOMP_UNCONFINED,
    WARN,
    Entry,
    capabilities_give,
    host_path_gives,
)

_PROBE_HOST = "another host for probes and hooks (minik's kubelet connects to the pod's own address only)"
UNSUPPORTED_VOLUME_TYPES = (
    # volume sources Kubernetes knows and minik does not implement
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
)

_CLOUD_DISK = "a cloud provider's disk attached to a cluster node"
_NETWORK_STORAGE = "a storage system that a cluster node mounts"
_DRIVER = "a storage driver running in a cluster"
VOLUME_REASONS = {
    **dict.fromkeys(
        ("gcePersistentDisk", "awsElasticBlockStore", "azureDisk", "azureFile", "cinder"), _CLOUD_DISK
    ),
    **dict.fromkeys(("vsphereVolume", "photonPersistentDisk"), _CLOUD_DISK),
    **dict.fromkeys(
        (
            "nfs",
            "iscsi",
            "glusterfs",
            "rbd",
            "cephfs",
            "flocker",
            "fc",
            "quobyte",
            "portworxVolume",
            "scaleIO",
        ),
        _NETWORK_STORAGE,
    ),
    "storageos": _NETWORK_STORAGE,
    **dict.fromkeys(("csi", "ephemeral"), _DRIVER),
    "flexVolume": "a driver installed on every cluster node",
    "gitRepo": "the kubelet to run git (deprecated upstream: clone in an init container into an emptyDir)",
    "image": "a container runtime that mounts images as volumes",
}
"""Why each volume type is rejected: one clause, "…volumes: they need <reason>"."""

NO_PROVISIONER = "kubernetes.io/no-provisioner"
HOST_PV_SOURCES = ("hostPath", "local")
PV_SOURCES = (  # a PersistentVolume's sources, upstream's order (exactly one per volume)
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "hostPath",
    "glusterfs",
    "nfs",
    "rbd",
    "iscsi",
    "cinder",
    "cephfs",
    "fc",
    "flocker",
    "flexVolume",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "local",
    "storageos",
    "csi",
)
OTHER_PV_SOURCES = tuple(s for s in PV_SOURCES if s not in HOST_PV_SOURCES)
"""The sources a PersistentVolume may name that minik rejects (every one has a reason above)."""
_ONE_NODE_STORAGE = "every volume is on minik's one node"

STORAGE_SUPPORT: tuple[Entry, ...] = (
    *(
        Entry(f"PersistentVolume:spec.{v}", ERROR, f"{v} persistent volumes: they need {VOLUME_REASONS[v]}")
        for v in OTHER_PV_SOURCES
    ),
    Entry(
        "PersistentVolume:spec.persistentVolumeReclaimPolicy",
        ERROR,
        "the Recycle reclaim policy (deprecated upstream: use Delete and dynamic provisioning)",
        ("Retain", "Delete"),
    ),
    *(
        Entry(f"{k}:spec.volumeMode", ERROR, "raw block volumes (volumeMode: Block)", ("Filesystem",))
        for k in ("PersistentVolume", "PersistentVolumeClaim")
    ),
    *(
        Entry(f"{k}:spec.volumeAttributesClassName", ERROR, "VolumeAttributesClasses")
        for k in ("PersistentVolume", "PersistentVolumeClaim")
    ),
    Entry("PersistentVolumeClaim:spec.dataSource", ERROR, "claims pre-populated from a snapshot or a claim"),
    Entry("PersistentVolumeClaim:spec.dataSourceRef", ERROR, "volume populators (dataSourceRef)"),
    Entry("PersistentVolume:spec.mountOptions", ERROR, "mount options of a volume"),
    Entry("StorageClass:mountOptions", ERROR, "mount options of a volume"),
    *(Entry(f"PersistentVolume:spec.{v}", HOST, HOST_PATH, detail=host_path_gives) for v in HOST_PV_SOURCES),
    Entry("PersistentVolume:spec.nodeAffinity", WARN, _ONE_NODE_STORAGE),
    Entry("StorageClass:allowedTopologies", WARN, _ONE_NODE_STORAGE),
    Entry(
        "StorageClass:parameters",
        WARN,
        f"minik's provisioner ({PROVISIONER}) makes a Docker volume and takes no parameters",
    ),
    Entry(
        "StorageClass:provisioner",
        WARN,
        f"minik provisions volumes for the {PROVISIONER} provisioner only; claims of this class "
        "stay Pending until a matching PersistentVolume is created by hand",
        (PROVISIONER, NO_PROVISIONER),
    ),
    Entry(
        "StorageClass:allowVolumeExpansion",
        ERROR,
        "volume expansion (a Docker volume has no size to grow)",
        (False,),
    ),
)

SUPPORT: tuple[Entry, ...] = (
    *(
        Entry(f"pod.volumes[*].{v}", ERROR, f"{v} volumes: they need {VOLUME_REASONS[v]}")
        for v in UNSUPPORTED_VOLUME_TYPES
    ),
    Entry("pod.volumes[*].projected.sources[*].clusterTrustBundle", ERROR, "clusterTrustBundle projections"),
    Entry("pod.volumes[*].projected.sources[*].podCertificate", ERROR, "podCertificate projections"),
    Entry("pod.hostNetwork", HOST, HOST_NETWORK, (False,)),
    Entry("pod.hostPID", HOST, HOST_PID, (False,)),
    Entry("pod.hostIPC", HOST, HOST_IPC, (False,)),
    Entry("pod.volumes[*].hostPath", HOST, HOST_PATH, detail=host_path_gives),
    Entry("container.securityContext.privileged", HOST, PRIVILEGED, (False,)),
    Entry("container.securityContext.capabilities.add", HOST, CAPABILITIES, detail=capabilities_give),
    Entry(
        "pod.securityContext.seccompProfile.type", HOST, SECCOMP_UNCONFINED, ("RuntimeDefault", "Localhost")
    ),
    Entry(
        "container.securityContext.seccompProfile.type",
        HOST,
        SECCOMP_UNCONFINED,
        ("RuntimeDefault", "Localhost"),
    ),
    Entry("pod.hostUsers", ERROR, "user namespaces (hostUsers: false)", (True,)),
    Entry("pod.hostAliases", ERROR, "hostAliases"),
    Entry("pod.setHostnameAsFQDN", ERROR, "setHostnameAsFQDN", (False,)),
    Entry("pod.schedulingGates", ERROR, "scheduling gates"),
    Entry("pod.resourceClaims", ERROR, "dynamic resource claims"),
    Entry("pod.resources", ERROR, "pod-level resources"),
    *(
        Entry(f"pod.securityContext.{k}", ERROR, f"pod securityContext.{k}")
        for k in (
            "supplementalGroups",
            "supplementalGroupsPolicy",
            "fsGroupChangePolicy",
            "sysctls",
            "seLinuxOptions",
            "seLinuxChangePolicy",
            "windowsOptions",
            "appArmorProfile",
        )
    ),
    *(
        Entry(f"container.{k}", ERROR, t)
        for k, t in (
            ("lifecycle.stopSignal", "per-container stop signals (lifecycle.stopSignal)"),
            ("volumeDevices", "raw block volume devices"),
            ("resizePolicy", "in-place resize policies"),
            ("restartPolicyRules", "container restart rules"),
            ("resources.claims", "dynamic resource claims"),
        )
    ),
    *(
        Entry(f"container.{k}.host", ERROR, _PROBE_HOST, ("",))
        for k in (
            "livenessProbe.httpGet",
            "livenessProbe.tcpSocket",
            "readinessProbe.httpGet",
            "readinessProbe.tcpSocket",
            "startupProbe.httpGet",
            "startupProbe.tcpSocket",
            "lifecycle.postStart.httpGet",
            "lifecycle.preStop.httpGet",
        )
    ),
    Entry("container.ports[*].hostPort", HOST, HOST_PORT),
    Entry("container.volumeMounts[*].mountPropagation", ERROR, "mount propagation", ("None",)),
    Entry("container.volumeMounts[*].recursiveReadOnly", ERROR, "recursive read-only mounts", ("Disabled",)),
    *(
        Entry(f"container.securityContext.{k}", ERROR, f"container securityContext.{k}")
        for k in ("seLinuxOptions", "windowsOptions", "appArmorProfile", "procMount")
    ),
    *(
        Entry(f"pod.{k}", WARN, PLACEMENT, h)
        for k, h in (
            ("nodeSelector", ()),
            ("affinity", ()),
            # each toleration: the two DefaultTolerationSeconds adds to every pod are no one's choice
            ("tolerations[*]", DEFAULT_TOLERATIONS),
            ("priorityClassName", ()),
            ("priority", ()),
            ("topologySpreadConstraints", ()),
            ("schedulerName", ("default-scheduler",)),
            # the one node's name: what minik's scheduler sets on every pod (a pod read back and written)
            ("nodeName", (NODE_NAME,)),
            ("preemptionPolicy", ()),
            ("runtimeClassName", ()),
            ("imagePullSecrets", ()),
            # ClusterFirstWithHostNet is ClusterFirst for a pod on the pod network; on a
            # hostNetwork pod the hostNetwork warning says what minik can do.
            ("dnsPolicy", ("ClusterFirst", "ClusterFirstWithHostNet")),
            ("dnsConfig", ()),
            ("overhead", ()),
            ("readinessGates", ()),
            ("os", ()),
        )
    ),
    Entry("Service:spec.type", ERROR, "ExternalName Services", ("ClusterIP", "NodePort", "LoadBalancer")),
    Entry("Service:spec.type", WARN, LOAD_BALANCER, ("ClusterIP", "NodePort", "ExternalName")),
    Entry("Service:spec.externalIPs", ERROR, "externalIPs"),
    *(
        Entry(f"Service:spec.{k}", WARN, "there is no load balancer on one machine")
        for k in ("loadBalancerIP", "loadBalancerSourceRanges", "loadBalancerClass")
    ),
    Entry(
        "Service:spec.ipFamilies",
        ERROR,
        "IP families other than IPv4 (the Service range is IPv4)",
        (["IPv4"],),
    ),
    Entry(
        "Service:spec.ipFamilyPolicy",
        WARN,
        "the Service range is IPv4 only: the Service gets one IPv4 address",
        ("SingleStack",),
    ),
    *(
        Entry(f"Service:spec.{k}", WARN, "traffic policies and IP families have no effect on one machine")
        for k in (
            "externalTrafficPolicy",
            "internalTrafficPolicy",
            "trafficDistribution",
            "healthCheckNodePort",
            "allocateLoadBalancerNodePorts",
        )
    ),
    *STORAGE_SUPPORT,
)

_POD_ROOT = {
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}


def _parse(pattern: str) -> tuple[str | int, ...]:
    out: list[str | int] = []
    for seg in pattern.split("."):
        if seg.endswith("[*]"):
            out += [seg[:-3], -1]
        else:
            out.append(seg)
    return tuple(out)


def _walk(value: Any, segs: tuple[str | int, ...], path: PathT) -> Iterator[tuple[PathT, Any]]:
    if value is None:
        return
    if not segs:
        yield path, value
        return
    head, rest = segs[0], segs[1:]
    if head == -1:
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from _walk(item, rest, (*path, i))
    elif isinstance(value, dict) and isinstance(head, str):
        yield from _walk(value.get(head), rest, (*path, head))


def _targets(obj: dict[str, Any], entry: Entry) -> Iterator[tuple[PathT, Any]]:
    kind = obj.get("kind", "")
    scope, _, rest = entry.pattern.partition(":") if ":" in entry.pattern else ("", "", entry.pattern)
    if scope:
        if scope == kind:
            yield from _walk(obj, _parse(rest), ())
        return
    root = _POD_ROOT.get(kind)
    if root is None:
        return
    where, _, tail = rest.partition(".")
    if where == "pod":
        yield from _walk(obj, (*root, *_parse(tail)), ())
    else:
        for group in ("initContainers", "containers", "ephemeralContainers"):
            yield from _walk(obj, (*root, group, -1, *_parse(tail)), ())


def check(obj: dict[str, Any]) -> tuple[list[FieldError], list[FieldError]]:
    """(errors, warnings) of layer 2 for one defaulted object."""
    errors: list[FieldError] = []
    warnings: list[FieldError] = []
    for entry in SUPPORT:
        for path, value in _targets(obj, entry):
            if value in entry.harmless or value in ([], {}):
                continue
            what = entry.what if entry.detail is None else entry.detail(value)
            if what is None:
                continue
            if entry.level == ERROR:
                errors.append(f.unsupported_by_minik(path, what))
            elif entry.level == HOST:
                warnings.append(f.host_access(path, what))
            else:
                warnings.append(f.ignored_by_minik(path, entry.what))
    warnings += _node_port_protocols(obj)
    for group in ("initContainers", "containers"):
        root = _POD_ROOT.get(str(obj.get("kind")))
        if root is None:
            break
        for path, res in _walk(obj, (*root, group, -1, "resources"), ()):
            for part in ("limits", "requests"):
                for name in (res.get(part) or {}) if isinstance(res, dict) else ():
                    if name not in ("cpu", "memory"):
                        warnings.append(
                            f.ignored_by_minik(
                                (*path, part, f.Key(name)), "only cpu and memory resources are enforced"
                            )
                        )
    return errors, warnings


def _node_port_protocols(obj: dict[str, Any]) -> list[FieldError]:
    """A NodePort/LoadBalancer Service's UDP or SCTP port: minik publishes TCP node ports only."""
    if obj.get("kind") != "Service":
        return []
    spec = obj.get("spec") or {}
    if spec.get("type") not in ("NodePort", "LoadBalancer"):
        return []
    out = []
    for i, port in enumerate(spec.get("ports") or []):
        if isinstance(port, dict) and port.get("protocol", "TCP") != "TCP":
            why = "minik publishes TCP node ports only; pods still reach this port by the Service's name"
            out.append(f.ignored_by_minik(("spec", "ports", i, "protocol"), why))
    return out


def _shown(value: Any) -> str:
    """A harmless value as the table shows it: objects as compact JSON, scalars as Python's repr."""
    if isinstance(value, dict):
        return "`" + json.dumps(value, separators=(",", ":")) + "`"
    return repr(value)


def support_markdown() -> str:
    """The list above as a Markdown table (for the README / docs)."""
    lines = ["| Field | minik | Why |", "|---|---|---|"]
    for e in SUPPORT:
        pattern = e.pattern.replace("pod.", "<pod spec>.").replace("container.", "<container>.")
        level = {ERROR: "error", WARN: "warning", HOST: "host access"}[e.level]
        ok = f" (fine: {', '.join(map(_shown, e.harmless))})" if e.harmless else ""
        lines.append(f"| `{pattern}` | {level} | {e.what}{ok} |")
    return "\n".join(lines) + "\n"
