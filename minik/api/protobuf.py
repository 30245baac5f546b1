"""Reading the Kubernetes protobuf encoding of the objects kubectl's typed commands send.

``kubectl create job|configmap|secret|service|namespace|serviceaccount|role|
rolebinding|clusterrole|clusterrolebinding`` post their object as
``application/vnd.kubernetes.protobuf``: the ``k8s\\x00`` magic, then a
``runtime.Unknown`` holding the apiVersion/kind and the object's bytes. This
module turns those bytes into the JSON-shaped dict the rest of the API works
on, for the fields in :data:`MESSAGES` (those of Jobs, pods' templates,
ConfigMaps, Secrets, Services, Namespaces, ServiceAccounts, the RBAC
kinds, PodDisruptionBudgets, Evictions and the DeleteOptions of a typed
delete that such commands fill in).

Go writes every non-pointer field even when it is empty, so an empty or zero
value is dropped (as ``omitempty`` does in JSON) unless the field is a
pointer in the Go type (marked ``*``), where presence means "set". A field
this table does not know is ignored when empty and otherwise rejected with
:class:`ProtobufError` naming it, so nothing is silently lost. Pure; no I/O.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

MAGIC = b"k8s\x00"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"


class ProtobufError(ValueError):
    """The body is not protobuf minik can read."""


class ProtobufValueError(ProtobufError):
    """The body is well-formed protobuf but a value in it is out of range (a 400, not a 415)."""


# message → field number → (json name, type). Types: s string, b bool, i int, y bytes (base64),
# t Time, q Quantity, ios IntOrString, m:<Msg>, map (string→string), mapy (string→bytes),
# mapq (string→Quantity); a leading "[]" repeats, a trailing "*" keeps zero values.
F = dict[int, tuple[str, str]]
MESSAGES: dict[str, F] = {
    "Unknown": {1: ("typeMeta", "m:TypeMeta"), 2: ("raw", "y"), 3: ("contentEncoding", "s"), 4: ("contentType", "s")},
    "TypeMeta": {1: ("apiVersion", "s"), 2: ("kind", "s")},
    "ObjectMeta": {
        1: ("name", "s"), 2: ("generateName", "s"), 3: ("namespace", "s"), 5: ("uid", "s"),
        6: ("resourceVersion", "s"), 7: ("generation", "i"), 8: ("creationTimestamp", "t"),
        11: ("labels", "map"), 12: ("annotations", "map"), 13: ("ownerReferences", "[]m:OwnerReference"),
        14: ("finalizers", "[]s"),
    },
    "OwnerReference": {
        1: ("kind", "s"), 3: ("name", "s"), 4: ("uid", "s"), 5: ("apiVersion", "s"), 6: ("controller", "b*"),
        7: ("blockOwnerDeletion", "b*"),
    },
    "Job": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:JobSpec"), 3: ("status", "m:Ignored")},
    "JobSpec": {
        1: ("parallelism", "i*"), 2: ("completions", "i*"), 3: ("activeDeadlineSeconds", "i*"),
        4: ("selector", "m:LabelSelector*"), 5: ("manualSelector", "b*"), 6: ("template", "m:PodTemplateSpec"),
        7: ("backoffLimit", "i*"), 8: ("ttlSecondsAfterFinished", "i*"), 9: ("completionMode", "s*"),
        10: ("suspend", "b*"), 12: ("backoffLimitPerIndex", "i*"), 13: ("maxFailedIndexes", "i*"),
        14: ("podReplacementPolicy", "s*"), 15: ("managedBy", "s*"),
    },
    "LabelSelector": {1: ("matchLabels", "map"), 2: ("matchExpressions", "[]m:LabelSelectorRequirement")},
    "LabelSelectorRequirement": {1: ("key", "s"), 2: ("operator", "s"), 3: ("values", "[]s")},
    "PodTemplateSpec": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:PodSpec")},
    "PodSpec": {
        2: ("containers", "[]m:Container"), 3: ("restartPolicy", "s"), 4: ("terminationGracePeriodSeconds", "i*"),
        5: ("activeDeadlineSeconds", "i*"), 6: ("dnsPolicy", "s"), 7: ("nodeSelector", "map"),
        8: ("serviceAccountName", "s"), 9: ("serviceAccount", "s"), 16: ("hostname", "s"),
        14: ("securityContext", "m:PodSecurityContext*"), 17: ("subdomain", "s"), 19: ("schedulerName", "s"),
        20: ("initContainers", "[]m:Container"), 24: ("priorityClassName", "s"), 30: ("enableServiceLinks", "b*"),
    },
    "Container": {
        1: ("name", "s"), 2: ("image", "s"), 3: ("command", "[]s"), 4: ("args", "[]s"), 5: ("workingDir", "s"),
        6: ("ports", "[]m:ContainerPort"), 7: ("env", "[]m:EnvVar"), 8: ("resources", "m:ResourceRequirements"),
        13: ("terminationMessagePath", "s"), 14: ("imagePullPolicy", "s"), 16: ("stdin", "b"),
        17: ("stdinOnce", "b"), 18: ("tty", "b"), 20: ("terminationMessagePolicy", "s"),
    },
    "ContainerPort": {1: ("name", "s"), 2: ("hostPort", "i"), 3: ("containerPort", "i"), 4: ("protocol", "s"), 5: ("hostIP", "s")},
    "EnvVar": {1: ("name", "s"), 2: ("value", "s")},
    "ResourceRequirements": {1: ("limits", "mapq"), 2: ("requests", "mapq")},
    "ConfigMap": {1: ("metadata", "m:ObjectMeta"), 2: ("data", "map"), 3: ("binaryData", "mapy"), 4: ("immutable", "b*")},
    "Secret": {1: ("metadata", "m:ObjectMeta"), 2: ("data", "mapy"), 3: ("type", "s"), 4: ("stringData", "map"), 5: ("immutable", "b*")},
    "Service": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:ServiceSpec"), 3: ("status", "m:Ignored")},
    "ServiceSpec": {
        1: ("ports", "[]m:ServicePort"), 2: ("selector", "map"), 3: ("clusterIP", "s"), 4: ("type", "s"),
        5: ("externalIPs", "[]s"), 7: ("sessionAffinity", "s"), 10: ("externalName", "s"),
    },
    "ServicePort": {1: ("name", "s"), 2: ("protocol", "s"), 3: ("port", "i"), 4: ("targetPort", "ios"), 5: ("nodePort", "i")},
    "PodSecurityContext": {},
    "Ignored": {},
    # kubectl create namespace|serviceaccount|role|clusterrole|rolebinding|clusterrolebinding
    "Namespace": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:NamespaceSpec"), 3: ("status", "m:Ignored")},
    "NamespaceSpec": {1: ("finalizers", "[]s")},
    "ServiceAccount": {1: ("metadata", "m:ObjectMeta"), 2: ("secrets", "[]m:ObjectReference"),
                       3: ("imagePullSecrets", "[]m:LocalObjectReference"), 4: ("automountServiceAccountToken", "b*")},
    "ObjectReference": {1: ("kind", "s"), 2: ("namespace", "s"), 3: ("name", "s"), 4: ("uid", "s"),
                        5: ("apiVersion", "s"), 6: ("resourceVersion", "s"), 7: ("fieldPath", "s")},
    "LocalObjectReference": {1: ("name", "s")},
    "Role": {1: ("metadata", "m:ObjectMeta"), 2: ("rules", "[]m:PolicyRule")},
    "ClusterRole": {1: ("metadata", "m:ObjectMeta"), 2: ("rules", "[]m:PolicyRule"), 3: ("aggregationRule", "m:AggregationRule*")},
    "AggregationRule": {1: ("clusterRoleSelectors", "[]m:LabelSelector")},
    "PolicyRule": {1: ("verbs", "[]s"), 2: ("apiGroups", "[]s"), 3: ("resources", "[]s"), 4: ("resourceNames", "[]s"),
                   5: ("nonResourceURLs", "[]s")},
    "RoleBinding": {1: ("metadata", "m:ObjectMeta"), 2: ("subjects", "[]m:Subject"), 3: ("roleRef", "m:RoleRef")},
    "Subject": {1: ("kind", "s"), 2: ("apiGroup", "s"), 3: ("name", "s"), 4: ("namespace", "s")},
    "RoleRef": {1: ("apiGroup", "s"), 2: ("kind", "s"), 3: ("name", "s")},
    # kubectl create poddisruptionbudget; client-go's EvictV1 (kubectl drain)
    "PodDisruptionBudget": {1: ("metadata", "m:ObjectMeta"), 2: ("spec", "m:PodDisruptionBudgetSpec"),
                            3: ("status", "m:Ignored")},
    "PodDisruptionBudgetSpec": {1: ("minAvailable", "ios*"), 2: ("selector", "m:LabelSelector*"),
                                3: ("maxUnavailable", "ios*"), 4: ("unhealthyPodEvictionPolicy", "s*")},
    "Eviction": {1: ("metadata", "m:ObjectMeta"), 2: ("deleteOptions", "m:DeleteOptions*")},
    "DeleteOptions": {1: ("gracePeriodSeconds", "i*"), 2: ("preconditions", "m:Preconditions"),
                      3: ("orphanDependents", "b*"), 4: ("propagationPolicy", "s*"), 5: ("dryRun", "[]s")},
    "Preconditions": {1: ("uid", "s"), 2: ("resourceVersion", "s")},
}  # fmt: skip
MESSAGES["ClusterRoleBinding"] = MESSAGES["RoleBinding"]
KINDS = {("batch/v1", "Job"): "Job", ("v1", "ConfigMap"): "ConfigMap", ("v1", "Secret"): "Secret",
         ("v1", "Service"): "Service", ("v1", "Namespace"): "Namespace", ("v1", "ServiceAccount"): "ServiceAccount",
         **{("rbac.authorization.k8s.io/v1", k): k
            for k in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")},
         ("policy/v1", "PodDisruptionBudget"): "PodDisruptionBudget", ("policy/v1", "Eviction"): "Eviction",
         # the body of client-go's typed Delete (kubectl drain --disable-eviction)
         ("v1", "DeleteOptions"): "DeleteOptions", ("meta.k8s.io/v1", "DeleteOptions"): "DeleteOptions"}  # fmt: skip


def _varint(b: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(b) or shift > 63:
            raise ProtobufError("truncated protobuf varint")
        x = b[i]
        i += 1
        result |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return result, i


def _fields(b: bytes) -> list[tuple[int, int | bytes]]:
    """The (field number, varint or bytes) pairs of one message."""
    out: list[tuple[int, int | bytes]] = []
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(b, i)
            out.append((number, value))
        elif wire == 2:
            n, i = _varint(b, i)
            if i + n > len(b):
                raise ProtobufError("truncated protobuf field")
            out.append((number, b[i : i + n]))
            i += n
        else:
            raise ProtobufError(f"unsupported protobuf wire type {wire}")
    return out


def _text(v: int | bytes | None) -> str:
    return v.decode() if isinstance(v, bytes) else ""


def _number(v: int | bytes | None) -> int:
    return v if isinstance(v, int) else 0


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _scalar(kind: str, raw: int | bytes) -> Any:
    if kind == "s":
        return raw.decode() if isinstance(raw, bytes) else None
    if kind == "y":
        return base64.b64encode(raw).decode() if isinstance(raw, bytes) else None
    if kind == "b":
        return bool(raw) if isinstance(raw, int) else None
    if kind == "i":
        return _signed(raw) if isinstance(raw, int) else None
    if not isinstance(raw, bytes):
        return None
    parts = dict(_fields(raw))
    if kind == "q":
        return _text(parts.get(1))
    if kind == "ios":
        return _text(parts.get(3)) if parts.get(1) == 1 else _signed(_number(parts.get(2)))
    if kind == "t":
        seconds = _signed(_number(parts.get(1)))
        if seconds <= 0:
            return None
        try:
            return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (OverflowError, OSError, ValueError):
            raise ProtobufValueError(f"the timestamp {seconds} is out of range") from None
    return None


def _empty(v: Any) -> bool:
    return v is None or v in ("", 0, False) or v in ({}, [])


def message(name: str, b: bytes) -> dict[str, Any]:
    """One message → its JSON object (empty non-pointer fields dropped)."""
    table = MESSAGES[name]
    out: dict[str, Any] = {}
    for number, raw in _fields(b):
        if number not in table:
            if raw in (0, b"") or name == "Ignored":
                continue
            raise ProtobufError(
                f"minik cannot read field {number} of {name} from protobuf; send the object as JSON"
            )
        key, kind = table[number]
        keep = kind.endswith("*")
        kind = kind.rstrip("*")
        repeated = kind.startswith("[]")
        kind = kind.removeprefix("[]")
        if kind.startswith("map"):
            if not isinstance(raw, bytes):
                raise ProtobufError(f"field {key} of {name} is not a map entry")
            entry = dict(_fields(raw))
            k = _text(entry.get(1))
            value = _scalar({"map": "s", "mapy": "y", "mapq": "q"}[kind], entry.get(2, b""))
            out.setdefault(key, {})[k] = value
            continue
        if kind.startswith("m:"):
            if not isinstance(raw, bytes):
                raise ProtobufError(f"field {key} of {name} is not a message")
            value = message(kind[2:], raw)
        else:
            value = _scalar(kind, raw)
        if repeated:
            out.setdefault(key, []).append(value)
        elif keep or not _empty(value):
            out[key] = value
    return {k: v for k, v in out.items() if not _empty(v) or k in _kept(table)}


def _kept(table: F) -> set[str]:
    return {key for key, kind in table.values() if kind.endswith("*")}


def decode(body: bytes) -> dict[str, Any]:
    """A ``k8s\\x00``-framed object → its JSON dict with ``apiVersion`` and ``kind``."""
    if not body.startswith(MAGIC):
        raise ProtobufError("the protobuf body does not start with the Kubernetes magic number")
    try:
        unknown = message("Unknown", body[len(MAGIC) :])
        type_meta = unknown.get("typeMeta") or {}
        gvk = (type_meta.get("apiVersion", ""), type_meta.get("kind", ""))
        if gvk not in KINDS:
            raise ProtobufError(f"minik cannot read {gvk[1] or 'objects'} from protobuf; send JSON")
        raw = base64.b64decode(unknown.get("raw", ""))
        obj = message(KINDS[gvk], raw)
    except (UnicodeDecodeError, IndexError, KeyError) as exc:
        raise ProtobufError(f"the protobuf body could not be decoded: {exc}") from None
    obj.pop("status", None)
    return {"apiVersion": gvk[0], "kind": gvk[1], **obj}


def delete_options(body: bytes) -> dict[str, Any]:
    """The ``DeleteOptions`` body of client-go's typed Delete → its fields (no apiVersion/kind)."""
    obj = decode(body)
    if obj["kind"] != "DeleteOptions":
        raise ProtobufError(f"the body of a delete must be DeleteOptions, not {obj['kind']}")
    return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
