"""The pytest fixtures of the integration suite, built on :mod:`tests.support`.

``tests/integration/conftest.py`` imports them, so every test below it has:

- ``docker_client`` (session): the engine; ``MINIK_REQUIRE_DOCKER=1`` (tox's
  integration env, so CI) turns a missing engine into a failure instead of a skip.
- ``test_labels``: labels unique to the test; whatever carries them is removed after it.
- ``minik`` (module): a private :class:`~tests.support.instance.Minik` with its
  server running; afterwards everything of its instance is gone or the module fails.
  A folder's conftest may override ``minik_pods_clean_up`` to ``True``: then every
  pod is deleted first and deleting them must have removed their Docker objects.
- ``real_time`` (module; request before ``minik``): the server runs with
  ``MINIK_TIME_SCALE=1``, upstream's timing. :func:`instance_environment`
  makes more fixtures of that kind (a module's small subnet, a faster cron clock).
- ``pod_name``: a fresh DNS-safe pod name per test.
- ``instances``: the instances a test makes itself (``new_instance``), removed afterwards.
- ``api`` (module): the official Python client (``kubernetes``) on the module's
  instance, from its kubeconfig (skipped when the client is not installed).
- ``_nothing_left_behind`` (session, automatic): this process's run leaves no
  object of its own instances or test labels behind. It looks only at its own
  scope (:mod:`tests.support.engine`), so suites sharing an engine never judge
  each other's objects.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import docker
import pytest

from tests.support import engine
from tests.support.instance import Minik, private_minik


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as exc:
        msg = f"no Docker engine answers ({exc}); run scripts/ensure-docker.sh"
        if os.environ.get("MINIK_REQUIRE_DOCKER") == "1":
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    yield client
    client.close()


@pytest.fixture(scope="session", autouse=True)
def _nothing_left_behind() -> Iterator[None]:
    """The run leaves no Docker object of its own instances or test labels behind (issue 4's "done when")."""
    yield
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception:
        return  # no engine: the docker_client fixture reported it
    left = engine.left_in_scope(client)
    leaked = [n for n in left["networks"] if engine.endpoint_leak(client, n)]
    if leaked:
        warnings.warn(
            f"Docker kept endpoint counts on {leaked} (a Docker 20.10 bug; a dockerd restart clears them)",
            stacklevel=1,
        )
    after = engine.left_in_scope(client)
    after["networks"] = [n for n in after["networks"] if n not in leaked]
    client.close()
    assert not any(after.values()), f"the test run left Docker objects of its own behind: {after}"


@pytest.fixture
def test_labels(docker_client: docker.DockerClient) -> Iterator[dict[str, str]]:
    """Labels unique to this test; everything carrying them is removed afterwards."""
    labels = {engine.TEST_LABEL: engine.test_label_value()}
    yield labels
    engine.remove_labelled(docker_client, labels)
    left = engine.labelled(docker_client, f"{engine.TEST_LABEL}={labels[engine.TEST_LABEL]}")
    assert not left["containers"], f"test left containers behind: {left['containers']}"


@contextmanager
def environment(name: str, value: str) -> Iterator[None]:
    """``os.environ[name] = value`` for a while (a module fixture's: the instance made meanwhile inherits it)."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def instance_environment(name: str, doc: str, **env: str) -> Any:
    """A module fixture ``name`` under which the module's instance starts with ``env`` in its environment.

    Request it before ``minik`` (the instance inherits ``os.environ`` when it
    starts): ``small_subnet = instance_environment("small_subnet", "…",
    MINIK_SUBNET_PREFIX="28")`` in a test module, then ``def m(small_subnet,
    minik)``.
    """

    @pytest.fixture(scope="module", name=name)
    def fixture() -> Iterator[None]:
        with ExitStack() as stack:
            for key, value in env.items():
                stack.enter_context(environment(key, value))
            yield

    fixture.__doc__ = doc
    return fixture


real_time = instance_environment(
    "real_time",
    "Request before ``minik``: the module's server runs with ``MINIK_TIME_SCALE=1`` (upstream's timing).",
    MINIK_TIME_SCALE="1",
)


@pytest.fixture(scope="module")
def minik_pods_clean_up() -> bool:
    """Whether the module's teardown first requires deleting every pod to remove its Docker objects."""
    return False


@pytest.fixture(scope="module")
def minik(
    docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory, minik_pods_clean_up: bool
) -> Iterator[Minik]:
    """A private minik instance for the module, its server running; everything it made is gone afterwards."""
    home = tmp_path_factory.mktemp("minik-home")
    with private_minik(home, docker_client, pods_clean_up=minik_pods_clean_up) as m:
        yield m


@pytest.fixture
def instances(docker_client: docker.DockerClient) -> Iterator[list[Minik]]:
    """Instances a test makes with :func:`~tests.support.instance.new_instance`; whatever they leave is removed."""
    made: list[Minik] = []
    yield made
    for inst in made:
        if not inst.home.exists():
            continue
        inst.run("server", "stop", check=False, timeout=60)
        if (inst.home / "instance").exists():
            engine.remove_instance(docker_client, inst.instance)


@pytest.fixture
def pod_name(request: pytest.FixtureRequest) -> str:
    """A fresh pod name per test (tests of one module share a server)."""
    stem = request.node.name.removeprefix("test_").replace("_", "-")[:40].strip("-")
    return f"{stem}-{uuid.uuid4().hex[:5]}"


@pytest.fixture(scope="module")
def api(minik: Minik) -> Iterator[Any]:
    """A ``kubernetes.client.ApiClient`` of the module's instance, configured by its kubeconfig."""
    config = pytest.importorskip("kubernetes.config", reason="the official client is in the test extras")
    with config.new_client_from_config(config_file=minik.run("kubeconfig").stdout.strip()) as api_client:
        yield api_client
