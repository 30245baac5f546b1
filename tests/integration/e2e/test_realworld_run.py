"""Issue 18: real-world-shaped manifests from ``tests/fixtures/realworld/`` run end to end, unchanged.

Each file is applied as a user would (``minik create -f`` when its objects
only have ``generateName``), then every Job in it must reach Complete, every
bare Pod must run, and every CronJob must be scheduled; the file is deleted
again with ``minik delete -f``. The images the files name (``busybox:1.36``,
``alpine:3.20``) are offline stand-ins tagged by ``scripts/ensure-images.sh``.
The unit suite checks all the corpus with ``--dry-run=client``; these run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import ROOT, Minik, eventually

CORPUS = ROOT / "tests" / "fixtures" / "realworld"
# Files whose containers need only a shell: they run offline with the stand-ins.
RUNNABLE = [
    "cronjob-cleanup-v1",
    "debug-pod",
    "downward-api-labels",
    "ephemeral-storage-limits",
    "indexed-with-headless-service",
    "kube-system-maintenance",
    "list-wrapped-job",
    "memory-scratch-space",
    "multi-namespace-setup",
    "no-token-automount",
    "placement-hints",
    "script-from-configmap",
    "seccomp-runtime-default",
    "success-policy-leader",
    "ttl-cleanup-job",
]


def objects(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for doc in yaml.safe_load_all(path.read_text()):
        if not doc:
            continue
        out.extend(doc.get("items") or [] if doc.get("kind") == "List" else [doc])
    return out


def verb(path: Path) -> str:
    generated = [
        o for o in objects(path) if o["metadata"].get("generateName") and not o["metadata"].get("name")
    ]
    return "create" if generated else "apply"


def test_the_corpus_list_names_files_that_exist() -> None:
    assert len(RUNNABLE) >= 12
    for name in RUNNABLE:
        path = CORPUS / f"{name}.yaml"
        assert path.read_text().startswith("# expect: accept"), name


def test_a_dozen_real_world_files_run_end_to_end(minik: Minik) -> None:
    paths = [CORPUS / f"{name}.yaml" for name in RUNNABLE]
    for path in paths:
        minik.run(verb(path), "-f", str(path))
    try:
        for path in paths:
            for obj in objects(path):
                kind, meta = obj["kind"], obj["metadata"]
                ns = meta.get("namespace", "default")
                if kind == "Job" and meta.get("name"):
                    res = minik.run(
                        "wait", "--for=condition=complete", f"job/{meta['name']}", "-n", ns, "--timeout=120s",
                        check=False,
                    )  # fmt: skip
                    assert res.returncode == 0, (
                        f"{path.name}: job/{meta['name']} did not complete: {res.stderr}"
                    )
                elif kind == "Pod":

                    def running(name: str = meta["name"], ns: str = ns) -> bool:
                        phase = minik.json("get", "pod", name, "-n", ns).get("status", {}).get("phase")
                        return phase in ("Running", "Succeeded")

                    eventually(f"{path.name}: pod/{meta['name']} running", running, timeout=120)
                elif kind == "CronJob":
                    cj = minik.json("get", "cronjob", meta["name"], "-n", ns)
                    assert cj["spec"]["schedule"], path.name
    finally:
        for path in reversed(paths):
            minik.run("delete", "-f", str(path), "--wait=false", check=False)


@pytest.fixture(autouse=True)
def _stand_ins(docker_client: Any) -> None:
    """The tags the files name must exist (scripts/ensure-images.sh makes them)."""
    for tag in ("busybox:1.36", "alpine:3.20"):
        docker_client.images.get(tag)
