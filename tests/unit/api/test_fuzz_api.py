"""Raw API requests, fuzzed in-process: never a 5xx, always a Status, nothing stored when rejected.

The app is the real one (:func:`minik.api.create_app`) over a real SQLite
store in a temporary directory, with the real manifest layer for validation
and defaulting (only ``logs`` is faked). Requests go straight to the ASGI
callable through a small driver, so watch streams can be cut off by an
``http.disconnect`` after their first bytes instead of running for minutes.

Every reply must be < 500; every failure a ``v1`` ``Status`` whose ``code``
is the HTTP status; a rejected request (and every GET) must leave the store
exactly as it was. ``MINIK_FUZZ_EXAMPLES`` scales the long run (``tox -e
fuzz``); the default run uses 200 examples.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from minik import manifest
from minik.api import create_app
from minik.api.responses import MAX_BODY
from minik.k8s import Obj
from minik.registry import Registry

TOKEN = "fuzz-token"
VALID = Path(__file__).resolve().parents[2] / "fixtures" / "manifests" / "valid"
BASES = [d.obj for d in manifest.load([str(VALID)])]


class ManifestHooks:
    """The server's hooks minus the kubelet: real validation and defaulting, canned logs."""

    async def _lines(self) -> AsyncIterator[bytes]:
        yield b"a log line\n"

    def logs(self, pod: Obj, opts: Any) -> AsyncIterator[bytes]:
        return self._lines()


# -- the seed store -----------------------------------------------------------------------

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p1", "labels": {"app": "x"}},
    "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]},
}
JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "j1"},
    "spec": {
        "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}
    },
}
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm1"}, "data": {"k": "v"}}
SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1"}, "data": {"k": "dg=="}}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "svc1"},
    "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]},
}
SEED_OBJECTS = {"pods": POD, "jobs": JOB, "configmaps": CONFIGMAP, "secrets": SECRET, "services": SERVICE}


@pytest.fixture(scope="module")
def seed_db() -> Iterator[Path]:
    """A store file holding one object of each kind (copied afresh for every example)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seed.db"
        store = Registry.open(path)
        for resource, obj in SEED_OBJECTS.items():
            store.create(
                resource,
                manifest.default_object(copy.deepcopy(obj), uid="00000000-0000-0000-0000-000000000001"),
            )
        store.record_event(
            store.get("pods", "default", "p1"), type="Normal", reason="R", message="m", component="t"
        )
        store.create("namespaces", {"metadata": {"name": "other"}})
        store.close()
        yield path


def snapshot(path: Path) -> list[tuple[Any, ...]]:
    """Every committed row of the store, read through a second connection."""
    conn = sqlite3.connect(str(path))
    try:
        rows = conn.execute(
            "SELECT resource, namespace, name, rv, json FROM objects ORDER BY 1, 2, 3"
        ).fetchall()
        rows += conn.execute("SELECT key, value, '', 0, '' FROM counters ORDER BY key").fetchall()
        return rows
    finally:
        conn.close()


# -- an ASGI driver ------------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    finished: bool = False


async def call(
    app: Any, method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str], body: bytes
) -> Reply:
    """One request to the ASGI ``app``; a response still streaming after 50 ms is disconnected."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": quote(path, safe="/").encode(),
        "query_string": urlencode(query).encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode("latin-1", "replace")) for k, v in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 6443),
    }
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)] or [b""]
    reply = Reply()
    started, done, gone = anyio.Event(), anyio.Event(), anyio.Event()

    async def receive() -> dict[str, Any]:
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            reply.status = message["status"]
            reply.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
            started.set()
        elif message["type"] == "http.response.body":
            reply.body += message.get("body", b"")
            if not message.get("more_body", False):
                reply.finished = True
                done.set()

    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            tg.start_soon(app, scope, receive, send)
            await started.wait()
            with anyio.move_on_after(0.05):
                await done.wait()
            gone.set()
    return reply


# -- strategies ----------------------------------------------------------------------------

