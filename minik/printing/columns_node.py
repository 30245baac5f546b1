"""kubectl's ``get nodes`` columns (``printNode``), pure; merged into :data:`minik.printing.columns.COLUMNS`."""

from __future__ import annotations

from datetime import datetime

from minik.k8s import Obj, meta
from minik.printing.columns import AGE, NAME, Cells, Column
from minik.printing.durations import since

ROLE_PREFIX = "node-role.kubernetes.io/"


def _node_cells(node: Obj, now: datetime) -> list[str]:
    m, spec, status = meta(node), node.get("spec") or {}, node.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    state = "Unknown" if ready is None else ("Ready" if ready.get("status") == "True" else "NotReady")
    if spec.get("unschedulable"):
        state += ",SchedulingDisabled"
    roles = sorted(k[len(ROLE_PREFIX) :] for k in m.get("labels") or {} if k.startswith(ROLE_PREFIX))
    info = status.get("nodeInfo") or {}

    def address(kind: str) -> str:
        return next((a["address"] for a in status.get("addresses") or [] if a.get("type") == kind), "<none>")

    return [
        str(m.get("name", "")),
        state,
        ",".join(r for r in roles if r) or "<none>",
        since(m.get("creationTimestamp"), now),
        str(info.get("kubeletVersion", "")),
        address("InternalIP"),
        address("ExternalIP"),
        str(info.get("osImage") or "<unknown>"),
        str(info.get("kernelVersion") or "<unknown>"),
        str(info.get("containerRuntimeVersion") or "<unknown>"),
    ]


NODE_COLUMNS: dict[str, tuple[tuple[Column, ...], Cells]] = {
    "nodes": (
        (
            NAME,
            Column("Status", "The status of the node"),
            Column("Roles", "The roles of the node"),
            AGE,
            Column("Version", "Kubelet Version reported by the node."),
            Column("Internal-IP", "List of internal IPs in the node.", 1),
            Column("External-IP", "List of external IPs in the node.", 1),
            Column(
                "OS-Image",
                "OS image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
                1,
            ),
            Column(
                "Kernel-Version",
                "Kernel version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
                1,
            ),
            Column(
                "Container-Runtime",
                "Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
                1,
            ),
        ),
        _node_cells,
    )
}
