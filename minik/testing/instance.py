"""A private minik instance for a test session, and the handle tests use.

Owns: the instance's temporary state directory (never the user's own
``MINIK_HOME``), starting its server as the CLI does
(:func:`minik.cli.server_ctl.start`) and deleting it as ``minik server
delete`` does (``python -P -m minik.server delete`` in a subprocess: this
package, like the CLI, never touches Docker), and :class:`Minik`, the
handle's verbs (apply, delete, get, describe, logs, wait, kubectl, the
official client). Each verb runs the CLI's own command in-process, so a test
sees exactly what a user of ``minik`` sees (file:line:col manifest errors,
kubectl's describe). Does not know pytest: :mod:`minik.testing.plugin` does.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minik.errors import MinikError, NotFound, UsageError, WaitImpossible
from minik.k8s import Obj, meta

START_TIMEOUT = 60.0
"""How long the fixture waits for its server: more than the CLI's 10 s, for a CI engine under load."""

Source = str | os.PathLike[str] | Mapping[str, Any] | Sequence[Mapping[str, Any]]
"""What :meth:`Minik.apply` takes: a file or directory, YAML text, one object or a list of objects."""


class CommandFailed(MinikError):
    """A ``minik`` (or ``kubectl``) command run for a test exited non-zero; the message carries its stderr."""

    def __init__(self, argv: Sequence[str], code: int, out: str, err: str) -> None:
        self.argv = list(argv)
        self.code = code
        self.out = out
        self.err = err
        detail = err.strip() or out.strip() or "(no output)"
        super().__init__(f"`{' '.join(self.argv)}` exited {code}:\n{detail}")


@dataclass
class Record:
    """A Job a test applied (for the failure report)."""

    test: str
    namespace: str
    name: str


def _current_test() -> str:
    """The running test's node id, from pytest's ``PYTEST_CURRENT_TEST`` (``""`` outside a test)."""
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]


@dataclass
class Session:
    """One private instance: its state directory, server and everything it ran; :meth:`close` removes it all."""

    root: Path
    """The temporary directory that holds the state directory (``home``) and applied manifests."""
    env: dict[str, str] = field(default_factory=dict, repr=False)
    records: list[Record] = field(default_factory=list, repr=False)
    _client: Any = field(default=None, repr=False)
    _files: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @classmethod
    def start(cls, *, prefix: str = "minik-pytest-") -> Session:
        """Make a temporary state directory and start its server (about a second)."""
        root = Path(tempfile.mkdtemp(prefix=prefix))  # mode 0700, as a state directory must be
        session = cls(root=root, env=dict(os.environ, MINIK_HOME=str(root / "home")))
        session.env["KUBECONFIG"] = str(session.home / "kubeconfig")
        try:
            with session.scoped():
                from minik.cli import server_ctl

                info = server_ctl.start(timeout=START_TIMEOUT)
                client = server_ctl.make_client(info)
                client.reconnect = None  # never autostart: a dead server is a test failure
                session._client = client
        except BaseException as exc:
            try:
                session.close()
            except MinikError as cleanup:  # keep the start's own error the one reported
                exc.add_note(str(cleanup))
            raise
        return session

    @contextlib.contextmanager
    def scoped(self) -> Iterator[None]:
        """``MINIK_HOME`` names this instance while the CLI's code runs (``minik.paths`` reads it per call)."""
        old = os.environ.get("MINIK_HOME")
        os.environ["MINIK_HOME"] = self.env["MINIK_HOME"]
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("MINIK_HOME", None)
            else:
                os.environ["MINIK_HOME"] = old

    def client(self) -> Any:
        if self._client is None:
            raise MinikError("the minik test instance is closed")
        return self._client

    def manifest_file(self, text: str) -> Path:
        folder = self.root / "manifests"
        folder.mkdir(exist_ok=True)
        path = folder / f"apply-{next(self._files)}.yaml"
        path.write_text(text)
        return path

    def close(self, *, keep: bool = False) -> None:
        """Stop the server; unless ``keep``, remove every Docker object of the instance and the directory.

        Deletion is ``python -P -m minik.server delete`` for this state
        directory, exactly ``minik server delete``: containers, volumes and
        the network by the instance's label, then the state directory.
        """
        if self._client is not None:
            self._client.close()
            self._client = None
        if keep:
            return
        from minik.cli import server_ctl

        if self.home.exists():
            with self.scoped():
                argv, env = server_ctl.server_command("delete")
            env["MINIK_HOME"] = str(self.home)
            res = subprocess.run(
                argv, env=env, cwd="/", stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
            )
            if res.returncode != 0:
                tail = "\n".join((res.stderr or res.stdout).strip().splitlines()[-3:])
                raise MinikError(
                    f"could not delete the minik test instance in {self.home} (exit code {res.returncode}):\n"
                    f"{tail}\nit is kept; remove it later with: MINIK_HOME={self.home} minik server delete"
                )
        shutil.rmtree(self.root, ignore_errors=True)

    def how_to_reach(self) -> str:
        """What ``--minik-keep`` prints: how to look at a kept instance, and how to remove it."""
        home = self.home
        return "\n".join(
            [
                f"minik kept its test instance in {home}; to look at it:",
                f"  export MINIK_HOME={home}",
                "  minik get jobs -A; minik describe job/NAME -n NS; minik logs job/NAME -n NS",
                f"  KUBECONFIG={home / 'kubeconfig'} kubectl get pods -A",
                f"and to remove it (containers, volumes, network, state): MINIK_HOME={home} minik server delete",
            ]
        )


