"""What the runtime holds of a pod, read back from its containers' labels and state.

Pure: :func:`observe` turns the engine's record of a pod's containers
(each labelled with its pod, container name and attempt) into the pod's
sandbox and each container's runs, oldest first — the same view a worker
keeps while it runs the pod, so a worker that starts after a server
restart continues from where the runtime is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from minik.kubelet import labels
from minik.kubelet.pod.actions import EXITED, RUNNING, Run
from minik.kubelet.runtime import ContainerInfo

LIVE = ("running", "paused", "restarting")


@dataclass
class Observed:
    sandbox: ContainerInfo | None = None  # the latest sandbox, running or not
    runs: dict[str, list[Run]] = field(default_factory=dict)  # container name → its runs, oldest first
    infos: dict[str, ContainerInfo] = field(default_factory=dict)  # container id → what the engine said
    never_started: list[ContainerInfo] = field(default_factory=list)  # created, never started: removed


def as_run(info: ContainerInfo) -> Run | None:
    """One container as a run; None for one created but never started (a kill between the two)."""
    attempt = labels.attempt(info.labels)
    if info.status in LIVE:
        return Run(attempt, RUNNING, cid=info.id, started_at=info.started_at, image=info.image)
    if info.status == "created" and not info.error:
        return None
    # exited or dead; a "created" one with an error failed to start (exit 128, StartError)
    code = info.exit_code if info.status != "created" else (info.exit_code or 128)
    return Run(
        attempt,
        EXITED,
        cid=info.id,
        exit_code=code,
        started_at=info.started_at,
        finished_at=info.finished_at,
        image=info.image,
    )


def observe(found: list[ContainerInfo]) -> Observed:
    out = Observed()
    for info in sorted(found, key=lambda c: labels.attempt(c.labels)):
        name = info.labels.get(labels.CONTAINER, "")
        if name == labels.SANDBOX:
            out.sandbox = info
            continue
        run = as_run(info)
        if run is None:
            out.never_started.append(info)
            continue
        out.infos[info.id] = info
        out.runs.setdefault(name, []).append(run)
    return out
