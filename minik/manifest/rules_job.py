"""``batch/v1`` Job validation (R2.4–R2.25, R2.7) and update rules (R2.31).

Owns ``ValidateJob`` in the API server's order: metadata, generated
selector, numbers, completion mode, podFailurePolicy, successPolicy,
podReplacementPolicy, pod template, Job restartPolicy, selector, Indexed
hostname. Pure functions over schema-valid, defaulted dicts.
"""

from __future__ import annotations

import re
from typing import Any

from minik.errors import FieldError
from minik.k8s import selector_matches
from minik.manifest import fields as f
from minik.manifest import rules_meta as m
from minik.manifest import rules_pod
from minik.manifest.fields import OMIT, PathT

SPEC: PathT = ("spec",)
ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")
MAX_RULES = 20
CONTROLLER_UID = "batch.kubernetes.io/controller-uid"


def _go_list(values: list[str]) -> str:
    return "[" + " ".join(f'"{v}"' for v in values) + "]"


def parse_succeeded_indexes(text: str, completions: int) -> tuple[int, str]:
    """(number of indexes, error) for a ``succeededIndexes`` interval list (R2.23)."""
    count, prev = 0, -1
    for part in text.split(","):
        bounds = part.split("-", 1)
        nums: list[int] = []
        for b in bounds:
            try:
                n = int(b)
            except ValueError:
                return 0, f'cannot convert string to integer for index: "{b}"'
            if n >= completions:
                return 0, f'too large index: "{b}"'
            nums.append(n)
        lo, hi = nums[0], nums[-1]
        if lo <= prev or hi < lo:
            return 0, f"non-increasing order, previous: {max(prev, lo)}, current: {hi if hi < lo else lo}"
        count += hi - lo + 1
        prev = hi
    return count, ""


def _pod_failure_policy(spec: dict[str, Any], pfp: dict[str, Any], base: PathT) -> list[FieldError]:
    errors: list[FieldError] = []
    path = (*base, "podFailurePolicy")
    pod = (spec.get("template") or {}).get("spec") or {}
    if pod.get("restartPolicy") != "Never":
        errors.append(
            f.invalid(
                (*base, "template", "spec", "restartPolicy"),
                pod.get("restartPolicy", ""),
                'only "Never" is supported when podFailurePolicy is specified',
            )
        )
    rules = pfp.get("rules") or []
    if len(rules) > MAX_RULES:
        errors.append(f.too_many((*path, "rules"), len(rules), MAX_RULES))
    names = {c.get("name") for c in (pod.get("containers") or []) + (pod.get("initContainers") or [])}
    for i, rule in enumerate(rules):
        rp = (*path, "rules", i)
        action = rule.get("action") or ""
        if not action:
            errors.append(f.required((*rp, "action"), f"valid values: {_go_list(list(ACTIONS))}"))
        elif action not in ACTIONS:
            errors.append(f.not_supported((*rp, "action"), action, ACTIONS))
        elif action == "FailIndex" and spec.get("backoffLimitPerIndex") is None:
            errors.append(f.invalid((*rp, "action"), action, "requires the backoffLimitPerIndex to be set"))
        codes, conds = rule.get("onExitCodes"), rule.get("onPodConditions")
        if codes is None and conds is None:
            errors.append(
                f.invalid(rp, OMIT, "specifying one of OnExitCodes and OnPodConditions is required")
            )
        elif codes is not None and conds is not None:
            errors.append(
                f.invalid(rp, OMIT, "specifying both OnExitCodes and OnPodConditions is not supported")
            )
        if codes is not None:
            cp = (*rp, "onExitCodes")
            if codes.get("containerName") is not None and codes["containerName"] not in names:
                errors.append(
                    f.invalid(
                        (*cp, "containerName"),
                        codes["containerName"],
                        "must be one of the container or initContainer names in the pod template",
                    )
                )
            op = codes.get("operator") or ""
            if not op:
                errors.append(f.required((*cp, "operator"), 'valid values: ["In" "NotIn"]'))
            elif op not in ("In", "NotIn"):
                errors.append(f.not_supported((*cp, "operator"), op, ("In", "NotIn")))
            values = codes.get("values") or []
            vp = (*cp, "values")
            if not values:
                errors.append(f.invalid(vp, OMIT, "[]int32(nil): at least one value is required"))
            elif len(values) > 255:
                errors.append(f.too_many(vp, len(values), 255))
            else:
                seen: set[int] = set()
                for j, val in enumerate(values):
                    if val in seen:
                        errors.append(f.duplicate((*vp, j), val))
                    if op == "In" and val == 0:
                        errors.append(f.invalid((*vp, j), 0, "must not be 0 for the In operator"))
                    if j > 0 and values[j - 1] > val:
                        shown = "[]int32{" + ", ".join(str(x) for x in values) + "}"
                        errors.append(f.invalid(vp, OMIT, f"{shown}: must be ordered"))
                    seen.add(val)
        if conds is not None:
            if len(conds) > MAX_RULES:
                errors.append(f.too_many((*rp, "onPodConditions"), len(conds), MAX_RULES))
            for j, cond in enumerate(conds):
                pp = (*rp, "onPodConditions", j)
                status = cond.get("status", "")
                if status not in ("True", "False", "Unknown"):
                    errors.append(f.not_supported((*pp, "status"), status, ("False", "True", "Unknown")))
                errors += [
                    f.invalid((*pp, "type"), cond.get("type", ""), msg)
                    for msg in m.qualified_name(cond.get("type", ""))
                ]
    return errors