ODD_NAMES = st.one_of(
    st.sampled_from(
        [
            "p1",
            "j1",
            "cm1",
            "s1",
            "svc1",
            "default",
            "other",
            "..",
            ".",
            "a..b",
            "x" * 300,
            "UPPER",
            "-a",
            "a-",
            "ünïcödé",
            "名前",
            "a b",
            "a%2Fb",
            "\u202e",
            "nul\x00x",
            "emoji-😀",
            "..%2f..",
            "a;b",
        ]
    ),
    st.text(min_size=1, max_size=20).filter(lambda s: "/" not in s),
)
PLURALS = [
    "pods",
    "pods",
    "jobs",
    "jobs",
    "configmaps",
    "secrets",
    "services",
    "events",
    "namespaces",
    "nothings",
]
SEEDED = {
    "pods": "p1",
    "jobs": "j1",
    "configmaps": "cm1",
    "secrets": "s1",
    "services": "svc1",
    "namespaces": "other",
}
SUBRESOURCES = [None, None, None, None, "status", "status", "log", "exec", "..", ""]
ODD_PATHS = [
    "/",
    "/version",
    "/api",
    "/apis",
    "/openapi/v3",
    "/openapi/v3/x",
    "/apis/batch",
    "/api/v1",
    "/apis/batch/v1",
    "/healthz",
    "//",
    "/api/v2/pods",
    "/api/v1/pods/\n0",
    "/apis/batch/v1/jobs",
    "/api/v1/namespaces/default/pods/p1/log/extra/more",
    "/api/v1/namespaces",
]


def _one_in(draw: st.DrawFn, n: int) -> bool:
    """True with probability 1/n (hypothesis favours the bounds of integers(), so not that)."""
    return bool(draw(st.sampled_from([True] + [False] * (n - 1))))


@st.composite
def paths(draw: st.DrawFn) -> str:
    """Mostly well-formed resource paths naming seeded objects; sometimes odd ones."""
    if _one_in(draw, 16):
        return draw(st.sampled_from(ODD_PATHS))
    plural = draw(st.sampled_from(PLURALS))
    prefix = "/apis/batch/v1" if plural == "jobs" else "/api/v1"
    if _one_in(draw, 12):
        prefix = draw(st.sampled_from(["/api/v1", "/apis/batch/v1"]))
    parts = [prefix]
    if plural != "namespaces" and not _one_in(draw, 6):
        parts += [
            "namespaces",
            draw(st.one_of(st.sampled_from(["default", "default", "other", "gone"]), ODD_NAMES)),
        ]
    parts.append(plural)
    if not _one_in(draw, 3):
        parts.append(draw(st.one_of(st.just(SEEDED.get(plural, "x")), ODD_NAMES)))
        sub = draw(st.sampled_from(SUBRESOURCES))
        if sub is not None:
            parts.append(sub)
    return "/".join(parts)


SELECTOR_TEXT = st.one_of(
    st.sampled_from(
        [
            "a=b",
            "a!=b",
            "a in (x,y)",
            "a notin (x)",
            "!a",
            "a",
            "a==b",
            "a in (",
            "a in ()",
            ",",
            "=",
            "metadata.name=p1",
            "status.phase!=Running",
            "spec.nodeName=x",
            "a>1",
            "a gt 1",
            "(((",
            "a=b,,c",
            "x/y/z=a",
            "a=" + "b" * 70,
            "ü=ü",
        ]
    ),
    st.text(max_size=30),
)
QUERY = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["labelSelector", "fieldSelector"]), SELECTOR_TEXT),
        st.tuples(
            st.sampled_from(
                [
                    "resourceVersion",
                    "limit",
                    "timeoutSeconds",
                    "gracePeriodSeconds",
                    "tailLines",
                    "sinceSeconds",
                    "resourceVersionMatch",
                ]
            ),
            st.one_of(
                st.sampled_from(["0", "1", "-1", "999999999999999999999", "1e3", "abc", "", " 1", "٣"]),
                st.integers(-5, 10**6).map(str),
                st.text(max_size=6),
            ),
        ),
        st.tuples(
            st.sampled_from(["watch", "follow", "previous", "timestamps", "allowWatchBookmarks"]),
            st.sampled_from(["true", "false", "1", "0", "yes", "TRUE", ""]),
        ),
        st.tuples(
            st.just("continue"),
            st.one_of(
                st.sampled_from(["", "abc", "WzFd", "IjEi", "e30=", "W10=", "WyJhIiwxXQ=="]),
                st.text(max_size=12),
            ),
        ),
        st.tuples(
            st.sampled_from(
                [
                    "dryRun",
                    "fieldValidation",
                    "propagationPolicy",
                    "orphanDependents",
                    "container",
                    "fieldManager",
                    "pretty",
                ]
            ),
            st.one_of(
                st.sampled_from(
                    [
                        "All",
                        "Strict",
                        "Warn",
                        "Ignore",
                        "Orphan",
                        "Foreground",
                        "Background",
                        "true",
                        "c",
                        "nope",
                    ]
                ),
                st.text(max_size=8),
            ),
        ),
    ),
    max_size=4,
)

JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
KEYS = [
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "status",
    "data",
    "stringData",
    "name",
    "namespace",
    "labels",
    "finalizers",
    "ownerReferences",
    "propagationPolicy",
    "gracePeriodSeconds",
    "preconditions",
    "dryRun",
    "template",
    "containers",
    "op",
    "path",
    "value",
    "from",
    "$patch",
    "$retainKeys",
    "resourceVersion",
    "uid",
]


def _paths_in(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths_in(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths_in(v, (*path, i))
    return out


@st.composite
def mutated_objects(draw: st.DrawFn) -> Any:
    """A seed object or fixture manifest with a few nodes replaced, removed or retyped."""
    obj = copy.deepcopy(draw(st.sampled_from([*SEED_OBJECTS.values(), *BASES])))
    for _ in range(draw(st.integers(0, 3))):
        paths_ = [p for p in _paths_in(obj) if p]
        path = draw(st.sampled_from(paths_))
        node: Any = obj
        for part in path[:-1]:
            node = node[part]
        if draw(st.booleans()) and isinstance(node, dict):
            node.pop(path[-1], None)
        elif draw(st.booleans()) and isinstance(node, dict):
            node[draw(st.sampled_from(KEYS))] = draw(JSON_VALUE)
        else:
            node[path[-1]] = draw(JSON_VALUE)
    if _one_in(draw, 4) and isinstance(obj.get("metadata", {}), dict):
        obj.setdefault("metadata", {})["name"] = draw(ODD_NAMES)
    return obj


JSON_PATCH = st.lists(
    st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "bogus"])},
        optional={
            "path": st.sampled_from(
                [
                    "",
                    "/",
                    "/metadata/labels/a",
                    "/spec/x",
                    "/metadata/name",
                    "/status/phase",
                    "/metadata/finalizers/-",
                    "/spec/containers/0/image",
                    "/a~1b",
                    "/~2",
                    "/0",
                    "/metadata/labels/../x",
                    "/spec/template/spec/containers/99",
                ]
            ),
            "from": st.sampled_from(["/metadata", "/spec", "", "/nope"]),
            "value": JSON_VALUE,
        },
    ),
    max_size=4,
)


def _laughs(levels: int = 7) -> bytes:
    """A YAML alias bomb: ten references per level, 10**levels values once expanded."""
    lines = [b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        refs = b", ".join([b"*a%d" % (i - 1)] * 10)
        lines.append(b"a%d: &a%d [%s]" % (i, i, refs))
    return b"\n".join(lines) + b"\n"


def _deep(n: int, kind: str) -> bytes:
    if kind == "list":
        return b"[" * n + b"]" * n
    return b'{"a":' * n + b"1" + b"}" * n


BODIES = st.one_of(
    mutated_objects().map(lambda o: json.dumps(o).encode()),
    JSON_VALUE.map(lambda v: json.dumps(v).encode()),
    JSON_PATCH.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
    st.text(max_size=64).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [
            b"",
            b"null",
            b"{",
            b'{"metadata":[]}',
            b'{"metadata":{"name":5}}',
            b"\xff\xfe",
            b'{"a": NaN}',
            b'{"a": Infinity}',
            b"1e999999",
            b'"\\ud800"',
            b'{"kind":"Status"}',
            b"a: 2024-01-01\nb: !!binary aGk=\n",
            b"&a [*a, *a]",
            b"a: &x [1]\nb: *x\n",
            b"!!python/object:os.system {}",
            b"- - - - -\n",
            b"kind: Job\nmetadata: {name: y}\n",
        ]
    ),
    st.just(b'{"metadata":{"name":"big"},"data":{"a":"' + b"x" * MAX_BODY + b'"}}'),
    st.sampled_from([10, 200, 1000, 100_000]).flatmap(
        lambda n: st.sampled_from([_deep(n, "list"), _deep(n, "dict")])
    ),
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json",
        "application/json",
        "application/merge-patch+json",
        "application/yaml",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
        "application/json-patch+json",
        "application/apply-patch+yaml",
        "text/plain",
        "",
        "application/json; charset=utf-8",
        "multipart/form-data; boundary=x",
        "application/vnd.kubernetes.protobuf",
        "*/*",
        "application/json;;;",
    ]
)
METHODS = st.sampled_from(
    [
        "GET",
        "GET",
        "GET",
        "POST",
        "POST",
        "POST",
        "PUT",
        "PUT",
        "PATCH",
        "PATCH",
        "PATCH",
        "DELETE",
        "DELETE",
        "HEAD",
        "OPTIONS",
        "TRACE",
    ]
)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    content_type: str
    body: bytes

    def __repr__(self) -> str:
        body = self.body if len(self.body) <= 120 else self.body[:120] + b"...(%d bytes)" % len(self.body)
        return f"Request({self.method} {self.path!r} {self.query!r} {self.content_type!r} {body!r})"