def _target(target: str, name: str | None) -> tuple[str, str | None]:
    """``("job/x", None)``, ``("job", "x")``, ``("jobs", None)`` → (kind word, name or None)."""
    if name is not None:
        return target, name
    kind, sep, rest = target.partition("/")
    return (kind, rest) if sep else (kind, None)


@dataclass
class Minik:
    """A test's handle on the session's instance, bound to one namespace (``default`` unless a view).

    Every method raises :class:`CommandFailed` (or another
    :class:`~minik.errors.MinikError`) when minik refuses; nothing here
    starts a second server.
    """

    session: Session
    namespace: str = "default"

    def __repr__(self) -> str:
        return f"Minik(home={str(self.home)!r}, namespace={self.namespace!r})"

    # -- where it is ------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        """The instance's state directory (``MINIK_HOME``)."""
        return self.session.home

    @property
    def kubeconfig(self) -> Path:
        """The kubeconfig for real kubectl and the official client (user ``minik``, the API's own CA)."""
        return self.session.home / "kubeconfig"

    @property
    def env(self) -> dict[str, str]:
        """An environment for subprocesses: ``MINIK_HOME`` and ``KUBECONFIG`` name this instance."""
        return dict(self.session.env)

    def in_namespace(self, namespace: str) -> Minik:
        """The same instance with another default namespace."""
        return Minik(self.session, namespace)

    # -- the CLI, in-process --------------------------------------------------------------
    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``minik ARGS`` in this process against this instance; output captured.

        ``-n NAMESPACE`` is added for commands that take it unless ``args``
        carry ``-n``, ``--namespace`` or ``-A``.
        """
        from minik.cli.common import Ctx
        from minik.cli.main import main

        argv = list(args)
        if _takes_namespace(argv):
            argv += ["-n", self.namespace]
        out, err = io.StringIO(), io.StringIO()
        session = self.session
        ctx = Ctx(out=out, err=err, connect=session.client)
        with session.scoped():
            code = main(argv, ctx=ctx)
        res = subprocess.CompletedProcess(["minik", *argv], code, out.getvalue(), err.getvalue())
        if check and code != 0:
            raise CommandFailed(res.args, code, res.stdout, res.stderr)
        return res

    # -- verbs ------------------------------------------------------------------------------
    def apply(self, source: Source) -> list[Obj]:
        """``minik apply -f`` a file or directory, YAML text, an object or a list of them; the stored objects."""
        path = self._file(source)
        res = self.cli("apply", "-f", str(path), "-o", "json")
        body = json.loads(res.stdout)
        objs: list[Obj] = body.get("items", []) if body.get("kind") == "List" else [body]
        test = _current_test()
        for o in objs:
            if o.get("kind") == "Job":
                m = meta(o)
                self.session.records.append(
                    Record(test, m.get("namespace") or self.namespace, m.get("name", ""))
                )
        return objs

    def delete(self, source: Source | None = None, *, target: str | None = None, wait: bool = True) -> None:
        """``minik delete -f SOURCE`` or ``minik delete TYPE/NAME`` (``target=``); waits until gone unless ``wait=False``."""
        if (source is None) == (target is None):
            raise UsageError("delete needs a source or target=TYPE/NAME")
        what = ["-f", str(self._file(source))] if source is not None else [str(target)]
        self.cli("delete", *what, f"--wait={'true' if wait else 'false'}")

    def get(self, target: str, name: str | None = None, *, selector: str | None = None) -> Any:
        """One object (``"job/pi"`` or ``("job", "pi")``) or, without a name, the list of items (``"pods"``).

        ``selector`` filters a list by labels, as ``-l`` does (``"job-name=pi"``).
        """
        from minik.cli.kinds import lookup

        kind, obj_name = _target(target, name)
        resource = lookup(kind)
        ns = self.namespace if resource.namespaced else None
        with self.session.scoped():
            query = {"labelSelector": selector} if selector and obj_name is None else None
            body = self.session.client().get(resource.path(ns, obj_name), query)
        return body if obj_name is not None else list(body.get("items") or [])

    def describe(self, target: str, name: str | None = None) -> str:
        """``minik describe`` (kubectl's text)."""
        kind, obj_name = _target(target, name)
        return self.cli("describe", kind if obj_name is None else f"{kind}/{obj_name}").stdout

    def logs(self, target: str, *, container: str | None = None, all_containers: bool = False) -> str:
        """``minik logs TARGET``: a pod's, or every pod of ``job/NAME`` prefixed ``[pod/NAME/container]``."""
        extra = (["-c", container] if container else []) + (["--all-containers"] if all_containers else [])
        return self.cli("logs", target, *extra).stdout

    def wait(self, target: str, condition: str | None = "Complete", *, timeout: float = 60.0) -> Obj:
        """Wait until ``condition`` is True on the object; the object as it is then.

        ``condition=None`` waits until a Job is finished either way
        (Complete or Failed). Waiting for ``Complete`` on a Job that Failed
        (or the reverse) raises :class:`~minik.errors.WaitImpossible` at
        once, with the Job's reason; a timeout raises
        :class:`~minik.errors.WaitTimeout`.
        """
        from minik.cli.cmd_wait import parse_for, wait_one
        from minik.cli.common import Ctx
        from minik.cli.kinds import lookup

        kind, name = _target(target, None)
        if name is None:
            kind, name = "job", kind
        resource = lookup(kind)
        cond = parse_for(f"condition={condition or 'Complete'}")
        session = self.session
        ctx = Ctx(namespace=self.namespace, out=io.StringIO(), err=io.StringIO(), connect=session.client)
        with session.scoped():
            try:
                wait_one(ctx, resource, name, cond, timeout=timeout, deadline=time.monotonic() + timeout)
            except WaitImpossible:
                if condition is not None:
                    raise
            obj: Obj = session.client().get(resource.path(self.namespace, name))
        return obj

    def kubectl(
        self, *args: str, check: bool = True, input: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Real ``kubectl ARGS`` with this instance's kubeconfig (``--namespace`` first, so yours wins).

        Without kubectl on ``PATH``, the same arguments go to ``minik``'s
        CLI, which speaks kubectl's subset that minik implements.
        """
        exe = shutil.which("kubectl")
        if exe is None:
            return self.cli(*args, check=check)
        argv = [exe, f"--namespace={self.namespace}", *args]
        res = subprocess.run(
            argv, env=self.env, capture_output=True, text=True, input=input, timeout=timeout, check=False
        )
        if check and res.returncode != 0:
            raise CommandFailed(["kubectl", *args], res.returncode, res.stdout, res.stderr)
        return res

    def api_client(self) -> Any:
        """The official ``kubernetes`` client's ``ApiClient``, configured for this instance.

        Needs the ``kubernetes`` package (``pip install kubernetes``); close
        it (or use it as a context manager) when done.
        """
        import importlib

        try:
            config = importlib.import_module("kubernetes.config")
        except ImportError:
            raise MinikError("api_client() needs the official client: pip install kubernetes") from None
        return config.new_client_from_config(config_file=str(self.kubeconfig))

    # -- namespaces -------------------------------------------------------------------------
    def create_namespace(self, name: str) -> Minik:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        with self.session.scoped():
            self.session.client().request("POST", "/api/v1/namespaces", body=body)
        return self.in_namespace(name)

    def delete_namespace(self, name: str) -> None:
        """Delete a namespace without waiting (the server removes what is in it in the background)."""
        with self.session.scoped(), contextlib.suppress(NotFound):
            self.session.client().request("DELETE", f"/api/v1/namespaces/{name}")

    # -- helpers ----------------------------------------------------------------------------
    def _file(self, source: Source | None) -> Path:
        if isinstance(source, os.PathLike):
            return Path(source)
        if isinstance(source, str):
            if "\n" not in source and os.path.exists(source):
                return Path(source)
            return self.session.manifest_file(source)
        if isinstance(source, Mapping):
            return self.session.manifest_file(json.dumps(source))
        if isinstance(source, Sequence):
            return self.session.manifest_file("\n---\n".join(json.dumps(o) for o in source))
        raise UsageError(f"cannot apply {type(source).__name__}: give a path, YAML text, a dict or a list")


_NO_NAMESPACE = frozenset({"server", "kubeconfig"})


def _takes_namespace(argv: list[str]) -> bool:
    if not argv or argv[0] in _NO_NAMESPACE or argv[0].startswith("-"):
        return False
    return not any(
        a in ("-n", "-A", "--all-namespaces") or a.startswith(("--namespace", "-n=")) for a in argv
    )