def _success_policy(spec: dict[str, Any], sp: dict[str, Any], base: PathT) -> list[FieldError]:
    path = (*base, "successPolicy")
    if spec.get("completionMode") != "Indexed":
        return [f.invalid(path, sp, "requires indexed completion mode")]
    errors: list[FieldError] = []
    rules = sp.get("rules") or []
    if not rules:
        errors.append(
            f.required(
                (*path, "rules"), "at least one rules must be specified when the successPolicy is specified"
            )
        )
    if len(rules) > MAX_RULES:
        errors.append(f.too_many((*path, "rules"), len(rules), MAX_RULES))
    completions = spec.get("completions") or 0
    for i, rule in enumerate(rules):
        rp = (*path, "rules", i)
        idx, cnt = rule.get("succeededIndexes"), rule.get("succeededCount")
        if idx is None and cnt is None:
            errors.append(
                f.required(rp, "at least one of succeededCount or succeededIndexes must be specified")
            )
        total = -1
        if idx is not None:
            total, err = parse_succeeded_indexes(idx, completions)
            if err:
                errors.append(
                    f.invalid((*rp, "succeededIndexes"), idx, f"error parsing succeededIndexes: {err}")
                )
                total = -1
        if cnt is not None:
            cp = (*rp, "succeededCount")
            if cnt < 0:
                errors.append(f.invalid(cp, cnt, "must be greater than or equal to 0"))
            if cnt > completions:
                errors.append(
                    f.invalid(
                        cp,
                        cnt,
                        f"must be less than or equal to {completions} (the number of specified completions)",
                    )
                )
            if total >= 0 and cnt > total:
                errors.append(
                    f.invalid(
                        cp,
                        cnt,
                        f"must be less than or equal to {total} "
                        "(the number of indexes in the specified succeededIndexes field)",
                    )
                )
    return errors


