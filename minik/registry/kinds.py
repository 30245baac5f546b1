"""The strategies of the resources whose rules differ from the generic ones.

- Pods (``pkg/registry/core/pod/strategy.go``): a new pod is ``Pending`` with
  its QoS class and, as every pod written, the ``DefaultTolerationSeconds``
  admission's tolerations; one node, so the scheduler's binding is immediate unless the
  node is cordoned or a bound, non-terminal pod holds a host port the new pod asks
  for; deletion is graceful (``terminationGracePeriodSeconds``, a shorter grace
  may replace a longer one) and a deleting pod goes once it is terminal (or its
  grace is 0).
- Jobs and CronJobs (``pkg/registry/batch/job/strategy.go``,
  ``…/cronjob/strategy.go``): a delete without a propagationPolicy orphans a
  Job's pods (batch/v1's default, R7.5) and deletes a CronJob's Jobs.
- Services: a new Service has ``status.loadBalancer: {}`` and its ClusterIP
  (:mod:`minik.registry.clusterip`, from the range in
  :mod:`minik.store.servicerange`), which an update keeps; node ports are
  allocated on a client's create and update (:mod:`minik.registry.nodeports`).
- PersistentVolumeClaims and PersistentVolumes: the DefaultStorageClass and
  StorageObjectInUseProtection admission, status ``Pending`` on create
  (:mod:`minik.manifest.storage_admission`); a pod with claims waits for the
  scheduler gate instead of being bound at once.
- Namespaces (``pkg/registry/core/namespace/strategy.go``): the name label,
  the ``kubernetes`` finalizer and phase ``Active`` on create; the system
  namespaces may not be deleted; a deleted namespace is ``Terminating``
  until it holds nothing.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime, timedelta

from minik import apierrors as st
from minik.controllers import hostports
from minik.errors import FieldError
from minik.k8s import NODE_NAME, Obj, meta, qos_class, rfc3339
from minik.manifest import pod_admission, sa_admission, storage_admission
from minik.manifest import rules_core as rules_other
from minik.registry import clusterip, nodeports
from minik.registry.strategy import Strategy
from minik.resources import NAMESPACE_FINALIZER, NAMESPACE_NAME_LABEL, RESOURCES, SYSTEM_NAMESPACES
from minik.store import Store, servicerange

DEFAULT_POD_GRACE = 30
_LATEST = datetime.max.replace(microsecond=0, tzinfo=UTC)


def _after(now: datetime, seconds: int) -> datetime:
    """``now`` plus a grace period; one past the calendar (int64 seconds are) is the calendar's last second."""
    try:
        return now + timedelta(seconds=seconds)
    except OverflowError:
        return _LATEST


TERMINAL_PHASES = ("Succeeded", "Failed")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")


