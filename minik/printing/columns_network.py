"""kubectl's ``get endpoints`` and ``get endpointslices`` columns (``printEndpoints``,
``printEndpointSlice``), pure; merged into :data:`minik.printing.columns.COLUMNS`."""

from __future__ import annotations

from datetime import datetime

from minik.k8s import Obj, meta
from minik.printing.columns import AGE, NAME, Cells, Column
from minik.printing.durations import since


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


NETWORK_COLUMNS: dict[str, tuple[tuple[Column, ...], Cells]] = {
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
}