def label_selector(sel: dict[str, Any], path: PathT) -> list[FieldError]:
    """Upstream ``ValidateLabelSelector``: label keys and values, operators and their values."""
    errors = m.labels(sel.get("matchLabels"), (*path, "matchLabels"))
    for i, expr in enumerate(sel.get("matchExpressions") or []):
        ep = (*path, "matchExpressions", i)
        op, values = expr.get("operator", ""), expr.get("values") or []
        if op in ("In", "NotIn") and not values:
            errors.append(f.required((*ep, "values"), "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist") and values:
            errors.append(
                f.forbidden(
                    (*ep, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                )
            )
        elif op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            errors.append(f.invalid((*ep, "operator"), op, "not a valid selector operator"))
        errors += [
            f.invalid((*ep, "key"), expr.get("key", ""), msg) for msg in m.qualified_name(expr.get("key", ""))
        ]
    return errors


_HTTP_PATH_FMT = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+"
_HTTP_PATH = re.compile(f"^{_HTTP_PATH_FMT}$")


def _managed_by(value: str, path: PathT) -> list[FieldError]:
    """Upstream ``IsDomainPrefixedPath`` plus the 63-byte limit of ``spec.managedBy``."""
    errors: list[FieldError] = []
    host, sep, rest = value.partition("/")
    if not value:
        errors.append(f.required(path))
    elif not sep or not host or not rest:
        errors.append(f.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")'))
    else:
        errors += [f.invalid(path, host, msg) for msg in m.dns1123_subdomain(host)]
        if not _HTTP_PATH.match(rest):
            detail = m.regex_error("Invalid path", _HTTP_PATH_FMT)
            errors.append(f.invalid(path, rest, detail))
    if len(value) > 63:
        errors.append(
            FieldError(
                path=f.fmt_path(path),
                reason="Too long",
                detail="may not be more than 63 bytes",
                extra={"path": path},
            )
        )
    return errors


def job_spec_errors(spec: dict[str, Any], base: PathT) -> list[FieldError]:
    """Upstream ``validateJobSpec``: a Job's or a CronJob's ``jobTemplate`` spec at ``base``."""
    errors: list[FieldError] = []
    for fld in (
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
        "backoffLimitPerIndex",
        "maxFailedIndexes",
    ):
        if spec.get(fld) is not None and spec[fld] < 0:
            errors.append(f.invalid((*base, fld), spec[fld], "must be greater than or equal to 0"))
    mode = spec.get("completionMode")
    completions, parallelism = spec.get("completions"), spec.get("parallelism")
    blpi, mfi = spec.get("backoffLimitPerIndex"), spec.get("maxFailedIndexes")
    if mode not in (None, "NonIndexed", "Indexed"):
        errors.append(f.not_supported((*base, "completionMode"), mode, ("NonIndexed", "Indexed")))
    if mode == "Indexed":
        if completions is None:
            errors.append(f.required((*base, "completions"), "when completion mode is Indexed"))
        if parallelism is not None and parallelism > 100000:
            errors.append(
                f.invalid(
                    (*base, "parallelism"),
                    parallelism,
                    "must be less than or equal to 100000 when completion mode is Indexed",
                )
            )
        if blpi is not None and completions is not None and completions > 100000:
            if mfi is None:
                errors.append(
                    f.required(
                        (*base, "maxFailedIndexes"), "must be specified when completions is above 100000"
                    )
                )
            elif mfi > 10000:
                errors.append(
                    f.invalid(
                        (*base, "maxFailedIndexes"),
                        mfi,
                        "must be less than or equal to 10000 when completions is above 100000",
                    )
                )
    else:
        for fld, val in (("backoffLimitPerIndex", blpi), ("maxFailedIndexes", mfi)):
            if val is not None:
                errors.append(f.invalid((*base, fld), val, "requires indexed completion mode"))
    if mfi is not None:
        if blpi is None:
            errors.append(f.required((*base, "backoffLimitPerIndex"), "when maxFailedIndexes is specified"))
        if completions is not None and mfi > completions:
            errors.append(
                f.invalid((*base, "maxFailedIndexes"), mfi, "must be less than or equal to completions")
            )
    if spec.get("podFailurePolicy") is not None:
        errors += _pod_failure_policy(spec, spec["podFailurePolicy"], base)
    if spec.get("successPolicy") is not None:
        errors += _success_policy(spec, spec["successPolicy"], base)
    prp = spec.get("podReplacementPolicy")
    if prp is not None:
        allowed = (
            ("Failed",) if spec.get("podFailurePolicy") is not None else ("Failed", "TerminatingOrFailed")
        )
        if prp not in allowed:
            errors.append(f.not_supported((*base, "podReplacementPolicy"), prp, allowed))
    if spec.get("managedBy") is not None:
        errors += _managed_by(str(spec["managedBy"]), (*base, "managedBy"))
    template = spec.get("template") or {}
    errors += rules_pod.pod_template(template, (*base, "template"))
    rp = (template.get("spec") or {}).get("restartPolicy") or ""
    rp_path = (*base, "template", "spec", "restartPolicy")
    if rp in ("", "Always"):
        errors.append(f.required(rp_path, 'valid values: "OnFailure", "Never"'))
    elif rp not in ("OnFailure", "Never"):
        errors.append(f.not_supported(rp_path, rp, ("OnFailure", "Never")))
    return errors


def validate_job(job: dict[str, Any]) -> list[FieldError]:
    """Every error of a defaulted Job, in the API server's order (R2.2)."""
    meta = job.get("metadata") or {}
    spec = job.get("spec") or {}
    name = meta.get("name") or ""
    errors = m.object_meta(meta)
    sel = spec.get("selector")
    manual = spec.get("manualSelector") is True
    uid = meta.get("uid") or ((sel or {}).get("matchLabels") or {}).get(CONTROLLER_UID)
    if not manual and sel is not None and uid:
        expected = {
            "controller-uid": uid,
            CONTROLLER_UID: uid,
            "job-name": name,
            "batch.kubernetes.io/job-name": name,
        }
        if not selector_matches(sel, expected):
            errors.append(f.invalid((*SPEC, "selector"), sel, "`selector` not auto-generated"))
    errors += job_spec_errors(spec, SPEC)
    template = spec.get("template") or {}
    if sel is None and manual:
        errors.append(f.required((*SPEC, "selector")))
    elif sel is not None:
        errors += label_selector(sel, (*SPEC, "selector"))
        labels = (template.get("metadata") or {}).get("labels") or {}
        if not selector_matches(sel, labels):
            errors.append(
                f.invalid(
                    (*SPEC, "template", "metadata", "labels"),
                    labels,
                    "`selector` does not match template `labels`",
                )
            )
    mode, completions = spec.get("completionMode"), spec.get("completions")
    if mode == "Indexed" and completions and completions > 0 and name:
        host = f"{name}-{completions - 1}"
        if m.dns1123_label(host):
            errors.append(
                f.invalid(
                    ("metadata", "name"), name, f"will not able to create pod with invalid DNS label: {host}"
                )
            )
    return errors


def job_warnings(job: dict[str, Any]) -> list[FieldError]:
    """R1.12: a subdomain that is not a DNS label."""
    name = (job.get("metadata") or {}).get("name") or ""
    msgs = m.dns1123_label(name) if name and not m.dns1123_subdomain(name) else []
    if msgs:
        return [
            FieldError(
                path="metadata.name",
                reason="this is used in Pod names and hostnames, which can "
                "result in surprising behavior; a DNS label is recommended",
                detail=str(msgs).replace("'", ""),
                warning=True,
                extra={"path": ("metadata", "name")},
            )
        ]
    return []


def validate_job_update(new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """R2.31: immutable Job fields (after the full create-time validation of ``new``)."""
    errors: list[FieldError] = []
    ns, os_ = new.get("spec") or {}, old.get("spec") or {}
    if ns.get("completions") != os_.get("completions"):
        if ns.get("completionMode") == "Indexed" and os_.get("completionMode") == "Indexed":
            if ns.get("completions") != ns.get("parallelism"):
                errors.append(
                    f.invalid(
                        (*SPEC, "completions"),
                        ns.get("completions"),
                        "can only be modified in tandem with spec.parallelism",
                    )
                )
        else:
            errors.append(f.invalid((*SPEC, "completions"), ns.get("completions"), "field is immutable"))
    for fld in (
        "selector",
        "template",
        "completionMode",
        "podFailurePolicy",
        "backoffLimitPerIndex",
        "managedBy",
        "successPolicy",
    ):
        if ns.get(fld) != os_.get(fld):
            errors.append(f.invalid((*SPEC, fld), ns.get(fld), "field is immutable"))
    return errors
