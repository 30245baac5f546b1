"""Label and field selector strings (``?labelSelector=``, ``?fieldSelector=``).

Pure parsing and matching, as apimachinery's ``labels.Parse`` and
``fields.ParseSelector`` accept them: ``a=b,c!=d,e in (x,y),f notin (z),!g,h``
for labels; ``metadata.name=x,status.phase!=Running`` for fields. A malformed
selector or an unsupported field raises a 400 BadRequest :class:`ApiError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from minik.apierrors import bad_request

_PREFIX = re.compile(r"[A-Za-z0-9][-A-Za-z0-9_.]*")
_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_INTEGER = re.compile(r"-?[0-9]+")
MAX_PREFIX, MAX_NAME = 253, 63
"""A label key is an optional DNS-subdomain prefix (253) and ``/`` and a name (63), as apimachinery checks."""


@dataclass(frozen=True)
class Requirement:
    """``key op values``; op is one of ``= != in notin exists !exists gt lt``."""

    key: str
    op: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        has = self.key in labels
        value = labels.get(self.key)
        if self.op in ("=", "in"):
            return has and value in self.values
        if self.op in ("!=", "notin"):
            return not has or value not in self.values
        if self.op == "exists":
            return has
        if self.op == "!exists":
            return not has
        if self.op in ("gt", "lt") and has:
            try:
                left, right = int(str(value)), int(self.values[0])
            except ValueError:
                return False
            return left > right if self.op == "gt" else left < right
        return False


LabelSelector = tuple[Requirement, ...]


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside parentheses (one pass: linear in the input)."""
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _valid_key(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    if slash and not (len(prefix) <= MAX_PREFIX and _PREFIX.fullmatch(prefix)):
        return False
    return len(name) <= MAX_NAME and _NAME.fullmatch(name) is not None


def _check_key(key: str, text: str) -> str:
    if not _valid_key(key):
        raise bad_request(f"unable to parse requirement: invalid label key {key!r} in selector {text!r}")
    return key


def _check_value(value: str, text: str) -> str:
    if len(value) > MAX_NAME or not _VALUE.fullmatch(value):
        raise bad_request(f"unable to parse requirement: invalid label value {value!r} in selector {text!r}")
    return value


_OPERATORS = ("!=", "==", "=", ">", "<")


def _set_requirement(part: str) -> tuple[str, str, str] | None:
    """``key in (a,b)`` / ``key notin (a)`` → (key, op, inner), else ``None``."""
    if not part.endswith(")") or "(" not in part:
        return None
    head, _, inner = part[:-1].partition("(")
    words = head.split()
    if len(words) != 2 or words[1] not in ("in", "notin"):
        return None
    return words[0], words[1], inner


def _cmp_requirement(part: str) -> tuple[str, str, str] | None:
    """``key=v``, ``key==v``, ``key!=v``, ``key>n``, ``key<n`` → (key, op, value), else ``None``."""
    at = next((i for i, ch in enumerate(part) if ch in "=!<>"), -1)
    if at <= 0:
        return None
    op = next((o for o in _OPERATORS if part.startswith(o, at)), None)
    if op is None:
        return None
    key = part[:at].strip()
    if not key or any(ch.isspace() for ch in key):
        return None
    return key, op, part[at + len(op) :].strip()


def parse_labels(text: str | None) -> LabelSelector:
    """Parse a label selector; ``None``/empty selects everything.

    Hand-split, with no backtracking regular expression over the whole
    input, so the work is linear in the selector's length.
    """
    if not text or not text.strip():
        return ()
    reqs: list[Requirement] = []
    for raw in _split_top(text):
        part = raw.strip()
        if not part:
            raise bad_request(f"unable to parse requirement: empty requirement in selector {text!r}")
        if (found := _set_requirement(part)) is not None:
            key, op, inner = found
            values = tuple(_check_value(v.strip(), text) for v in inner.split(",")) if inner.strip() else ()
            if not values:
                raise bad_request(f"unable to parse requirement: {op} needs at least one value in {text!r}")
            reqs.append(Requirement(_check_key(key, text), op, values))
        elif (cmp := _cmp_requirement(part)) is not None:
            key, op, value = cmp
            op = {"==": "=", ">": "gt", "<": "lt"}.get(op, op)
            if op in ("gt", "lt") and not _INTEGER.fullmatch(value):
                raise bad_request(f"unable to parse requirement: {value!r} is not an integer in {text!r}")
            reqs.append(Requirement(_check_key(key, text), op, (_check_value(value, text),)))
        elif part.startswith("!"):
            reqs.append(Requirement(_check_key(part[1:].strip(), text), "!exists"))
        else:
            reqs.append(Requirement(_check_key(part, text), "exists"))
    return tuple(reqs)


def labels_match(selector: LabelSelector, labels: Mapping[str, str] | None) -> bool:
    labels = labels or {}
    return all(r.matches(labels) for r in selector)


# -- fields -------------------------------------------------------------------------

_COMMON_FIELDS = ("metadata.name", "metadata.namespace")
FIELDS: dict[str, tuple[str, ...]] = {
    "pods": (
        *_COMMON_FIELDS,
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "events": (
        *_COMMON_FIELDS,
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "jobs": (*_COMMON_FIELDS, "status.successful"),
    "secrets": (*_COMMON_FIELDS, "type"),
    "namespaces": (*_COMMON_FIELDS, "status.phase"),
}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    value: str
    negate: bool = False


FieldSelector = tuple[FieldRequirement, ...]


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def parse_fields(text: str | None, resource: str) -> FieldSelector:
    """Parse a field selector for ``resource``; unknown fields are a 400.

    Empty terms are skipped, as ``fields.ParseSelector`` skips them
    (``metadata.name=x,`` selects like ``metadata.name=x``; kr8s always sends
    the trailing comma). A label selector's empty term stays an error, as in
    ``labels.Parse``.
    """
    if not text or not text.strip():
        return ()
    allowed = FIELDS.get(resource, _COMMON_FIELDS)
    out: list[FieldRequirement] = []
    for raw in re.split(r"(?<!\\),", text):
        if raw == "":
            continue
        part = raw.strip()
        at = next((i for i, ch in enumerate(part) if ch in "=!"), -1)
        op = next((o for o in ("==", "!=", "=") if part.startswith(o, at)), None) if at > 0 else None
        if op is None:
            raise bad_request(f"invalid selector: {text!r}; can't understand {part!r}")
        field, value = part[:at].strip(), _unescape(part[at + len(op) :].strip())
        if field not in allowed:
            supported = ", ".join(allowed)
            raise bad_request(f"field label not supported: {field} (for {resource}: {supported})")
        out.append(FieldRequirement(field, value, negate=op == "!="))
    return tuple(out)


def field_value(obj: Mapping[str, Any], field: str) -> str:
    """The string value of a dotted field (``""`` when absent; ``source`` = component)."""
    if field == "source":
        field = "source.component"
    cur: Any = obj
    for part in field.split("."):
        if not isinstance(cur, Mapping):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def fields_match(selector: FieldSelector, obj: Mapping[str, Any]) -> bool:
    return all((field_value(obj, r.field) == r.value) != r.negate for r in selector)


def compile_filter(
    resource: str, label_selector: str | None, field_selector: str | None
) -> Callable[[Mapping[str, Any]], bool]:
    """One predicate for both selectors (parsing errors raise at once)."""
    labels = parse_labels(label_selector)
    fields = parse_fields(field_selector, resource)

    def match(obj: Mapping[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        return labels_match(labels, meta.get("labels")) and fields_match(fields, obj)

    return match


__all__ = ["compile_filter", "field_value", "parse_fields", "parse_labels"]
