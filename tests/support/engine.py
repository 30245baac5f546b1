"""This test run's objects on a Docker engine that other runs may share.

Every instance the harness makes gets an id that starts with this
process's *scope*: the run's id (``MINIK_TEST_RUN``, made once per pytest
run and inherited by its xdist workers) and the worker's number. Per-test
labels (``minik.io/test``) start with it too. So a leftover check looks
only at its own objects: two suites on one engine never judge or delete
each other's (see :func:`left_in_scope`).
"""

from __future__ import annotations

import os
import re
import secrets
import warnings
from typing import Any

import docker
import docker.errors

from minik.kubelet.runtime.docker.api import remove_labelled_sync

INSTANCE_LABEL = "minik.io/instance"
TEST_LABEL = "minik.io/test"
RUN_ENV = "MINIK_TEST_RUN"

Found = dict[str, list[str]]


def _run() -> str:
    run = os.environ.get(RUN_ENV)
    if not run:  # the first process of the run: its workers inherit the id
        run = os.environ[RUN_ENV] = secrets.token_hex(3)
    return run


RUN = _run()


def _scope() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    number = re.fullmatch(r"gw(\d+)", worker)
    return f"{RUN}{int(number[1]) % 255:02x}" if number else f"{RUN}ff"


SCOPE = _scope()


_ISSUED: set[str] = set()


def instance_id() -> str:
    """A fresh instance id in this process's scope (minik uses whatever the ``instance`` file says).

    Never one this process issued before: four random hex digits alone gave two of the
    40-instance teardown's instances one id (about 1 run in 80)."""
    while (candidate := f"{SCOPE}{secrets.token_hex(2)}") in _ISSUED:
        pass
    _ISSUED.add(candidate)
    return candidate


def test_label_value() -> str:
    return f"{SCOPE}{secrets.token_hex(4)}"


def labelled(client: docker.DockerClient, label: str) -> Found:
    """Names of the containers, volumes and networks carrying ``label`` (``key`` or ``key=value``)."""
    api = client.api
    filters = {"label": [label]}
    return {
        "containers": [c["Names"][0].lstrip("/") for c in api.containers(all=True, filters=filters)],
        "volumes": [v["Name"] for v in (api.volumes(filters=filters) or {}).get("Volumes") or []],
        "networks": [n["Name"] for n in api.networks(filters=filters)],
    }


def _labels_of(client: docker.DockerClient, key: str) -> dict[str, list[tuple[str, str]]]:
    """``{kind: [(name, value of key)]}`` for every object carrying ``key``."""
    api = client.api
    filters = {"label": [key]}
    out: dict[str, list[tuple[str, str]]] = {"containers": [], "volumes": [], "networks": []}
    for c in api.containers(all=True, filters=filters):
        out["containers"].append((c["Names"][0].lstrip("/"), (c.get("Labels") or {}).get(key, "")))
    for v in (api.volumes(filters=filters) or {}).get("Volumes") or []:
        out["volumes"].append((v["Name"], (v.get("Labels") or {}).get(key, "")))
    for n in api.networks(filters=filters):
        out["networks"].append((n["Name"], (n.get("Labels") or {}).get(key, "")))
    return out


def left_in_scope(client: docker.DockerClient, scope: str = SCOPE) -> Found:
    """Objects of this process's instances and per-test labels still on the engine."""
    left: Found = {"containers": [], "volumes": [], "networks": []}
    for key in (INSTANCE_LABEL, TEST_LABEL):
        for kind, found in _labels_of(client, key).items():
            left[kind] += [name for name, value in found if value.startswith(scope)]
    return {kind: sorted(set(names)) for kind, names in left.items()}


def endpoint_leak(client: docker.DockerClient, network: str) -> bool:
    """Docker 20.10's leaked endpoint count: no container attached, yet "has active endpoints"."""
    try:
        net = client.api.inspect_network(network)
        if net.get("Containers"):
            return False
        client.api.remove_network(network)
        return False
    except docker.errors.NotFound:
        return False
    except docker.errors.APIError as exc:
        return "active endpoints" in str(exc)


def detach_network_owners(client: docker.DockerClient, instance: str) -> None:
    """Disconnect every container of ``instance`` from the instance's networks before removal.

    Docker 20.10 can keep the endpoint of a container removed while it is
    busy, and then refuses to remove the (empty) network; a disconnect while
    the container still exists removes the endpoint properly.
    """
    label = f"{INSTANCE_LABEL}={instance}"
    networks = client.api.networks(filters={"label": [label]})
    names = {n["Name"] for n in networks}
    for c in client.api.containers(all=True, filters={"label": [label]}):
        attached = set((c.get("NetworkSettings") or {}).get("Networks") or {})
        for n in networks:
            if n["Name"] not in attached & names:
                continue
            try:
                client.api.disconnect_container_from_network(c["Id"], n["Id"], force=True)
            except docker.errors.APIError:
                pass  # not attached any more


def remove_labelled(client: docker.DockerClient, labels: dict[str, str]) -> None:
    remove_labelled_sync(client, labels)


def remove_instance(client: docker.DockerClient, instance: str) -> Found:
    """Remove every object of ``instance``; returns what is still there afterwards (empty lists when clean).

    A network Docker 20.10 cannot remove for a leaked endpoint count (no
    container attached) is not counted, with a warning: only a dockerd
    restart clears it, and the session check warns of it again.
    """
    detach_network_owners(client, instance)
    remove_labelled_sync(client, {INSTANCE_LABEL: instance})
    left = labelled(client, f"{INSTANCE_LABEL}={instance}")
    leaked = [n for n in left["networks"] if endpoint_leak(client, n)]
    if leaked:
        warnings.warn(
            f"Docker kept endpoint counts on {leaked} (a Docker 20.10 bug; a dockerd restart clears them)",
            stacklevel=2,
        )
    left["networks"] = [n for n in left["networks"] if n not in leaked]
    return left


def engine(timeout: int = 120) -> Any:
    """A client of the engine ``DOCKER_HOST`` names (the local socket by default)."""
    return docker.from_env(timeout=timeout)
