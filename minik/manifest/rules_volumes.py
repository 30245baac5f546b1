"""Volume and downward-API rules of core pod validation (R2.27–R2.29).

Owns ``ValidateVolumes`` (names, one source each, items paths, modes),
the downward-API field-path tables for env and for volumes, and the
resource-field selector. Pure functions over schema-valid dicts.
"""

from __future__ import annotations

import re
from typing import Any

from minik.errors import FieldError
from minik.manifest import fields as f
from minik.manifest import rules_meta as m
from minik.manifest.fields import PathT

SOURCES = (
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
)
POD_FIELD_LABELS = {
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.serviceAccountName",
    "spec.schedulerName",
    "status.phase",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
}
ENV_FIELD_PATHS = (
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
)
VOLUME_FIELD_PATHS = (
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
)
RESOURCE_FIELDS = (
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
)
FILE_MODE_MSG = "must be a number between 0 and 0777 (octal), both inclusive"
HOST_PATH_TYPES = (
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
)
_subscript = re.compile(r"^(metadata\.(?:labels|annotations))\['(.*)'\]\Z")


def field_selector(ref: dict[str, Any], allowed: tuple[str, ...], path: PathT) -> list[FieldError]:
    """``validateObjectFieldSelector`` with the env or the volume table."""
    errors: list[FieldError] = []
    version, fpath = ref.get("apiVersion", ""), ref.get("fieldPath", "")
    if not version:
        errors.append(f.required((*path, "apiVersion")))
        return errors
    if not fpath:
        errors.append(f.required((*path, "fieldPath")))
        return errors
    sub = _subscript.match(fpath)
    if version != "v1":
        errors.append(
            f.invalid(
                (*path, "fieldPath"), fpath, f"error converting fieldPath: unsupported pod version: {version}"
            )
        )
    elif sub is None and fpath not in POD_FIELD_LABELS:
        errors.append(
            f.invalid(
                (*path, "fieldPath"), fpath, f"error converting fieldPath: field label not supported: {fpath}"
            )
        )
    elif sub is not None:
        key = sub.group(2).lower() if sub.group(1).endswith("annotations") else sub.group(2)
        errors += [f.invalid(path, key, msg) for msg in m.qualified_name(key)]
    elif fpath not in allowed:
        errors.append(f.not_supported((*path, "fieldPath"), fpath, allowed))
    return errors


def resource_selector(ref: dict[str, Any], path: PathT, *, volume: bool) -> list[FieldError]:
    errors: list[FieldError] = []
    if volume and not ref.get("containerName"):
        errors.append(f.required((*path, "containerName")))
    res = ref.get("resource", "")
    if not res:
        errors.append(f.required((*path, "resource")))
    elif res not in RESOURCE_FIELDS and not res.startswith(("limits.hugepages-", "requests.hugepages-")):
        errors.append(f.not_supported((*path, "resource"), res, RESOURCE_FIELDS))
    return errors


def _mode(mode: Any, path: PathT) -> list[FieldError]:
    if mode is not None and not 0 <= mode <= 0o777:
        return [f.invalid(path, mode, FILE_MODE_MSG)]
    return []


def _key_to_path(items: list[dict[str, Any]], path: PathT) -> list[FieldError]:
    errors: list[FieldError] = []
    for i, kp in enumerate(items):
        ip = (*path, i)
        if not kp.get("key"):
            errors.append(f.required((*ip, "key")))
        if not kp.get("path"):
            errors.append(f.required((*ip, "path")))
        errors += m.local_non_reserved_path(kp.get("path", ""), (*ip, "path"))
        errors += _mode(kp.get("mode"), (*ip, "mode"))
    return errors


def _sa_token(src: dict[str, Any], path: PathT) -> list[FieldError]:
    """``validateProjectionSources``' serviceAccountToken rules."""
    errors: list[FieldError] = []
    seconds = src.get("expirationSeconds")
    if isinstance(seconds, int) and seconds < 600:
        errors.append(
            f.invalid(
                (*path, "expirationSeconds"), seconds, "may not specify a duration less than 10 minutes"
            )
        )
    elif isinstance(seconds, int) and seconds > 2**32:
        errors.append(
            f.invalid(
                (*path, "expirationSeconds"), seconds, "may not specify a duration larger than 2^32 seconds"
            )
        )
    if not src.get("path"):
        errors.append(f.required((*path, "path")))
    else:
        errors += m.local_non_reserved_path(src["path"], (*path, "path"))
    return errors


