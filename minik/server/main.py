"""``python -m minik.server run``: the control plane process.

Owns the process: the state directory and its lock, logging to
``server.log`` (rotated; see :mod:`minik.server.bounds`), the loopback
listening socket, uvicorn (with a deadline for request headers and a
connection limit), signals, and ``server.json`` (written once the API
answers, removed on exit). Containers
keep running when the server stops; the next start adopts them.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import anyio
import uvicorn

from minik import __version__, paths
from minik.api import create_app
from minik.auth.tokens import load_signer
from minik.errors import MinikError
from minik.k8s import meta
from minik.kubelet import subnets
from minik.kubelet.runtime.docker.api import DockerAPI
from minik.registry import Registry
from minik.registry.correlator import EventCorrelator
from minik.server import bounds, state
from minik.server.controlplane import ControlPlane, Settings, utcnow
from minik.server.tls import ensure_certificate, ensure_pod_certificate

log = logging.getLogger("minik.server")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the control plane owns signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _time_scale() -> float:
    raw = os.environ.get("MINIK_TIME_SCALE", "1")
    try:
        value = float(raw)
    except ValueError as exc:
        raise MinikError(f"MINIK_TIME_SCALE must be a number, not {raw!r}") from exc
    if not 0 < value <= 1:
        raise MinikError(f"MINIK_TIME_SCALE must be in (0, 1], not {raw}")
    return value


def _cron_time_rate() -> float:
    """Test-only ``MINIK_CRON_TIME_RATE``: CronJob schedules run this many times faster (default 1)."""
    raw = os.environ.get("MINIK_CRON_TIME_RATE", "1")
    try:
        value = float(raw)
    except ValueError as exc:
        raise MinikError(f"MINIK_CRON_TIME_RATE must be a number, not {raw!r}") from exc
    if not 1 <= value <= 3600:
        raise MinikError(f"MINIK_CRON_TIME_RATE must be in [1, 3600], not {raw}")
    return value


def api_socket(asked: str | None, previous: int | None) -> socket.socket:
    """The API's socket on 127.0.0.1: ``MINIK_PORT`` if set, else the port the last server had
    (kubectl's and the client's kubeconfigs keep working across a restart) unless another
    process took it, else a new one."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        if asked:
            sock.bind(("127.0.0.1", int(asked)))
            return sock
        if previous:
            try:
                sock.bind(("127.0.0.1", previous))
                return sock
            except OSError as exc:
                log.info(
                    "the last server's port %d is taken (%s); listening on a new one", previous, exc.strerror
                )
        sock.bind(("127.0.0.1", 0))
        return sock
    except BaseException:
        sock.close()
        raise


def _config(app: object, cert: Path, key: Path, limit: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
        http=bounds.HeaderTimeoutProtocol,
        ws="wsproto",  # pods/exec, attach, portforward
        limit_concurrency=limit,
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
    )


def _pods_cert() -> Path:
    return paths.home() / "tls-pods.crt"


def _publish_root_ca(registry: Registry, cert: Callable[[], Path]) -> None:
    """``kube-root-ca.crt`` in every namespace with ``cert`` (nothing is written when it is already so)."""
    registry.root_ca = paths.read_bytes(cert()).decode()
    for ns in registry.list("namespaces", None)[0]:
        registry.publish_namespace_defaults(str(meta(ns).get("name")))


async def _serve_pods(
    plane: ControlPlane, registry: Registry, app: object, *, port: int, limit: int, servers: list[_Server]
) -> None:
    """The API for pods: at the gateway, with the pods' certificate, published as their CA."""
    side = await _pod_side(plane, registry, port)
    if side is None:
        return
    sock, cert, key = side
    _publish_root_ca(registry, lambda: cert)
    pod_server = _Server(_config(app, cert, key, limit))
    servers.append(pod_server)
    await pod_server.serve([sock])


async def _pod_side(
    plane: ControlPlane, registry: Registry, port: int
) -> tuple[socket.socket, Path, Path] | None:
    """Where pods reach the API: the instance network's gateway (the host's side of the bridge;
    the ``kubernetes`` Service's endpoint), at the loopback port, with its certificate (made
    valid for the gateway, the ``kubernetes`` Service's address and names; the CA pods get in
    ``kube-root-ca.crt``). ``None`` (pods cannot reach the API; logged) when the
    network cannot be made or its gateway is not an address of this host (a remote engine)."""
    try:
        await plane.kubelet.network.ensure()
    except MinikError as exc:
        log.warning("pods cannot reach the API: the instance network is not there (%s)", exc)
        return None
    subnet = ipaddress.IPv4Network(plane.kubelet.network.subnet)
    gateway = subnets.gateway(subnet)
    vip = ipaddress.IPv4Address(subnets.kubernetes_service_ip(subnet))
    cert, key = ensure_pod_certificate(ips=(gateway, str(vip), str(vip + 1)))
    pod_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    pod_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        pod_sock.bind((gateway, port))
    except OSError as exc:
        pod_sock.close()
        log.warning(
            "pods cannot reach the API: cannot listen on the gateway %s:%d (%s)", gateway, port, exc.strerror
        )
        return None
    log.info("pods reach the API at https://%s:%d", gateway, port)
    return pod_sock, cert, key