class PodStrategy(Strategy):
    reset_status_on_create = True

    def prepare_for_create(self, obj: Obj, now: datetime) -> None:
        super().prepare_for_create(obj, now)
        if not (obj.get("status") or {}).get("phase"):
            obj["status"] = {**(obj.get("status") or {}), "phase": "Pending", "qosClass": qos_class(obj)}

    def admit(self, obj: Obj, store: Store) -> None:
        """``DefaultTolerationSeconds`` (:mod:`minik.manifest.pod_admission`); the ServiceAccount
        admission (:mod:`minik.manifest.sa_admission`: the token volume, a 403 for a missing
        service account); one node: the scheduler's
        binding, at once (also before the Node is registered). On a cordoned node, for a pod with
        claims, or for one asking for a host port a bound, non-terminal pod holds
        (:mod:`minik.controllers.hostports`), the pod is left unbound and the control plane's
        scheduler gate (:mod:`minik.controllers.scheduling`) decides."""
        pod_admission.default_tolerations(obj)
        m = meta(obj)
        sa_name = sa_admission.service_account_name(obj)
        try:
            sa_admission.admit(obj, store.find("serviceaccounts", m.get("namespace") or "default", sa_name))
        except sa_admission.ServiceAccountMissing as exc:
            raise st.forbidden("pods", str(m.get("name", "")), str(exc)) from None
        node = store.find("nodes", "", NODE_NAME)
        cordoned = bool(((node or {}).get("spec") or {}).get("unschedulable"))
        spec = obj.get("spec") or {}
        claims = any("persistentVolumeClaim" in v for v in spec.get("volumes") or [])
        if spec.get("nodeName") or cordoned or claims:
            return
        if hostports.wanted(obj) and hostports.conflict(obj, store.list("pods", None, shared=True)[0]):
            return
        obj.setdefault("spec", {})["nodeName"] = NODE_NAME

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        """The generic rules, then ``DefaultTolerationSeconds``, which admits updates too."""
        super().prepare_for_update(new, old)
        pod_admission.default_tolerations(new)

    def check_update(self, new: Obj, old: Obj) -> None:
        """A bound pod stays bound where it is, whoever writes (upstream's ``ValidatePodUpdate``
        forbids any change of ``spec.nodeName``; only binding sets it). The API checks the rest
        of the spec; this guards the control plane's own writes too."""
        bound = (old.get("spec") or {}).get("nodeName")
        if bound and (new.get("spec") or {}).get("nodeName") != bound:
            body = f"Forbidden: {rules_other.POD_UPDATE_FORBIDDEN}"
            raise st.invalid("pods", meta(new).get("name", ""), [("spec", "Forbidden", body)])
        super().check_update(new, old)

    def mark_deleting(self, obj: Obj, now: datetime, grace: int | None) -> None:
        m = meta(obj)
        spec_grace = (obj.get("spec") or {}).get("terminationGracePeriodSeconds")
        seconds = grace if grace is not None else spec_grace
        seconds = DEFAULT_POD_GRACE if seconds is None else max(0, int(seconds))
        old = m.get("deletionGracePeriodSeconds")
        if old is None or seconds < old:
            m["deletionGracePeriodSeconds"] = seconds
            m["deletionTimestamp"] = rfc3339(_after(now, seconds))

    def removable(self, obj: Obj, *, has_children: bool = False) -> bool:
        if not super().removable(obj):
            return False
        phase = (obj.get("status") or {}).get("phase")
        return phase in TERMINAL_PHASES or meta(obj).get("deletionGracePeriodSeconds") == 0


class JobStrategy(Strategy):
    reset_status_on_create = True
    default_propagation = "Orphan"


class CronJobStrategy(Strategy):
    reset_status_on_create = True
    default_propagation = "Background"


class ServiceStrategy(Strategy):
    reset_status_on_create = True

    def prepare_for_create(self, obj: Obj, now: datetime) -> None:
        super().prepare_for_create(obj, now)
        obj.setdefault("status", {"loadBalancer": {}})

    def admit(self, obj: Obj, store: Store) -> None:
        """The Service's ClusterIP (upstream's allocator; the stored Services are the ledger)."""
        used = clusterip.addresses_in_use(store.list("services", None, shared=True)[0])
        clusterip.refuse(
            meta(obj).get("name", ""), clusterip.admit_create(obj, servicerange.get(store), used)
        )
        nodeports.allocate(store, obj, None)

    def admit_update(self, new: Obj, old: Obj, store: Store) -> None:
        uid = str(meta(old).get("uid") or "")
        used = clusterip.addresses_in_use(store.list("services", None, shared=True)[0], skip_uid=uid)
        problems = clusterip.admit_update(new, old, servicerange.get(store), used)
        clusterip.refuse(meta(new).get("name", ""), problems)
        nodeports.allocate(store, new, old)


class NamespaceStrategy(Strategy):
    manifest_rules = False

    def prepare_for_create(self, obj: Obj, now: datetime) -> None:
        super().prepare_for_create(obj, now)
        m = meta(obj)
        m.setdefault("labels", {})[NAMESPACE_NAME_LABEL] = m["name"]
        obj["spec"] = {"finalizers": [NAMESPACE_FINALIZER]}
        obj["status"] = {"phase": "Active"}

    def validate(self, obj: Obj) -> list[FieldError]:
        name = meta(obj).get("name", "")
        if isinstance(name, str) and _LABEL.match(name) and len(name) <= 63:
            return []
        detail = (
            f'"{name}": a lowercase RFC 1123 label must consist of lower case '
            "alphanumeric characters or '-', and must start and end with an alphanumeric character"
        )
        return [FieldError(path="metadata.name", reason="Invalid value", detail=detail)]

    def prepare_for_delete(
        self, obj: Obj, now: datetime, *, propagation: str | None, grace: int | None
    ) -> None:
        name = meta(obj).get("name", "")
        if name in SYSTEM_NAMESPACES:
            raise st.forbidden("namespaces", name, "this namespace may not be deleted")
        super().prepare_for_delete(obj, now, propagation=propagation, grace=grace)
        obj.setdefault("status", {})["phase"] = "Terminating"

    def removable(self, obj: Obj, *, has_children: bool = False) -> bool:
        return super().removable(obj) and not has_children


