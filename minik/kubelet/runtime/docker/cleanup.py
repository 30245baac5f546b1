"""Removing minik's Docker objects by label, and Docker 20.10's leaked endpoints (blocking helpers).

Runs in worker threads (through :class:`minik.kubelet.runtime.docker.api.DockerAPI`)
and in the tests' cleanup fixtures. docker-py is imported here and in
:mod:`minik.kubelet.runtime.docker.api` only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import docker.errors

log = logging.getLogger("minik.docker")


def remove_labelled_sync(client: Any, labels: Mapping[str, str], *, names: list[str] | None = None) -> int:
    """Blocking body of :meth:`DockerAPI.remove_labelled` (also used by tests).

    ``names``, when given, receives ``container NAME``, ``volume NAME`` and
    ``network NAME`` for each object removed.
    """
    said = names if names is not None else []
    filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
    api = client.api
    removed = 0
    cnames: list[str] = []
    for c in api.containers(all=True, filters=filters):
        cnames += [n.lstrip("/") for n in c.get("Names") or []]
        if c.get("State") == "running":
            # Leave the networks first: a running container force-removed while
            # attached is how Docker 20.10 ends up miscounting a network's endpoints.
            for net in (c.get("NetworkSettings") or {}).get("Networks") or {}:
                try:
                    api.disconnect_container_from_network(c["Id"], net, force=True)
                except docker.errors.APIError:
                    pass
        try:
            api.remove_container(c["Id"], force=True, v=True)
            removed += 1
            said.append(f"container {(c.get('Names') or [c['Id'][:12]])[0].lstrip('/')}")
        except docker.errors.NotFound:
            pass
    for v in (api.volumes(filters=filters) or {}).get("Volumes") or []:
        try:
            api.remove_volume(v["Name"], force=True)
            removed += 1
            said.append(f"volume {v['Name']}")
        except docker.errors.NotFound:
            pass
    for n in api.networks(filters=filters):
        gone = _remove_network(api, n["Id"], labels, cnames)
        removed += gone
        if gone:
            said.append(f"network {n.get('Name', n['Id'][:12])}")
    return removed


def containers_on(api: Any, network: str) -> bool:
    """Whether any container, running or stopped, is configured on ``network``."""
    return bool(api.containers(all=True, filters={"network": [network]}))


def forget_endpoint(api: Any, network: str, container_name: str) -> None:
    """Drop a removed container's endpoint from ``network`` if Docker kept it.

    Docker 20.10 sometimes keeps the endpoint of a container removed while
    the engine is busy; nothing lists it, but the network can no longer be
    removed ("has active endpoints"). A forced disconnect by name deletes it.
    """
    try:
        api.disconnect_container_from_network(container_name, network, force=True)
    except docker.errors.APIError:
        pass  # nothing left over: the usual case


def _remove_network(
    api: Any, network_id: str, labels: Mapping[str, str], names: list[str], *, attempts: int = 12
) -> int:
    """Remove a network, first detaching what still holds an endpoint in it.

    Docker refuses ("has active endpoints") while a container that was just
    removed is still being torn down, when one was created a moment ago, or
    when it kept a removed container's endpoint: remove the attached ones
    carrying ``labels``, force-disconnect any other and the removed names,
    retry.
    """
    for attempt in range(attempts):
        try:
            api.remove_network(network_id)
            return 1
        except docker.errors.NotFound:
            return 0
        except docker.errors.APIError as exc:
            if "active endpoints" not in str(exc):
                raise
            if attempt == attempts - 1:
                # Docker 20.10's endpoint counter can stay above zero after a
                # busy spell with no endpoint left at all; only a newer engine
                # frees such a network. It holds no container: leave it.
                log.warning("cannot remove network %s: %s", network_id[:12], exc)
                return 0
        if attempt == 0:
            for name in names:
                forget_endpoint(api, network_id, name)
            continue
        try:
            attached = (api.inspect_network(network_id).get("Containers") or {}).keys()
        except docker.errors.NotFound:
            return 0
        for cid in attached:
            try:
                mine = all(
                    (api.inspect_container(cid)["Config"].get("Labels") or {}).get(k) == v
                    for k, v in labels.items()
                )
                if mine:
                    api.remove_container(cid, force=True, v=True)
                else:
                    api.disconnect_container_from_network(cid, network_id, force=True)
            except docker.errors.NotFound:
                pass
        time.sleep(0.25)
    return 0
