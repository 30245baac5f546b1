"""A fresh registry and API app per test, with fake rules (no manifest layer) and fake hooks (no kubelet)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from minik.api import create_app
from minik.errors import FieldError
from minik.logoptions import LogOptions
from minik.registry import Registry

TOKEN = "s3cret"


class FakeRules:
    """The registry's rules: defaulting adds a label; validation rejects image "bad" and unknown field "bogus"."""

    def validate(self, obj: dict, old: dict | None) -> tuple[list[FieldError], list[FieldError]]:
        errors, warnings = [], []
        spec = obj.get("spec") or {}
        if "bogus" in spec:
            errors.append(FieldError(path="spec.bogus", reason="Unknown field"))
        containers = ((spec.get("template") or {}).get("spec") or spec).get("containers") or []
        for i, c in enumerate(containers):
            if c.get("image") == "bad":
                errors.append(
                    FieldError(path=f"spec.template.spec.containers[{i}].image", reason="Required value")
                )
            if c.get("image") == "latest":
                warnings.append(
                    FieldError(path=f"containers[{i}].image", reason="image uses latest", warning=True)
                )
        if old is not None and old.get("spec", {}).get("completions") != spec.get("completions"):
            errors.append(
                FieldError(path="spec.completions", reason="Invalid value", detail="2: field is immutable")
            )
        return errors, warnings

    def default(self, obj: dict, uid: str | None) -> dict:
        obj.setdefault("metadata", {}).setdefault("labels", {})["defaulted"] = "true"
        if uid and obj.get("kind") == "Job":
            obj["metadata"]["labels"]["controller-uid"] = uid
        return obj


class FakeHooks:
    """The kubelet's logs, canned."""

    def __init__(self) -> None:
        self.logs_calls: list[dict[str, Any]] = []
        self.log_data = b"line 1\nline 2\n"

    async def _logs(self) -> AsyncIterator[bytes]:
        for line in self.log_data.splitlines(keepends=True):
            yield line

    def logs(self, pod: dict, opts: LogOptions) -> AsyncIterator[bytes]:
        self.logs_calls.append({"pod": pod["metadata"]["name"], **dataclasses.asdict(opts)})
        return self._logs()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Registry]:
    s = Registry.open(tmp_path / "minik.db", rules=FakeRules())
    yield s
    s.close()


@pytest.fixture
def hooks() -> FakeHooks:
    return FakeHooks()


@pytest.fixture
def client(store: Registry, hooks: FakeHooks) -> Iterator[TestClient]:
    app = create_app(store=store, token=TOKEN, hooks=hooks)
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


JOBS = "/apis/batch/v1/namespaces/default/jobs"
PODS = "/api/v1/namespaces/default/pods"


def a_job(name: str = "j", **spec: Any) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "completions": 1,
            "template": {
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}
            },
            **spec,
        },
    }


def a_pod(name: str = "p", containers: list[dict] | None = None, **extra: Any) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": containers or [{"name": "c", "image": "busybox"}], **extra},
    }
