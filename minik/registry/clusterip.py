"""Service ClusterIPs, as the API server's Service REST storage and its IP allocator give them.

Owns the rule (``pkg/registry/core/service/storage`` and ``…/ipallocator``):
a Service of any type but ``ExternalName`` gets a virtual IP from the Service
range unless it asks for none (``clusterIP: None``, headless); a requested
address is honoured when it is in the range and free, refused with
upstream's words otherwise; ``clusterIP`` and ``clusterIPs`` agree
(single-stack IPv4); an update that leaves them empty keeps the allocated
ones, and one that changes them is refused (``may not change once set``).

:func:`admit_create` and :func:`admit_update` are pure: the range and the
addresses other Services hold are arguments. The ledger is the stored
Services themselves (the registry passes their addresses in), so an
address is free again the moment its Service is gone and nothing is ever
leaked by a crash; the range comes from the store
(:mod:`minik.store.servicerange`).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable

from minik import apierrors as st
from minik.k8s import Obj, meta

HEADLESS = "None"
Problem = tuple[str, str, str]


def needs_cluster_ip(svc: Obj) -> bool:
    """Whether the Service takes a virtual IP (every type but ExternalName, unless headless)."""
    spec = svc.get("spec") or {}
    return spec.get("type") != "ExternalName" and spec.get("clusterIP") != HEADLESS


def addresses_in_use(services: Iterable[Obj], *, skip_uid: str = "") -> set[str]:
    """Every virtual IP the given Services hold (but the one with ``skip_uid``)."""
    used: set[str] = set()
    for svc in services:
        if skip_uid and meta(svc).get("uid") == skip_uid:
            continue
        for ip in (svc.get("spec") or {}).get("clusterIPs") or [(svc.get("spec") or {}).get("clusterIP")]:
            if isinstance(ip, str) and ip and ip != HEADLESS:
                used.add(ip)
    return used


def _go_list(values: list[str]) -> str:
    return json.dumps(values)


def _requested(spec: Obj) -> tuple[str, list[str]]:
    ip = spec.get("clusterIP") or ""
    ips = [str(x) for x in spec.get("clusterIPs") or []]
    if not ip and ips:
        ip = ips[0]
    return str(ip), ips


def _check_pair(ip: str, ips: list[str]) -> list[Problem]:
    if ips and ips[0] != ip:
        msg = "must match `clusterIP` when set"
        return [("spec.clusterIPs[0]", "Invalid value", f'Invalid value: "{ips[0]}": {msg}')]
    if len(ips) > 1:
        return [("spec.clusterIPs", "Invalid value",
                 f"Invalid value: {_go_list(ips)}: may specify no more than one IP for each IP family")]  # fmt: skip
    return []


def allocate(ip: str, cidr: str, used: set[str]) -> tuple[str, list[Problem]]:
    """The address a new Service gets: ``ip`` if asked for (and allowed), else the first free one."""
    net = ipaddress.IPv4Network(cidr)
    last = net.broadcast_address - 1  # the range's last address is the proxy's own, never a Service's
    if ip:
        try:
            addr = ipaddress.IPv4Address(ip)
        except ValueError:
            body = f'Invalid value: "{ip}": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'
            return "", [("spec.clusterIPs[0]", "Invalid value", body)]
        why = ""
        if not net.network_address <= addr <= last:
            why = f"the provided IP ({ip}) is not in the valid range. The range of valid IPs is {net}"
        elif ip in used:
            why = "provided IP is already allocated"
        if why:
            body = f"Invalid value: {_go_list([ip])}: failed to allocate IP {ip}: {why}"
            return "", [("spec.clusterIPs", "Invalid value", body)]
        return ip, []
    for n in range(int(net.network_address), int(last) + 1):
        candidate = str(ipaddress.IPv4Address(n))
        if candidate not in used:
            return candidate, []
    body = (f"Invalid value: []: failed to allocate IP: range is full "
            f"(every address of the Service range {net} is held by a Service)")  # fmt: skip
    return "", [("spec.clusterIPs", "Invalid value", body)]


def _set(spec: Obj, ip: str) -> None:
    spec["clusterIP"] = ip
    spec["clusterIPs"] = [ip]
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")


def admit_create(svc: Obj, cidr: str, used: set[str]) -> list[Problem]:
    """Give a new Service its ClusterIP (in place); the problems that refuse it."""
    spec = svc.setdefault("spec", {})
    ip, ips = _requested(spec)
    if spec.get("type") == "ExternalName":
        return []
    if ip == HEADLESS:
        spec["clusterIP"], spec["clusterIPs"] = HEADLESS, [HEADLESS]
        return []
    problems = _check_pair(ip, ips)
    if problems:
        return problems
    if not cidr:
        raise st.error(
            503,
            "ServiceUnavailable",
            "no Service range yet: the instance network has not been made (is the Docker engine running?)",
        )
    got, problems = allocate(ip, cidr, used)
    if not problems:
        _set(spec, got)
    return problems


def admit_update(new: Obj, old: Obj, cidr: str, used: set[str]) -> list[Problem]:
    """An update keeps the allocated address (an empty ``clusterIP`` is filled from the old one),
    may not change it, and gets one when it turns from ExternalName into a type that has one."""
    spec = new.setdefault("spec", {})
    old_spec = old.get("spec") or {}
    old_ips = [
        str(x)
        for x in old_spec.get("clusterIPs") or ([old_spec["clusterIP"]] if old_spec.get("clusterIP") else [])
    ]
    if spec.get("type") == "ExternalName":
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
        return []
    ip, ips = _requested(spec)
    if not old_ips:
        return admit_create(new, cidr, used)
    if not ip and not ips:
        spec["clusterIP"], spec["clusterIPs"] = old_ips[0], list(old_ips)
        if old_ips[0] != HEADLESS:
            spec.setdefault("ipFamilies", old_spec.get("ipFamilies") or ["IPv4"])
            spec.setdefault("ipFamilyPolicy", old_spec.get("ipFamilyPolicy") or "SingleStack")
        return []
    if not ips:
        ips = [ip, *old_ips[1:]]
        spec["clusterIPs"] = ips
    if ip != old_ips[0] or ips[0] != old_ips[0]:
        return [
            (
                "spec.clusterIPs[0]",
                "Invalid value",
                f"Invalid value: {_go_list(ips)}: may not change once set",
            )
        ]
    spec["clusterIP"] = ip
    return _check_pair(ip, ips)


def refuse(name: str, problems: list[Problem]) -> None:
    if problems:
        raise st.invalid("services", name, problems)
