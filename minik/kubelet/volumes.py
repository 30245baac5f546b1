"""A pod's volumes on the host: emptyDir, hostPath, persistentVolumeClaim, downwardAPI, configMap, secret, projected."""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
from pathlib import Path

import anyio.to_thread

from minik import quantity
from minik.errors import MinikError
from minik.k8s import Obj, meta
from minik.kubelet import labels
from minik.kubelet.env import Env, ObjectSource, TokenSource, expand, resolve_field, resource_value
from minik.kubelet.errors import ConfigError
from minik.kubelet.paths_safe import check_expanded_subpath, resolve_subpath, write_atomically
from minik.kubelet.runtime import NoSuchObject, Runtime
from minik.manifest.storage_admission import PROVISIONED_BY, PROVISIONER

SizeLimits = dict[str, tuple[str, int, str]]  # disk emptyDir -> (host path, bytes, as written)
Sources = dict[str, tuple[str, str]]  # volume name -> ([ro-]volume | [ro-]bind | tmpfs | rendered, where)


class Volumes:
    """Prepares a pod's volumes; returns per-container binds and tmpfs mounts."""

    def __init__(
        self,
        docker: Runtime,
        env: Env,
        objects: ObjectSource,
        *,
        state_dir: Path,
        instance: str,
        tokens: TokenSource | None = None,
    ) -> None:
        self.docker = docker
        self.env = env
        self.objects = objects
        self.tokens = tokens
        self.state_dir = state_dir
        self.instance = instance

    def pod_dir(self, uid: str) -> Path:
        return self.state_dir / "pods" / uid

    def volume_name(self, uid: str, name: str) -> str:
        """The Docker volume behind a disk emptyDir."""
        return labels.volume_name(self.instance, uid, name)

    async def adopt_size_limits(self, pod: Obj) -> SizeLimits:
        """For a pod adopted after a restart: the disk emptyDirs with a sizeLimit to keep checking."""
        limits: SizeLimits = {}
        uid = str(meta(pod)["uid"])
        for v in (pod.get("spec") or {}).get("volumes") or []:
            ed = v.get("emptyDir")
            if ed is None or (ed or {}).get("medium") == "Memory" or not (ed or {}).get("sizeLimit"):
                continue
            limit = str(ed["sizeLimit"])
            with contextlib.suppress(NoSuchObject):
                path = await self.docker.volume_path(self.volume_name(uid, v["name"]))
                limits[v["name"]] = (path, quantity.value(limit), limit)
        return limits

    async def prepare(self, pod: Obj, ip: str) -> tuple[Sources, SizeLimits]:
        """Make the pod's volumes; what each is on the host (mounts are made per container run)."""
        sources: Sources = {}  # volume name -> (kind, host path or volume name)
        limits: SizeLimits = {}
        uid = str(meta(pod)["uid"])
        for v in (pod.get("spec") or {}).get("volumes") or []:
            name = v["name"]
            if "emptyDir" in v:
                ed = v["emptyDir"] or {}
                if ed.get("medium") == "Memory":
                    sources[name] = ("tmpfs", str(ed.get("sizeLimit") or ""))
                else:
                    vol = self.volume_name(uid, name)
                    await self.docker.create_volume(vol, labels.for_container(self.instance, pod, name))
                    sources[name] = ("volume", vol)
                    if ed.get("sizeLimit"):
                        limit = str(ed["sizeLimit"])
                        limits[name] = (
                            await self.docker.volume_path(vol),
                            quantity.value(limit),
                            limit,
                        )
            elif "persistentVolumeClaim" in v:
                sources[name] = await self._claim(pod, v["persistentVolumeClaim"])
            elif "hostPath" in v:
                hp = v["hostPath"]
                if not os.path.isabs(str(hp["path"])):
                    # Docker would take it for a named volume that nothing labels or removes.
                    raise ConfigError(f'hostPath "{hp["path"]}" is not an absolute path')
                p = Path(hp["path"])
                kind = hp.get("type") or ""
                if kind == "DirectoryOrCreate":
                    p.mkdir(parents=True, exist_ok=True)
                elif kind == "FileOrCreate" and not p.exists():
                    p.parent.mkdir(parents=True, exist_ok=True)
                    p.touch()
                elif kind == "Directory" and not p.is_dir():
                    raise ConfigError(f"hostPath type check failed: {p} is not a directory")
                elif kind == "File" and not p.is_file():
                    raise ConfigError(f"hostPath type check failed: {p} is not a file")
                sources[name] = ("bind", str(p))
            else:
                # configMap, secret, downwardAPI, projected: rendered by minik, read-only in the pod.
                d = self.pod_dir(uid) / "volumes" / name
                write_atomically(d, self.files(pod, ip, v))
                sources[name] = ("rendered", str(d))
        return sources, limits

    async def _claim(self, pod: Obj, src: Obj) -> tuple[str, str]:
        """The Docker volume (or host directory) behind a bound claim; ConfigError while there is none."""
        ns = str(meta(pod).get("namespace") or "default")
        claim = self.objects.get("persistentvolumeclaims", ns, str(src.get("claimName")))
        if claim is None:
            raise ConfigError(f'persistentvolumeclaim "{src.get("claimName")}" not found')
        volume = (claim.get("spec") or {}).get("volumeName")
        pv = self.objects.get("persistentvolumes", "", str(volume)) if volume else None
        if pv is None or (claim.get("status") or {}).get("phase") != "Bound":
            raise ConfigError(f'persistentvolumeclaim "{src.get("claimName")}" is not bound')
        ro = "ro-" if src.get("readOnly") else ""
        if (meta(pv).get("annotations") or {}).get(PROVISIONED_BY) == PROVISIONER:
            name = labels.claim_volume_name(self.instance, str(volume))
            try:  # never let the engine make an unlabelled volume of that name on the fly
                await self.docker.volume_path(name)
            except NoSuchObject:
                raise ConfigError(
                    f'the Docker volume {name} of persistentvolume "{volume}" is gone'
                ) from None
            return (f"{ro}volume", name)
        spec = pv.get("spec") or {}
        path = str((spec.get("hostPath") or spec.get("local") or {}).get("path") or "")
        if not os.path.isabs(path):
            raise ConfigError(f'persistentvolume "{volume}" has no absolute host path')
        if spec.get("hostPath") and (spec["hostPath"].get("type") or "") == "DirectoryOrCreate":
            Path(path).mkdir(parents=True, exist_ok=True)
        elif not Path(path).is_dir():
            raise ConfigError(f'path "{path}" of persistentvolume "{volume}" does not exist')
        return (f"{ro}bind", path)

    async def mounts(self, pod: Obj, ip: str, c: Obj, sources: Sources) -> tuple[list[str], dict[str, str]]:
        """One container run's binds and tmpfs mounts; subPaths resolved now, inside their volumes."""
        env = (
            self.env.resolve(pod, ip, c)
            if any(vm.get("subPathExpr") for vm in c.get("volumeMounts") or [])
            else {}
        )
        binds: list[str] = []
        tmpfs: dict[str, str] = {}
        for vm in c.get("volumeMounts") or []:
            kind, src = sources[vm["name"]]
            rw = "ro" if vm.get("readOnly") or kind == "rendered" or kind.startswith("ro-") else "rw"
            kind = kind.removeprefix("ro-")
            sub = vm.get("subPath") or ""
            if vm.get("subPathExpr"):
                sub = expand(vm["subPathExpr"], env)
                check_expanded_subpath(vm["subPathExpr"], sub)
            if kind == "tmpfs":
                tmpfs[vm["mountPath"]] = f"size={quantity.value(src)}" if src else ""
                continue
            if sub:
                if kind == "volume":
                    src = await self.docker.volume_path(src)
                src = await anyio.to_thread.run_sync(resolve_subpath, src, sub)
            binds.append(f"{src}:{vm['mountPath']}:{rw}")
        return binds, tmpfs

    def files(self, pod: Obj, ip: str, v: Obj) -> list[tuple[str, bytes, int]]:
        spec = pod.get("spec") or {}
        out: list[tuple[str, bytes, int]] = []
        if "downwardAPI" in v:
            dv = v["downwardAPI"]
            for item in dv.get("items") or []:
                if "fieldRef" in item:
                    value = resolve_field(pod, item["fieldRef"]["fieldPath"], ip=ip)
                elif "resourceFieldRef" in item:
                    ref = item["resourceFieldRef"]
                    named = [
                        x
                        for x in (spec.get("initContainers") or []) + (spec.get("containers") or [])
                        if x["name"] == ref.get("containerName")
                    ]
                    value = resource_value(named[0], ref) if named else ""
                else:
                    value = ""
                out.append((item["path"], value.encode(), item.get("mode", dv.get("defaultMode", 0o644))))
        elif "configMap" in v or "secret" in v:
            out += self._keyed(pod, v)
        elif "projected" in v:
            pv = v["projected"]
            for src in pv.get("sources") or []:
                if "downwardAPI" in src:
                    out += self.files(
                        pod,
                        ip,
                        {"downwardAPI": {**src["downwardAPI"], "defaultMode": pv.get("defaultMode", 0o644)}},
                    )
                elif "serviceAccountToken" in src:
                    out.append(self._token(pod, src["serviceAccountToken"], pv.get("defaultMode", 0o644)))
                else:
                    out += self._keyed(pod, src)
        return out

    def _token(self, pod: Obj, src: Obj, mode: int) -> tuple[str, bytes, int]:
        """A projected service-account token: one the API issues for the pod's service account,
        bound to the pod (so it dies with the pod). Rendered once, when the volume is made."""
        if self.tokens is None:
            raise ConfigError("this kubelet cannot request service account tokens")
        token = self.tokens.pod_token(
            pod, audience=str(src.get("audience") or ""), expiration=int(src.get("expirationSeconds") or 3600)
        )
        return str(src.get("path") or "token"), token.encode(), mode

    def _keyed(self, pod: Obj, v: Obj) -> list[tuple[str, bytes, int]]:
        ns = str(meta(pod).get("namespace") or "default")
        is_cm = "configMap" in v
        ref = v["configMap"] if is_cm else v["secret"]
        name = ref.get("name") if is_cm else ref.get("secretName", ref.get("name"))
        obj = self.objects.get("configmaps" if is_cm else "secrets", ns, str(name))
        if obj is None:
            if ref.get("optional"):
                return []
            kind = "configmap" if is_cm else "secret"
            raise ConfigError(f'{kind} "{name}" not found')
        data: dict[str, bytes] = {}
        for k, val in (obj.get("data") or {}).items():
            data[k] = str(val).encode() if is_cm else base64.b64decode(val)
        for k, val in (obj.get("binaryData") or {}).items():
            data[k] = base64.b64decode(val)
        mode = ref.get("defaultMode", 0o644)
        items = ref.get("items")
        if items:
            return [
                (i["path"], data.get(i["key"], b""), i.get("mode", mode)) for i in items if i["key"] in data
            ]
        return [(k, val, mode) for k, val in data.items()]

    def termination_file(self, uid: str, container: str, attempt: int, c: Obj) -> Path | None:
        """A fresh, empty file for one run's termination message (mode 0666, as the kubelet makes it)."""
        target = c.get("terminationMessagePath")
        if not target:
            return None
        d = self.pod_dir(uid) / "containers" / container
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"termination-log-{attempt}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)
        os.close(fd)
        os.chmod(path, 0o666)
        return path

    async def unmount(self, pod: Obj) -> None:
        """A finished pod's volumes, unmounted as the kubelet unmounts a terminated pod's: the
        rendered files go and each disk emptyDir is emptied (its Docker volume stays while the
        pod's stopped containers refer to it; it is removed with the pod). Claims and
        hostPaths are the user's and stay."""
        uid = str(meta(pod)["uid"])
        paths = [self.pod_dir(uid) / "volumes"]
        for v in (pod.get("spec") or {}).get("volumes") or []:
            ed = v.get("emptyDir", False)
            if ed is False or (ed or {}).get("medium") == "Memory":
                continue
            with contextlib.suppress(MinikError):  # gone already, or the engine is down
                paths.append(Path(await self.docker.volume_path(self.volume_name(uid, v["name"]))))
        await anyio.to_thread.run_sync(_empty_all, paths)

    def remove(self, uid: str) -> None:
        shutil.rmtree(self.pod_dir(uid), ignore_errors=True)


def disk_usage(root: str) -> int:
    """Bytes allocated under ``root`` (``du``'s way: blocks, each inode once)."""
    total = 0
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for e in entries:
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512
            if e.is_dir(follow_symlinks=False):
                stack.append(e.path)
    return total


def _empty_all(paths: list[Path]) -> None:
    """Remove what is inside each path (a path the server cannot reach is left as it is)."""
    for root in paths:
        try:
            entries = list(os.scandir(root))
        except OSError:
            continue
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(e.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(e.path)