WILD = st.builds(Request, METHODS, paths(), QUERY, CONTENT_TYPES, BODIES)
KIND_OF = {
    "Pod": "pods",
    "Job": "jobs",
    "ConfigMap": "configmaps",
    "Secret": "secrets",
    "Service": "services",
}


@st.composite
def plausible(draw: st.DrawFn) -> Request:
    """A request a client could mean: the right verb on the right path with a nearly valid body."""
    obj = draw(mutated_objects())
    kind = obj.get("kind") if isinstance(obj, dict) else None
    plural = KIND_OF.get(kind, "pods") if isinstance(kind, str) else "pods"
    base = ("/apis/batch/v1" if plural == "jobs" else "/api/v1") + f"/namespaces/default/{plural}"
    verb = draw(st.sampled_from(["create", "replace", "merge", "strategic", "json-patch", "delete", "list"]))
    item = f"{base}/{SEEDED[plural]}" + draw(st.sampled_from(["", "", "", "/status"]))
    query = draw(QUERY) if _one_in(draw, 3) else []
    if verb == "create":
        return Request("POST", base, query, "application/json", json.dumps(obj).encode())
    if verb == "replace":
        return Request("PUT", item, query, "application/json", json.dumps(obj).encode())
    if verb in ("merge", "strategic"):
        patch = draw(JSON_VALUE) if _one_in(draw, 3) else obj
        ctype = f"application/{verb.replace('merge', 'merge-patch').replace('strategic', 'strategic-merge-patch')}+json"
        return Request(
            "PATCH",
            item,
            query,
            ctype.replace("strategic-merge-patch-patch", "strategic-merge-patch"),
            json.dumps(patch).encode(),
        )
    if verb == "json-patch":
        return Request(
            "PATCH", item, query, "application/json-patch+json", json.dumps(draw(JSON_PATCH)).encode()
        )
    if verb == "delete":
        return Request("DELETE", draw(st.sampled_from([item, base])), query, "application/json", draw(BODIES))
    return Request("GET", draw(st.sampled_from([item, base])), draw(QUERY), "", b"")


REQUESTS = st.one_of(plausible(), WILD)


# -- the property ------------------------------------------------------------------------------


def _is_watch(req: Request) -> bool:
    if req.method != "GET":
        return False
    return any(k == "watch" and v.lower() in ("true", "1") for k, v in req.query) or req.path.endswith("/log")


def check_reply(req: Request, reply: Reply) -> None:
    """The invariants of one reply (see the module docstring)."""
    assert reply.status, f"no response to {req}"
    assert reply.status < 500, f"{reply.status} for {req!r}: {reply.body[:300]!r}"
    if reply.status >= 400:
        assert reply.finished, f"unfinished error reply to {req}"
        status = json.loads(reply.body)
        assert status["kind"] == "Status" and status["apiVersion"] == "v1", status
        assert status["status"] == "Failure" and status["code"] == reply.status, status
        assert isinstance(status["message"], str) and status["reason"], status
        return
    if req.method == "HEAD" or not reply.body:
        return
    if not reply.headers.get("content-type", "").startswith("application/json"):
        return
    if reply.finished and b"\n" not in reply.body.strip():
        assert isinstance(json.loads(reply.body), dict)  # one object (a GET of an item ignores watch)
        return
    assert _is_watch(req), f"a streamed reply to {req!r}"
    lines = reply.body.splitlines()
    if not reply.finished and not reply.body.endswith(b"\n"):
        lines = lines[:-1]  # cut off mid-line by the disconnect
    for line in lines:
        value = json.loads(line)
        assert value["type"] in ("ADDED", "MODIFIED", "DELETED", "ERROR", "BOOKMARK"), value
        assert isinstance(value["object"], dict), value