async def serve() -> None:
    home = state.ensure_home()
    fd_limit = bounds.raise_fd_limit()
    lock = state.ServerLock()
    lock.acquire()
    try:
        instance = state.instance_id()
        bearer = state.token()
        for name in ("", "-wal", "-shm"):
            paths.refuse_link(paths.db_path().with_name(paths.db_path().name + name))
        correlator = EventCorrelator(clock=utcnow, time_scale=_time_scale())
        cert, key = ensure_certificate()
        registry = Registry.open(paths.db_path(), correlator=correlator)
        signer = load_signer(paths.sa_key_file())
        docker = DockerAPI()
        await docker.ping()
        sock = api_socket(os.environ.get("MINIK_PORT"), state.previous_port())
        port = sock.getsockname()[1]
        plane = ControlPlane(
            settings=Settings(
                home=home,
                instance=instance,
                time_scale=_time_scale(),
                cron_time_rate=_cron_time_rate(),
                api_port=port,
            ),
            registry=registry,
            docker=docker,
            signer=signer,
        )
        app = create_app(
            registry=registry,
            token=bearer,
            hooks=plane.hooks,
            streamer=plane.streams,
            metrics=plane.metrics,
            pod_address=plane.pod_address,
            signer=signer,
        )

        url = f"https://127.0.0.1:{port}"
        # the CA pods trust: the pods' certificate of the last start, until this start's is made
        _publish_root_ca(registry, _pods_cert if _pods_cert().exists() else paths.tls_cert_file)
        limit = min(bounds.MAX_CONNECTIONS, max(64, fd_limit - 256))
        server = _Server(_config(app, cert, key, limit))
        pod_servers: list[_Server] = []

        async with anyio.create_task_group() as tg:
            await tg.start(plane.run)
            tg.start_soon(server.serve, [sock])
            # pods' side after the API answers: making the network can take seconds on a busy engine
            tg.start_soon(
                functools.partial(_serve_pods, port=port, limit=limit, servers=pod_servers),
                plane,
                registry,
                app,
            )
            while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
                await anyio.sleep(0.005)
            state.write_kubeconfig(url, bearer, paths.read_bytes(cert))
            state.write_server_file(
                {"url": url, "pid": os.getpid(), "instance": instance, "version": __version__}
            )
            log.info("minik %s serving %s for %s (instance %s)", __version__, url, home, instance)
            with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                async for signum in signals:
                    if signum == signal.SIGTERM:
                        log.info("stopping once the deletions asked for are done")
                        info = {"url": url, "pid": os.getpid(), "instance": instance, "version": __version__}
                        await _drain(plane, signals, info)
                    log.info("stopping")
                    break
            state.remove_server_file(os.getpid())
            await plane.release_network()
            server.should_exit = True
            for pod_server in pod_servers:
                pod_server.should_exit = True
            with anyio.move_on_after(3):
                while server.started and not server.force_exit:
                    await anyio.sleep(0.02)
                    if not server.server_state.connections:
                        break
            tg.cancel_scope.cancel()
    finally:
        state.remove_server_file(os.getpid())
        lock.release()


async def _drain(plane: ControlPlane, signals: AsyncIterator[int], info: dict[str, object]) -> None:
    """Let the control plane finish the deletions already asked for, within their grace periods.

    ``server.json`` says how many and until when (``minik server stop``
    prints it); a second signal stops at once.
    """
    count, seconds = plane.pending_deletions()
    if not count:
        return
    until = time.time() + seconds
    state.write_server_file({**info, "stopping": {"deletions": count, "until": until}})
    log.info("finishing %d deletions (up to %.0fs)", count, seconds)
    with anyio.move_on_after(seconds) as scope:
        async with anyio.create_task_group() as tg:

            async def second_signal() -> None:
                async for _ in signals:
                    log.info("stopping now")
                    tg.cancel_scope.cancel()
                    return

            tg.start_soon(second_signal)
            while plane.pending_deletions()[0]:  # noqa: ASYNC110 - polled: deletions finish in other tasks
                await anyio.sleep(0.1)
            tg.cancel_scope.cancel()
    if scope.cancelled_caught:
        log.warning("%d deletions were not finished within %.0fs", plane.pending_deletions()[0], seconds)


def main(argv: list[str]) -> int:
    if argv[:1] == ["delete"]:
        from minik.server import teardown

        return teardown.main(argv[1:])
    if argv[:1] != ["run"]:
        print("usage: python -m minik.server run | delete [--all]", file=sys.stderr)
        return 2
    try:
        state.ensure_home()
        bounds.log_to_file(os.environ.get("MINIK_LOG_LEVEL", "INFO"))
    except (MinikError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code if isinstance(exc, MinikError) else 1
    try:
        anyio.run(serve)
    except MinikError as exc:
        log.error("%s", exc)
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 0
    return 0
