"""Core pod validation: ``ValidatePodTemplateSpec`` / ``ValidatePodSpec`` (R2.26–R2.30).

Owns containers (names, images, ports, env, envFrom, mounts, resources,
security context), init containers and sidecars, and the pod-level fields,
in upstream's order. Volumes live in :mod:`rules_volumes`. Pure functions
over schema-valid, defaulted dicts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from minik import quantity
from minik.errors import FieldError
from minik.manifest import fields as f
from minik.manifest import rules_ephemeral, rules_probes
from minik.manifest import rules_host as h
from minik.manifest import rules_meta as m
from minik.manifest import rules_volumes as v
from minik.manifest.fields import Key, PathT
from minik.manifest.rules_meta import port_name

MAX_INT32 = 2**31 - 1
STANDARD_RESOURCES = ("cpu", "memory", "ephemeral-storage")


def _resources(res: dict[str, Any], path: PathT) -> list[FieldError]:
    errors: list[FieldError] = []
    parsed: dict[str, dict[str, Decimal]] = {}
    for part in ("limits", "requests"):
        parsed[part] = {}
        for name, qty in (res.get(part) or {}).items():
            p = (*path, part, Key(name))
            if name not in STANDARD_RESOURCES and not name.startswith("hugepages-") and "/" not in name:
                errors += [f.invalid(p, name, msg) for msg in m.qualified_name(name)] or [
                    f.invalid(p, name, "must be a standard resource for containers")
                ]
            try:
                value = quantity.parse(qty)
            except quantity.QuantityError as exc:
                errors.append(f.invalid(p, qty, str(exc)))
                continue
            if value < 0:
                errors.append(f.invalid(p, str(qty), "must be greater than or equal to 0"))
            else:
                parsed[part][name] = value
    for name, req in parsed["requests"].items():
        lim = parsed["limits"].get(name)
        if lim is not None and req > lim:
            errors.append(
                f.invalid(
                    (*path, "requests", Key(name)),
                    str(res["requests"][name]),
                    f"must be less than or equal to {name} limit of {res['limits'][name]}",
                )
            )
    return errors


def _env(env: list[dict[str, Any]], path: PathT) -> list[FieldError]:
    errors: list[FieldError] = []
    for i, ev in enumerate(env):
        ip = (*path, i)
        name = ev.get("name") or ""
        if not name:
            errors.append(f.required((*ip, "name")))
        elif any(ord(c) < 32 or ord(c) > 126 or c == "=" for c in name):
            errors.append(
                f.invalid(
                    (*ip, "name"),
                    name,
                    "a valid environment variable name must consist "
                    "only of printable ASCII characters other than '='",
                )
            )
        src = ev.get("valueFrom")
        if src is None:
            continue
        vp = (*ip, "valueFrom")
        n = 0
        if src.get("fieldRef") is not None:
            n += 1
            errors += v.field_selector(src["fieldRef"], v.ENV_FIELD_PATHS, (*vp, "fieldRef"))
        if src.get("resourceFieldRef") is not None:
            n += 1
            errors += v.resource_selector(src["resourceFieldRef"], (*vp, "resourceFieldRef"), volume=False)
        for kind in ("configMapKeyRef", "secretKeyRef"):
            if src.get(kind) is not None:
                n += 1
                ref, rp = src[kind], (*vp, kind)
                if not ref.get("name"):
                    errors.append(f.required((*rp, "name")))
                if not ref.get("key"):
                    errors.append(f.required((*rp, "key")))
                else:
                    errors += [f.invalid((*rp, "key"), ref["key"], msg) for msg in m.config_key(ref["key"])]
        if n == 0:
            errors.append(
                f.invalid(
                    vp,
                    "",
                    "must specify one of: `fieldRef`, `resourceFieldRef`, "
                    "`configMapKeyRef` or `secretKeyRef`",
                )
            )
        elif ev.get("value"):
            errors.append(f.invalid(vp, "", "may not be specified when `value` is not empty"))
        elif n > 1:
            errors.append(f.invalid(vp, "", "may not have more than one field specified at a time"))
    return errors


def _env_from(items: list[dict[str, Any]], path: PathT) -> list[FieldError]:
    errors: list[FieldError] = []
    for i, ef in enumerate(items):
        ip = (*path, i)
        prefix = ef.get("prefix") or ""
        if any(ord(c) < 32 or ord(c) > 126 or c == "=" for c in prefix):
            errors.append(
                f.invalid(
                    (*ip, "prefix"),
                    prefix,
                    "a valid environment variable name must consist "
                    "only of printable ASCII characters other than '='",
                )
            )
        kinds = [k for k in ("configMapRef", "secretRef") if ef.get(k) is not None]
        for k in kinds:
            name = ef[k].get("name") or ""
            if not name:
                errors.append(f.required((*ip, k, "name")))
            else:
                errors += [f.invalid((*ip, k, "name"), name, msg) for msg in m.dns1123_subdomain(name)]
        if not kinds:
            errors.append(f.invalid(ip, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif len(kinds) > 1:
            errors.append(f.invalid(ip, "", "may not have more than one field specified at a time"))
    return errors


def _ports(ports: list[dict[str, Any]], path: PathT) -> list[FieldError]:
    errors: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        ip = (*path, i)
        name = port.get("name") or ""
        if name:
            msgs = port_name(name)
            errors += [f.invalid((*ip, "name"), name, msg) for msg in msgs]
            if not msgs and name in names:
                errors.append(f.duplicate((*ip, "name"), name))
            names.add(name)
        cp = port.get("containerPort") or 0
        if cp == 0:
            errors.append(f.required((*ip, "containerPort")))
        elif not 1 <= cp <= 65535:
            errors.append(f.invalid((*ip, "containerPort"), cp, "must be between 1 and 65535, inclusive"))
        hp = port.get("hostPort") or 0
        if hp and not 1 <= hp <= 65535:
            errors.append(f.invalid((*ip, "hostPort"), hp, "must be between 1 and 65535, inclusive"))
        proto = port.get("protocol") or ""
        if not proto:
            errors.append(f.required((*ip, "protocol")))
        elif proto not in ("SCTP", "TCP", "UDP"):
            errors.append(f.not_supported((*ip, "protocol"), proto, ("SCTP", "TCP", "UDP")))
    return errors


def _mounts(mounts: list[dict[str, Any]], volumes: set[str], path: PathT) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, mnt in enumerate(mounts):
        ip = (*path, i)
        name = mnt.get("name") or ""
        if not name:
            errors.append(f.required((*ip, "name")))
        if name not in volumes:
            errors.append(f.not_found((*ip, "name"), name))
        mp = mnt.get("mountPath") or ""
        if not mp:
            errors.append(f.required((*ip, "mountPath")))
        if mp in seen:
            errors.append(f.invalid((*ip, "mountPath"), mp, "must be unique"))
        seen.add(mp)
        if mnt.get("subPath"):
            errors += m.local_descending_path(mnt["subPath"], (*path, "subPath"))
        if mnt.get("subPathExpr"):
            if mnt.get("subPath"):
                errors.append(
                    f.invalid(
                        (*ip, "subPathExpr"),
                        mnt["subPathExpr"],
                        "subPathExpr and subPath are mutually exclusive",
                    )
                )
            errors += m.local_descending_path(mnt["subPathExpr"], (*path, "subPathExpr"))
    return errors


def _security(sc: dict[str, Any], path: PathT) -> list[FieldError]:
    errors: list[FieldError] = []
    for fld in ("runAsUser", "runAsGroup", "fsGroup"):
        val = sc.get(fld)
        if val is not None and not 0 <= val <= MAX_INT32:
            errors.append(f.invalid((*path, fld), val, f"must be between 0 and {MAX_INT32}, inclusive"))
    if sc.get("privileged") is True and sc.get("allowPrivilegeEscalation") is False:
        errors.append(
            f.invalid(path, f.OMIT, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true")
        )
    errors += h.seccomp_profile(sc.get("seccompProfile"), (*path, "seccompProfile"))
    return errors


def _container(c: dict[str, Any], volumes: set[str], path: PathT) -> list[FieldError]:
    errors: list[FieldError] = []
    name = c.get("name") or ""
    if not name:
        errors.append(f.required((*path, "name")))
    else:
        errors += [f.invalid((*path, "name"), name, msg) for msg in m.dns1123_label(name)]
    if not c.get("image"):
        errors.append(f.required((*path, "image")))
    errors += _ports(c.get("ports") or [], (*path, "ports"))
    errors += _env(c.get("env") or [], (*path, "env"))
    errors += _env_from(c.get("envFrom") or [], (*path, "envFrom"))
    errors += _mounts(c.get("volumeMounts") or [], volumes, (*path, "volumeMounts"))
    policy = c.get("imagePullPolicy") or ""
    if not policy:
        errors.append(f.required((*path, "imagePullPolicy")))
    elif policy not in ("Always", "IfNotPresent", "Never"):
        errors.append(
            f.not_supported((*path, "imagePullPolicy"), policy, ("Always", "IfNotPresent", "Never"))
        )
    errors += _resources(c.get("resources") or {}, (*path, "resources"))
    errors += _security(c.get("securityContext") or {}, (*path, "securityContext"))
    tmp = c.get("terminationMessagePolicy") or ""
    if not tmp:
        errors.append(f.required((*path, "terminationMessagePolicy")))
    elif tmp not in ("File", "FallbackToLogsOnError"):
        errors.append(
            f.not_supported((*path, "terminationMessagePolicy"), tmp, ("File", "FallbackToLogsOnError"))
        )
    return errors


def pod_spec(spec: dict[str, Any], path: PathT) -> list[FieldError]:
    """``ValidatePodSpec`` on a defaulted spec."""
    ok_volumes, errors = v.volumes(spec.get("volumes") or [], (*path, "volumes"))
    containers = spec.get("containers") or []
    grace = spec.get("terminationGracePeriodSeconds")
    names: set[str] = set()
    if not containers:
        errors.append(f.required((*path, "containers")))
    for i, c in enumerate(containers):
        cp = (*path, "containers", i)
        errors += _container(c, ok_volumes, cp)
        errors += rules_probes.container(c, grace, cp, init=False)
        if c.get("name") and c["name"] in names:
            errors.append(f.duplicate((*cp, "name"), c["name"]))
        names.add(c.get("name") or "")
        if c.get("restartPolicy") is not None:
            errors.append(f.forbidden((*cp, "restartPolicy"), "may not be set for non-init containers"))
    for i, c in enumerate(spec.get("initContainers") or []):
        cp = (*path, "initContainers", i)
        errors += _container(c, ok_volumes, cp)
        errors += rules_probes.container(c, grace, cp, init=True)
        if c.get("name") and c["name"] in names:
            errors.append(f.duplicate((*cp, "name"), c["name"]))
        names.add(c.get("name") or "")
        if c.get("restartPolicy") is not None and c["restartPolicy"] != "Always":
            errors.append(f.not_supported((*cp, "restartPolicy"), c["restartPolicy"], ("Always",)))
    for i, c in enumerate(spec.get("ephemeralContainers") or []):
        errors += _container(c, ok_volumes, (*path, "ephemeralContainers", i))
    errors += rules_ephemeral.containers(spec, path)
    rp = spec.get("restartPolicy") or ""
    if not rp:
        errors.append(f.required((*path, "restartPolicy")))
    elif rp not in ("Always", "OnFailure", "Never"):
        errors.append(f.not_supported((*path, "restartPolicy"), rp, ("Always", "OnFailure", "Never")))
    dns = spec.get("dnsPolicy") or ""
    dns_values = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
    if not dns:
        errors.append(f.required((*path, "dnsPolicy")))
    elif dns not in dns_values:
        errors.append(f.not_supported((*path, "dnsPolicy"), dns, dns_values))
    errors += h.host_ports(spec, path, is_pod=path == ("spec",))
    errors += m.labels(spec.get("nodeSelector"), (*path, "nodeSelector"))
    errors += _security(spec.get("securityContext") or {}, (*path, "securityContext"))
    if spec.get("shareProcessNamespace") and spec.get("hostPID"):
        errors.append(
            f.invalid(
                (*path, "securityContext", "shareProcessNamespace"),
                True,
                "ShareProcessNamespace and HostPID cannot both be enabled",
            )
        )
    for fld in ("serviceAccountName", "nodeName"):
        if spec.get(fld):
            errors += [f.invalid((*path, fld), spec[fld], msg) for msg in m.dns1123_subdomain(spec[fld])]
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and not 1 <= ads <= MAX_INT32:
        errors.append(
            f.invalid((*path, "activeDeadlineSeconds"), ads, f"must be between 1 and {MAX_INT32}, inclusive")
        )
    for fld in ("hostname", "subdomain"):
        if spec.get(fld):
            errors += [f.invalid((*path, fld), spec[fld], msg) for msg in m.dns1123_label(spec[fld])]
    return errors


def pod_template(template: dict[str, Any], path: PathT) -> list[FieldError]:
    """``ValidatePodTemplateSpec``: template labels/annotations (at ``<path>.labels``), then the spec."""
    meta = template.get("metadata") or {}
    errors = m.labels(meta.get("labels"), (*path, "labels"))
    errors += m.annotation_map(meta.get("annotations"), (*path, "annotations"))
    errors += pod_spec(template.get("spec") or {}, (*path, "spec"))
    errors += rules_ephemeral.in_template(template.get("spec") or {}, (*path, "spec"))
    return errors
