"""Name, label and metadata rules shared by every kind (apimachinery wording).

Owns DNS-1123 label/subdomain, qualified-name, label-value, config-key and
relative-path checks, and ``ValidateObjectMeta``. Pure functions over
schema-valid dicts.
"""

from __future__ import annotations

import re
from typing import Any

from minik.errors import FieldError
from minik.manifest import fields as f
from minik.manifest.fields import PathT

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE_FMT = "(" + QNAME_FMT + ")?"
CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"

_label = re.compile(rf"^{DNS1123_LABEL_FMT}\Z")
_subdomain = re.compile(rf"^{DNS1123_SUBDOMAIN_FMT}\Z")
_qname = re.compile(rf"^{QNAME_FMT}\Z")
_label_value = re.compile(rf"^{LABEL_VALUE_FMT}\Z")
_config_key = re.compile(rf"^{CONFIG_KEY_FMT}\Z")
_dns1035 = re.compile(rf"^{DNS1035_LABEL_FMT}\Z")

QNAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """apimachinery's RegexError (note the ``', '`` + `` or `` double space)."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def max_len(n: int) -> str:
    return f"must be no more than {n} characters"


def dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len(63))
    if not _label.match(value):
        if _subdomain.match(value):
            errs.append("must not contain dots")
        else:
            errs.append(
                regex_error(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
                    "must start and end with an alphanumeric character",
                    DNS1123_LABEL_FMT,
                    "my-name",
                    "123-abc",
                )
            )
    return errs


def dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(max_len(253))
    if not _subdomain.match(value):
        errs.append(
            regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                "and must start and end with an alphanumeric character",
                DNS1123_SUBDOMAIN_FMT,
                "example.com",
            )
        )
    return errs


def dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len(63))
    if not _dns1035.match(value):
        errs.append(
            regex_error(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                "alphabetic character, and end with an alphanumeric character",
                DNS1035_LABEL_FMT,
                "my-name",
                "abc-123",
            )
        )
    return errs


def path_segment(value: str) -> list[str]:
    """apimachinery's ``IsValidPathSegmentName`` (the names of RBAC roles and bindings)."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in "/%" if c in value]


def qualified_name(value: str) -> list[str]:
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) > 2:
        return [
            "a qualified name "
            + regex_error(QNAME_MSG, QNAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + m for m in dns1123_subdomain(prefix)]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + max_len(63))
    if not _qname.match(name):
        errs.append("name part " + regex_error(QNAME_MSG, QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def label_value(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len(63))
    if not _label_value.match(value):
        errs.append(
            regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                "and must start and end with an alphanumeric character",
                LABEL_VALUE_FMT,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errs


def config_key(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(max_len(253))
    if not _config_key.match(value):
        errs.append(
            regex_error(
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                CONFIG_KEY_FMT,
                "key.name",
                "KEY_NAME",
                "key-name",
            )
        )
    if value == ".":
        errs.append("must not be '.'")
    elif value == "..":
        errs.append("must not be '..'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def labels(values: dict[str, Any] | None, path: PathT) -> list[FieldError]:
    errors: list[FieldError] = []
    for k, v in (values or {}).items():
        errors += [f.invalid(path, k, m) for m in qualified_name(k)]
        errors += [f.invalid(path, v, m) for m in label_value(str(v))]
    return errors


def annotation_map(values: dict[str, Any] | None, path: PathT) -> list[FieldError]:
    errors: list[FieldError] = []
    total = 0
    for k, v in (values or {}).items():
        errors += [f.invalid(path, k, m) for m in qualified_name(k.lower())]
        total += len(k) + len(str(v))
    if total > 256 * 1024:
        errors.append(
            FieldError(
                path=f.fmt_path(path),
                reason="Too long",
                detail="may not be more than 262144 bytes",
                extra={"path": path},
            )
        )
    return errors


def local_descending_path(value: str, path: PathT) -> list[FieldError]:
    """A path below the volume root: relative, no ``..`` element."""
    errors = []
    if value.startswith("/"):
        errors.append(f.invalid(path, value, "must be a relative path"))
    if ".." in value.replace("\\", "/").split("/"):
        errors.append(f.invalid(path, value, "must not contain '..'"))
    return errors


def local_non_reserved_path(value: str, path: PathT) -> list[FieldError]:
    errors = local_descending_path(value, path)
    if value.startswith("..") and not value.startswith("../"):
        errors.append(f.invalid(path, value, "must not start with '..'"))
    return errors


def object_meta(
    meta: dict[str, Any], *, name_fn: str = "subdomain", namespaced: bool = True, path: PathT = ("metadata",)
) -> list[FieldError]:
    """``ValidateObjectMeta``: generateName, name, namespace, labels, annotations, owners, finalizers."""
    check = {"label": dns1123_label, "dns1035": dns1035_label, "path": path_segment}.get(
        name_fn, dns1123_subdomain
    )
    errors: list[FieldError] = []
    gen = meta.get("generateName")
    if gen:
        base = gen[:-1] if gen.endswith("-") else gen
        errors += [f.invalid((*path, "generateName"), gen, m) for m in check(base)]
    name = meta.get("name")
    if not name:
        errors.append(f.required((*path, "name"), "name or generateName is required"))
    else:
        errors += [f.invalid((*path, "name"), name, m) for m in check(name)]
    ns = meta.get("namespace")
    if namespaced and ns is not None and ns != "":
        errors += [f.invalid((*path, "namespace"), ns, m) for m in dns1123_label(ns)]
    errors += labels(meta.get("labels"), (*path, "labels"))
    errors += annotation_map(meta.get("annotations"), (*path, "annotations"))
    for i, ref in enumerate(meta.get("ownerReferences") or []):
        for fld in ("apiVersion", "kind", "name", "uid"):
            if not ref.get(fld):
                what = "version" if fld == "apiVersion" else fld
                errors.append(
                    f.invalid(
                        (*path, "ownerReferences", i, fld), ref.get(fld, ""), f"{what} must not be empty"
                    )
                )
    for i, fin in enumerate(meta.get("finalizers") or []):
        errors += [f.invalid((*path, "finalizers", i), fin, m) for m in qualified_name(fin)]
    return errors


def port_name(name: str) -> list[str]:
    errs = []
    if len(name) > 15:
        errs.append(max_len(15))
    if not re.fullmatch(r"[-a-z0-9]+", name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", name):
        errs.append("must contain at least one letter (a-z)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if name.startswith("-") or name.endswith("-"):
        errs.append("must not begin or end with a hyphen")
    return errs