class ClaimStrategy(Strategy):
    """PersistentVolumeClaims: DefaultStorageClass and in-use protection admission (``storage_admission``)."""

    reset_status_on_create = True

    def admit(self, obj: Obj, store: Store) -> None:
        classes = store.list("storageclasses", None)[0]
        admitted = storage_admission.admit_claim(obj, classes)
        obj.clear()
        obj.update(admitted)


class VolumeStrategy(Strategy):
    """PersistentVolumes: in-use protection admission, status Pending."""

    reset_status_on_create = True

    def admit(self, obj: Obj, store: Store) -> None:
        admitted = storage_admission.admit_volume(obj)
        obj.clear()
        obj.update(admitted)


class UnvalidatedStrategy(Strategy):
    """Resources :mod:`minik.manifest` has no rules for (events, nodes)."""

    manifest_rules = False


class EndpointsStrategy(UnvalidatedStrategy):
    """Endpoints and EndpointSlices: kept by the endpoints controllers, writable (a selector-less
    Service's are the user's). Checked here: the metadata name and each address an IPv4 address."""

    def validate(self, obj: Obj) -> list[FieldError]:
        errors: list[FieldError] = []
        name = meta(obj).get("name", "")
        if not isinstance(name, str) or not name:
            errors.append(
                FieldError(
                    path="metadata.name", reason="Required value", detail="name or generateName is required"
                )
            )
        if obj.get("kind") == "EndpointSlice":
            if obj.get("addressType") not in ("IPv4", "IPv6", "FQDN"):
                errors.append(FieldError(path="addressType", reason="Unsupported value",
                                         detail=f'"{obj.get("addressType")}": supported values: "FQDN", "IPv4", "IPv6"'))  # fmt: skip
            for i, ep in enumerate(obj.get("endpoints") or []):
                for j, ip in enumerate((ep or {}).get("addresses") or []):
                    errors += _ip_error(
                        f"endpoints[{i}].addresses[{j}]", ip, obj.get("addressType") == "IPv4"
                    )
            return errors
        for i, subset in enumerate(obj.get("subsets") or []):
            for group in ("addresses", "notReadyAddresses"):
                for j, addr in enumerate((subset or {}).get(group) or []):
                    errors += _ip_error(f"subsets[{i}].{group}[{j}].ip", (addr or {}).get("ip"), True)
            for j, port in enumerate((subset or {}).get("ports") or []):
                num = (port or {}).get("port")
                if not isinstance(num, int) or not 1 <= num <= 65535:
                    errors.append(FieldError(path=f"subsets[{i}].ports[{j}].port", reason="Invalid value",
                                             detail=f"{num}: must be between 1 and 65535, inclusive"))  # fmt: skip
        return errors


def _ip_error(path: str, ip: object, check: bool) -> list[FieldError]:
    if not check:
        return []
    try:
        addr = ipaddress.IPv4Address(str(ip))
    except ValueError:
        return [FieldError(path=path, reason="Invalid value", detail=f'"{ip}": must be a valid IP address')]
    # upstream's validateNonSpecialIP: the proxies must never be sent to the node's own special addresses
    special = [
        (addr.is_unspecified, "may not be unspecified (0.0.0.0, ::)"),
        (addr.is_loopback, "may not be in the loopback range (127.0.0.0/8, ::1/128)"),
        (addr.is_link_local, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"),
        (
            addr in ipaddress.IPv4Network("224.0.0.0/24"),
            "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        ),
    ]
    return [
        FieldError(path=path, reason="Invalid value", detail=f'"{ip}": {why}') for bad, why in special if bad
    ]


_KINDS: dict[str, type[Strategy]] = {
    "pods": PodStrategy,
    "jobs": JobStrategy,
    "cronjobs": CronJobStrategy,
    "services": ServiceStrategy,
    "namespaces": NamespaceStrategy,
    "persistentvolumeclaims": ClaimStrategy,
    "persistentvolumes": VolumeStrategy,
    "events": UnvalidatedStrategy,
    "nodes": UnvalidatedStrategy,
    "endpoints": EndpointsStrategy,
    "endpointslices": EndpointsStrategy,
}
STRATEGIES: dict[str, Strategy] = {plural: _KINDS.get(plural, Strategy)(r) for plural, r in RESOURCES.items()}
"""Every served resource's strategy, by plural."""