def _downward(src: dict[str, Any], path: PathT) -> list[FieldError]:
    errors: list[FieldError] = []
    for item in src.get("items") or []:  # upstream reports items at the downwardAPI path (no index)
        if not item.get("path"):
            errors.append(f.required((*path, "path")))
        errors += m.local_non_reserved_path(item.get("path", ""), (*path, "path"))
        fref, rref = item.get("fieldRef"), item.get("resourceFieldRef")
        if fref is not None:
            errors += field_selector(fref, VOLUME_FIELD_PATHS, (*path, "fieldRef"))
            if rref is not None:
                errors.append(
                    f.invalid(
                        path, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"
                    )
                )
        elif rref is not None:
            errors += resource_selector(rref, (*path, "resourceFieldRef"), volume=True)
        else:
            errors.append(f.required(path, "one of fieldRef and resourceFieldRef is required"))
        errors += _mode(item.get("mode"), (*path, "mode"))
    return errors


def _source(vol: dict[str, Any], path: PathT) -> list[FieldError]:
    present = [s for s in SOURCES if vol.get(s) is not None]
    if not present:
        return [f.required(path, "must specify a volume type")]
    errors = [f.forbidden((*path, s), "may not specify more than 1 volume type") for s in present[1:]]
    kind = present[0]
    src = vol[kind]
    sp = (*path, kind)
    if kind == "hostPath":
        if not src.get("path"):
            errors.append(f.required((*sp, "path")))
        elif ".." in src["path"].split("/"):
            errors.append(f.invalid((*sp, "path"), src["path"], "must not contain '..'"))
        if src.get("type") is not None and src["type"] not in HOST_PATH_TYPES:
            errors.append(f.not_supported((*sp, "type"), src["type"], HOST_PATH_TYPES))
    elif kind == "persistentVolumeClaim":
        if not src.get("claimName"):
            errors.append(f.required((*sp, "claimName")))
    elif kind in ("secret", "configMap"):
        name_field = "secretName" if kind == "secret" else "name"
        if not src.get(name_field):
            errors.append(f.required((*sp, name_field)))
        errors += _mode(src.get("defaultMode"), (*sp, "defaultMode"))
        errors += _key_to_path(src.get("items") or [], (*sp, "items"))
    elif kind == "downwardAPI":
        errors += _mode(src.get("defaultMode"), (*sp, "defaultMode"))
        errors += _downward(src, sp)
    elif kind == "projected":
        errors += _mode(src.get("defaultMode"), (*sp, "defaultMode"))
        for i, proj in enumerate(src.get("sources") or []):
            pp = (*sp, "sources", i)
            kinds = [k for k, v in proj.items() if v is not None]
            if not kinds:
                errors.append(
                    f.required(
                        pp,
                        "must specify exactly 1 of: secret, downwardAPI, configMap, "
                        "serviceAccountToken, clusterTrustBundle",
                    )
                )
            errors += [f.forbidden((*pp, k), "may not specify more than 1 volume type") for k in kinds[1:]]
            for k in ("secret", "configMap"):
                if proj.get(k) is not None:
                    errors += _key_to_path(proj[k].get("items") or [], (*pp, k, "items"))
            if proj.get("downwardAPI") is not None:
                errors += _downward(proj["downwardAPI"], (*pp, "downwardAPI"))
            if proj.get("serviceAccountToken") is not None:
                errors += _sa_token(proj["serviceAccountToken"], (*pp, "serviceAccountToken"))
    return errors


def volumes(vols: list[dict[str, Any]], path: PathT) -> tuple[set[str], list[FieldError]]:
    """(names of the volumes that validated, errors) — mounts may name only the former."""
    ok: set[str] = set()
    errors: list[FieldError] = []
    for i, vol in enumerate(vols):
        ip = (*path, i)
        own = _source(vol, ip)
        name = vol.get("name") or ""
        if not name:
            own.append(f.required((*ip, "name")))
        else:
            own += [f.invalid((*ip, "name"), name, msg) for msg in m.dns1123_label(name)]
        if name in ok:
            own.append(f.duplicate((*ip, "name"), name))
        if own:
            errors += own
        else:
            ok.add(name)
    return ok, errors