async def run_one(seed: Path, req: Request) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "minik.db"
        shutil.copy(seed, path)
        store = Registry.open(path)
        try:
            app = create_app(store=store, token=TOKEN, hooks=ManifestHooks())
            before = snapshot(path)
            headers = {"authorization": f"Bearer {TOKEN}", "content-length": str(len(req.body))}
            if req.content_type:
                headers["content-type"] = req.content_type
            reply = await call(app, req.method, req.path, req.query, headers, req.body)
            check_reply(req, reply)
            assert store.store._depth == 0, "a transaction was left open"
            if reply.status >= 400 or req.method in ("GET", "HEAD"):
                assert snapshot(path) == before, f"{req} changed the store but answered {reply.status}"
            store.list("pods", None)  # still usable
            return reply.status
        finally:
            store.close()


def _run(seed: Path, req: Request) -> int:
    return anyio.run(run_one, seed, req)


FUZZ_SETTINGS = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
}


@settings(max_examples=200, **FUZZ_SETTINGS)  # type: ignore[arg-type]
@given(req=REQUESTS)
def test_fuzzed_requests_get_a_status_and_never_a_5xx(seed_db: Path, req: Request) -> None:
    event(f"{req.method} -> {_run(seed_db, req)}")


@pytest.mark.fuzz
@settings(max_examples=int(os.environ.get("MINIK_FUZZ_EXAMPLES", "200")), **FUZZ_SETTINGS)  # type: ignore[arg-type]
@given(req=REQUESTS)
def test_fuzzed_requests_long_run(seed_db: Path, req: Request) -> None:
    event(f"{req.method} -> {_run(seed_db, req)}")


# -- fixed cases the fuzzer found or must always cover ---------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "ctype", "body"),
    [
        ("POST", "/api/v1/namespaces/default/pods", "application/json", _deep(100_000, "list")),
        ("POST", "/api/v1/namespaces/default/pods", "application/json", _deep(100_000, "dict")),
        (
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/yaml",
            b"metadata: {name: d}\ndata: {a: 2024-01-01}\n",
        ),
        ("POST", "/api/v1/namespaces/default/pods", "application/json", b'{"a": NaN}'),
        ("POST", "/api/v1/namespaces/default/configmaps", "application/yaml", _laughs()),
        ("POST", "/api/v1/namespaces/default/configmaps", "application/yaml", b"&a [*a, *a]"),
        ("POST", "/api/v1/namespaces/default/pods", "application/json", b"x" * (MAX_BODY + 1)),
        ("PATCH", "/api/v1/namespaces/default/pods/p1", "text/plain", b"{}"),
        ("PATCH", "/api/v1/namespaces/default/pods/p1", "application/json-patch+json", b'[{"op":"bogus"}]'),
        ("DELETE", "/api/v1/namespaces/default/pods/p1", "application/json", b'{"gracePeriodSeconds":"x"}'),
        ("GET", "/api/v1/pods", "", b""),
    ],
    ids=[
        "deep-list",
        "deep-dict",
        "yaml-date",
        "nan",
        "yaml-alias-bomb",
        "yaml-recursive",
        "too-large",
        "patch-text-plain",
        "json-patch-bogus-op",
        "delete-grace-string",
        "list-all",
    ],
)
def test_known_bad_requests_are_rejected_cleanly(
    seed_db: Path, method: str, path: str, ctype: str, body: bytes
) -> None:
    _run(seed_db, Request(method, path, [], ctype, body))


@pytest.mark.parametrize(
    "query",
    [
        [("continue", "IjEi")],
        [("continue", "WzFd")],
        [("continue", "WyJhIiwxXQ==")],
        [("continue", "e30=")],
        [("labelSelector", "a in (")],
        [("fieldSelector", "spec.nope=x")],
        [("limit", "abc")],
        [("watch", "true"), ("resourceVersion", "abc")],
        [("watch", "true"), ("resourceVersion", "1"), ("timeoutSeconds", "x")],
    ],
)
def test_bad_query_parameters_are_400s(seed_db: Path, query: list[tuple[str, str]]) -> None:
    _run(seed_db, Request("GET", "/api/v1/namespaces/default/pods", query, "", b""))
