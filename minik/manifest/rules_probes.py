"""Probe and lifecycle-hook validation: upstream's ``validateProbe``, ``validateHandler``, ``validateLifecycle``.

From ``pkg/apis/core/validation/validation.go`` (1.33): a handler names
exactly one action; an exec action needs a command, an httpGet a path, a
valid port and scheme HTTP or HTTPS; timings are non-negative; liveness and
startup probes need ``successThreshold: 1``; a readiness probe may not set
``terminationGracePeriodSeconds``; a sleep hook sleeps at most the pod's
grace period; a regular init container has no probes or hooks. Pure
functions over schema-valid, defaulted dicts.
"""

from __future__ import annotations

import re
from typing import Any

from minik.errors import FieldError
from minik.manifest import fields as f
from minik.manifest.fields import PathT
from minik.manifest.rules_meta import port_name

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
NEGATIVE = "must be greater than or equal to 0"
PORT_RANGE = "must be between 1 and 65535, inclusive"
_TOKEN = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]+")


def _port(port: Any, path: PathT) -> list[FieldError]:
    """``ValidatePortNumOrName``."""
    if isinstance(port, int) and not isinstance(port, bool):
        return [] if 1 <= port <= 65535 else [f.invalid(path, port, PORT_RANGE)]
    if isinstance(port, str) and port:
        return [f.invalid(path, port, msg) for msg in port_name(port)]
    return [f.required(path)]


def _handler(h: dict[str, Any], grace: int | None, path: PathT) -> list[FieldError]:
    """``validateHandler``: one action, each checked."""
    errors: list[FieldError] = []
    count = 0
    for kind in ("exec", "httpGet", "tcpSocket", "grpc", "sleep"):
        action = h.get(kind)
        if action is None:
            continue
        ap = (*path, kind)
        if count:
            errors.append(f.forbidden(ap, "may not specify more than 1 handler type"))
            continue
        count += 1
        if kind == "exec" and not action.get("command"):
            errors.append(f.required((*ap, "command")))
        elif kind == "httpGet":
            if not action.get("path"):
                errors.append(f.required((*ap, "path")))
            errors += _port(action.get("port"), (*ap, "port"))
            scheme = action.get("scheme") or ""
            if scheme not in ("HTTP", "HTTPS"):
                errors.append(f.not_supported((*ap, "scheme"), scheme, ("HTTP", "HTTPS")))
            for header in action.get("httpHeaders") or []:
                name = str(header.get("name") or "")
                if not _TOKEN.fullmatch(name):
                    msg = "a valid HTTP header must consist of alphanumeric characters or '-'"
                    errors.append(f.invalid((*ap, "httpHeaders"), name, f"{msg} (e.g. 'X-Header-Name')"))
        elif kind == "tcpSocket":
            errors += _port(action.get("port"), (*ap, "port"))
        elif kind == "grpc":
            port = action.get("port")
            if not isinstance(port, int) or not 1 <= port <= 65535:
                errors.append(f.invalid((*ap, "port"), port, PORT_RANGE))
        elif kind == "sleep":
            seconds = action.get("seconds") or 0
            if grace is not None and not 0 <= seconds <= grace:
                msg = f"must be non-negative and less than terminationGracePeriodSeconds ({grace})"
                errors.append(f.invalid(ap, seconds, msg))
    if not count:
        errors.append(f.required(path, "must specify a handler type"))
    return errors


def probe(p: dict[str, Any], kind: str, grace: int | None, path: PathT) -> list[FieldError]:
    """``validateLivenessProbe`` / ``validateReadinessProbe`` / ``validateStartupProbe``."""
    handler = {k: p.get(k) for k in ("exec", "httpGet", "tcpSocket", "grpc")}
    errors = _handler(handler, grace, path)
    for fld in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        value = p.get(fld) or 0
        if value < 0:
            errors.append(f.invalid((*path, fld), value, NEGATIVE))
    tgp = p.get("terminationGracePeriodSeconds")
    if kind == "readinessProbe" and tgp is not None:
        errors.append(
            f.invalid((*path, "terminationGracePeriodSeconds"), tgp, "must not be set for readinessProbes")
        )
    elif tgp is not None and tgp <= 0:
        errors.append(f.invalid((*path, "terminationGracePeriodSeconds"), tgp, "must be greater than 0"))
    if kind != "readinessProbe" and p.get("successThreshold") != 1:
        errors.append(f.invalid((*path, "successThreshold"), p.get("successThreshold"), "must be 1"))
    return errors


def lifecycle(lc: dict[str, Any], grace: int | None, path: PathT) -> list[FieldError]:
    """``validateLifecycle``: each hook is a handler (a probe's actions, no grpc, plus sleep)."""
    errors: list[FieldError] = []
    for hook in ("postStart", "preStop"):
        if lc.get(hook) is not None:
            errors += _handler(lc[hook], grace, (*path, hook))
    return errors


def container(c: dict[str, Any], grace: int | None, path: PathT, *, init: bool) -> list[FieldError]:
    """The probes and hooks of one container; a regular init container may have none."""
    errors: list[FieldError] = []
    regular_init = init and c.get("restartPolicy") != "Always"
    for kind in (*PROBES, "lifecycle"):
        value = c.get(kind)
        if value is None:
            continue
        if regular_init:
            msg = "may not be set for init containers without restartPolicy=Always"
            errors.append(f.forbidden((*path, kind), msg))
        elif kind == "lifecycle":
            errors += lifecycle(value, grace, (*path, kind))
        else:
            errors += probe(value, kind, grace, (*path, kind))
    return errors
