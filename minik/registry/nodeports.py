"""Service node ports, as the API server's Service REST storage allocates them.

Owns the rule: a ``NodePort`` or ``LoadBalancer`` Service gets a free port
from 30000–32767 for every port without a ``nodePort``; a given one must be
in that range and not held by another Service; an update keeps the ports
already allocated; a Service whose type no longer takes node ports drops the
ones it had. :func:`assign_node_ports` is pure (the ports in use and the
random choice are inputs); :func:`allocate` applies it to the stored
Services and raises the API's ``Invalid`` (the Service strategy's admission,
:mod:`minik.registry.kinds`). Publishing the port on 127.0.0.1 is the kubelet's business, not this one's.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable

from minik.apierrors import invalid
from minik.k8s import Obj, meta
from minik.store import Store

NODE_PORT_RANGE = (30000, 32767)
NODE_PORT_TYPES = ("NodePort", "LoadBalancer")

Problem = tuple[str, str, str]
"""(field path, reason, message) as :func:`minik.apierrors.invalid` takes them."""


def ports_in_use(services: Iterable[Obj], *, skip_uid: str | None = None) -> set[int]:
    """Every node port the given Services hold (but the one with ``skip_uid``)."""
    used: set[int] = set()
    for svc in services:
        if skip_uid and (svc.get("metadata") or {}).get("uid") == skip_uid:
            continue
        for port in (svc.get("spec") or {}).get("ports") or []:
            if isinstance(port, dict) and isinstance(port.get("nodePort"), int) and port["nodePort"]:
                used.add(port["nodePort"])
    return used


def _old_port(old: Obj | None, port: Obj) -> int | None:
    for p in ((old or {}).get("spec") or {}).get("ports") or []:
        if p.get("port") == port.get("port") and (p.get("protocol") or "TCP") == (
            port.get("protocol") or "TCP"
        ):
            value = p.get("nodePort")
            return value if isinstance(value, int) and value else None
    return None


def assign_node_ports(
    svc: Obj,
    used: set[int],
    *,
    old: Obj | None = None,
    choose: Callable[[list[int]], int] = random.choice,
) -> list[Problem]:
    """Fill in (in place) the node ports ``svc`` needs; the problems when a given one cannot be had."""
    spec = svc.get("spec")
    if not isinstance(spec, dict):
        return []
    ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
    if spec.get("type") not in NODE_PORT_TYPES:
        for port in ports:
            if port.get("nodePort") and port.get("nodePort") == _old_port(old, port):
                port.pop("nodePort")  # the type changed away from NodePort: release it
        return []
    lo, hi = NODE_PORT_RANGE
    problems: list[Problem] = []
    taken = set(used)
    for i, port in enumerate(ports):
        path = f"spec.ports[{i}].nodePort"
        wanted = port.get("nodePort") or _old_port(old, port)
        if not isinstance(wanted, int) or not wanted:
            continue
        if wanted == _old_port(old, port):
            port["nodePort"] = wanted
            taken.add(wanted)
            continue
        if not lo <= wanted <= hi:
            why = f"provided port is not in the valid range. The range of valid ports is {lo}-{hi}"
            problems.append((path, "Invalid value", f"Invalid value: {wanted}: {why}"))
        elif wanted in taken:
            problems.append(
                (path, "Invalid value", f"Invalid value: {wanted}: provided port is already allocated")
            )
        taken.add(wanted)
    if problems:
        return problems
    free = [p for p in range(lo, hi + 1) if p not in taken]
    for port in ports:
        if not port.get("nodePort"):
            if not free:
                why = f"range {lo}-{hi} has no free node ports left"
                return [("spec.ports", "Internal error", why)]
            port["nodePort"] = chosen = choose(free)
            free.remove(chosen)
    return []


def allocate(store: Store, svc: Obj, old: Obj | None) -> None:
    """Allocate ``svc``'s node ports in place, or raise ``Invalid`` as the Service storage does."""
    services, _ = store.list("services", None, shared=True)
    used = ports_in_use(services, skip_uid=meta(old).get("uid") if old else None)
    problems = assign_node_ports(svc, used, old=old)
    if problems:
        raise invalid("services", meta(svc).get("name", ""), problems)
