"""``python -m minik.server delete [--all]``: minik's ``kind delete cluster``.

Removes an instance whole: its server (stopped at once, no drain), every
container, volume and network carrying its ``minik.io/instance`` label, and
its state directory. Docker's labels are the truth, so it works when the
server is down and when the store is damaged; ``--all`` does it for every
instance that a minik-labelled Docker object names, including those whose
state directory is gone (an instance network records its directory in
``minik.io/home``). Prints one line per object removed.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from minik import paths, process
from minik.errors import MinikError
from minik.kubelet.runtime.docker.api import MANAGED_LABEL, DockerAPI

INSTANCE = "minik.io/instance"
HOME = "minik.io/home"
_INSTANCE_ID = re.compile(r"[0-9a-f]{4,32}")
# What a state directory may hold (see minik.paths); anything else and it is left in place.
_STATE_FILES = re.compile(
    r"(minik\.db(-wal|-shm|-journal)?|tls(-pods)?\.(crt|key)|sa\.key|server\.(json|log(\.\d+)?|lock)|token|kubeconfig|instance"
    r"|pods|proxy|\..*\.tmp)"
)


def instance_of(home: Path) -> str | None:
    """The instance id written in ``home`` (``None`` when missing or malformed)."""
    try:
        value = (home / "instance").read_text().strip()
    except OSError:
        return None
    return value if _INSTANCE_ID.fullmatch(value) else None


def remove_state_dir(home: Path, say: Callable[[str], None]) -> None:
    """Remove a state directory; one that also holds files minik did not make loses minik's files only.

    A user's files in ``MINIK_HOME`` (``seccomp/`` profiles, anything else)
    stay with the directory; the token, key, store, log and the rest of
    minik's own files go either way. Links are removed, never followed.
    """
    if home.is_symlink() or not home.is_dir():
        return
    entries = sorted(home.iterdir())
    strangers = [p.name for p in entries if not _STATE_FILES.fullmatch(p.name)]
    if not strangers:
        shutil.rmtree(home)
        say(f"removed state directory {home}")
        return
    for entry in entries:
        if not _STATE_FILES.fullmatch(entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink(missing_ok=True)
    more = f", … ({len(strangers)} in all)" if len(strangers) > 3 else ""
    say(f"removed minik's files from {home} and kept the directory: it holds files minik did not make "
        f"({', '.join(strangers[:3])}{more})")  # fmt: skip


async def delete_instance(
    docker: DockerAPI, instance: str | None, home: Path | None, say: Callable[[str], None]
) -> None:
    if home is not None and process.stop_now(home):
        say(f"stopped the minik server of {home}")
    if instance is not None:
        names: list[str] = []
        await docker.remove_labelled({INSTANCE: instance}, names=names)
        for n in names:
            say(f"removed {n}")
    if home is not None:
        remove_state_dir(home, say)


def _all_scope() -> Path | None:
    """Test-only ``MINIK_DELETE_ALL_UNDER``: ``--all`` keeps to instances whose home is under it.

    The integration suite sets it so that its ``--all`` test cannot remove
    another run's instances sharing the engine; users never need it.
    """
    raw = os.environ.get("MINIK_DELETE_ALL_UNDER")
    return Path(raw).resolve() if raw else None


async def delete(*, everything: bool, say: Callable[[str], None]) -> int:
    docker = DockerAPI()
    await docker.ping()
    found = await docker.label_values({MANAGED_LABEL: "true"}, INSTANCE)
    here = paths.home()
    targets: dict[str, Path | None] = {}
    mine = instance_of(here)
    if mine is None:  # a damaged or half-deleted directory: its network may still name it
        mine = next((i for i, lab in found.items() if lab.get(HOME) == str(here)), None)
    if everything:
        scope = _all_scope()
        for inst, labels in found.items():
            home = Path(labels[HOME]) if labels.get(HOME) else None
            if scope is not None and (home is None or not home.resolve().is_relative_to(scope)):
                continue
            targets[inst] = home if home is not None and instance_of(home) == inst else None
    key = mine or ""
    targets[key] = here
    for inst, home in targets.items():
        await delete_instance(docker, inst or None, home, say)
    n = len([i for i in targets if i])
    say(f"deleted {n} minik instance{'s' if n != 1 else ''}")
    return 0


def main(argv: list[str]) -> int:
    import anyio

    everything = "--all" in argv
    if [a for a in argv if a != "--all"]:
        print("usage: python -m minik.server delete [--all]", file=sys.stderr)
        return 2

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        return anyio.run(lambda: delete(everything=everything, say=say))
    except MinikError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
