"""The registry: every write to an API object goes through here, as through the API
server's generic registry store (``staging/.../apiserver/pkg/registry/generic/registry/store.go``).

Owns the order of a write: a client's write (:meth:`Registry.client_create`,
:meth:`Registry.client_update`, what the API's handlers call) is defaulted and
validated (:mod:`minik.registry.rules`), its managed fields stamped
(:mod:`minik.managedfields`), admitted (the strategy's ``admit``, e.g. node
ports); then, as for the control plane's own writes, the resource's
:class:`~minik.registry.strategy.Strategy` prepares the object (create,
update, status update, delete) and the store (:class:`~minik.store.Store`)
writes the row in one transaction. Owns the
object lifecycle around a row: a namespace must exist and not be terminating
for new content, a new namespace gets its ``default`` ServiceAccount, a
deleting object goes once its finalizers (and, for a pod, its grace) allow,
and a terminating namespace goes once empty. Reads pass through to the store.
Events are recorded by its :class:`~minik.registry.events.EventRecorder` (``events``).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from minik import apierrors as st
from minik.auth import bootstrap
from minik.errors import FieldError
from minik.k8s import Obj, clone, meta, rfc3339
from minik.managedfields import managed
from minik.manifest import rules_ephemeral, sa_admission, storage_admission
from minik.registry.correlator import EventCorrelator
from minik.registry.events import EventRecorder
from minik.registry.kinds import STRATEGIES
from minik.registry.rules import MANIFEST_RULES, ObjectRules, check_write
from minik.registry.strategy import Strategy
from minik.resources import DEFAULT_SERVICE_ACCOUNT, INITIAL_NAMESPACES, RESOURCES, Resource
from minik.store import Store, Subscription

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ClientWrite:
    """What a client's create or update asks besides the object: the API's write options."""

    manager: str
    """The field manager the write's fields are stamped for."""
    field_validation: str = "Warn"
    """``Strict``, ``Warn`` or ``Ignore``: what an unknown field does (:func:`~minik.registry.rules.check_write`)."""
    dry_run: bool = False
    fields: list[dict[str, Any]] | None = None
    """The managedFields a server-side apply computed; ``None``: the write's own."""


@dataclass(frozen=True)
class Written:
    """A client write's result: the object as stored (or as it would be, in a dry run) and the warnings."""

    obj: Obj
    warnings: list[FieldError]


class Registry:
    """The API objects, with their rules; see the module docstring."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = _utcnow,
        correlator: EventCorrelator | None = None,
        rules: ObjectRules = MANIFEST_RULES,
        root_ca: str = "",
    ) -> None:
        self.store = store
        self.clock = clock
        self.rules = rules
        self.root_ca = root_ca
        """The API server's CA (PEM), published in every namespace as ``kube-root-ca.crt``."""
        self.events = EventRecorder(
            store,
            clock=self._now,
            correlator=correlator or EventCorrelator(clock=clock),
            create=self.create,
        )
        with store.transaction():
            self._default_storage_class()
            self._default_rbac()
            for ns in INITIAL_NAMESPACES:
                if store.find("namespaces", "", ns) is None:
                    self.create("namespaces", {"metadata": {"name": ns}})
                else:
                    self.publish_namespace_defaults(ns)

    def publish_namespace_defaults(self, ns: str) -> None:
        """What every active namespace holds, as the service account controller and the root CA
        publisher keep it: the ``default`` ServiceAccount, and ``kube-root-ca.crt`` with the CA
        (recreated when deleted, rewritten when changed). Level-triggered: safe to call any time."""
        owner = self.store.find("namespaces", "", ns)
        if owner is None or meta(owner).get("deletionTimestamp"):
            return
        if self.store.find("serviceaccounts", ns, DEFAULT_SERVICE_ACCOUNT) is None:
            self.create("serviceaccounts", {"metadata": {"name": DEFAULT_SERVICE_ACCOUNT, "namespace": ns}})
        if not self.root_ca:
            return
        want = sa_admission.root_ca_configmap(ns, self.root_ca)
        current = self.store.find("configmaps", ns, sa_admission.ROOT_CA_CONFIGMAP)
        if current is None:
            self.create("configmaps", want)
        elif current.get("data") != want["data"] or current.get("binaryData"):
            current["data"] = want["data"]
            current.pop("binaryData", None)
            self.update("configmaps", current)

    def _now(self) -> datetime:
        """The registry's clock, read at each call (a test may move it)."""
        return self.clock()

    def _default_storage_class(self) -> None:
        """Once per instance (a store older than storage included): kind's ``standard`` class.

        Deleted by the user, it stays deleted, as in a cluster.
        """
        if not self.store.once("default-storage-class"):
            return
        name = storage_admission.DEFAULT_CLASS["metadata"]["name"]
        if self.store.find("storageclasses", "", name) is None:
            self.create("storageclasses", storage_admission.DEFAULT_CLASS)

    def _default_rbac(self) -> None:
        """At every start, as the API server's RBAC bootstrap: the default ClusterRoles and
        ClusterRoleBindings that are missing are created (those present are left as they are)."""
        for resource, objs in (
            ("clusterroles", bootstrap.cluster_roles()),
            ("clusterrolebindings", bootstrap.cluster_role_bindings()),
        ):
            for obj in objs:
                if self.store.find(resource, "", obj["metadata"]["name"]) is None:
                    self.create(resource, obj)

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        clock: Clock = _utcnow,
        correlator: EventCorrelator | None = None,
        rules: ObjectRules = MANIFEST_RULES,
        root_ca: str = "",
        **store_options: float,
    ) -> Registry:
        """A registry over a new :class:`Store` at ``path`` (``log_size``, ``busy_timeout`` pass through)."""
        store = Store(path, **store_options)  # type: ignore[arg-type]
        try:
            return cls(store, clock=clock, correlator=correlator, rules=rules, root_ca=root_ca)
        except BaseException:
            store.close()
            raise

    # -- reads and plumbing (the store's) ------------------------------------------------
    def get(self, resource: str, namespace: str | None, name: str) -> Obj:
        """See :meth:`minik.store.Store.get`."""
        return self.store.get(resource, namespace, name)

    def list(
        self,
        resource: str,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        shared: bool = False,
    ) -> tuple[list[Obj], str]:
        """See :meth:`minik.store.Store.list`."""
        return self.store.list(
            resource, namespace, label_selector=label_selector, field_selector=field_selector, shared=shared
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One store transaction (nested ones join it)."""
        with self.store.transaction():
            yield

    def subscribe(
        self, resource: str | None, since_rv: int | None, *, max_buffer: float = math.inf
    ) -> Subscription:
        """See :meth:`minik.store.Store.subscribe`."""
        return self.store.subscribe(resource, since_rv, max_buffer=max_buffer)

    @property
    def path(self) -> Path:
        """The store's file."""
        return self.store.path

    @property
    def resource_version(self) -> int:
        return self.store.resource_version

    @property
    def oldest_replayable_rv(self) -> int:
        return self.store.oldest_replayable_rv

    def close(self) -> None:
        self.store.close()

    @staticmethod
    def strategy(resource: str) -> Strategy:
        """The resource's strategy; 404 for a resource minik does not serve."""
        try:
            return STRATEGIES[resource]
        except KeyError:
            raise st.error(
                404, "NotFound", f'the server doesn\'t have a resource type "{resource}"'
            ) from None

    @staticmethod
    def _ns(r: Resource, namespace: str | None) -> str:
        return (namespace or "default") if r.namespaced else ""

    # -- a client's writes -----------------------------------------------------------------
    def _stamp(self, current: Obj | None, obj: Obj, write: ClientWrite, *, subresource: str = "") -> None:
        api_version = str(obj.get("apiVersion", ""))
        now = rfc3339(self.clock())
        managed.stamp(
            current, obj, manager=write.manager, api_version=api_version, now=now, fields=write.fields,
            subresource=subresource,
        )  # fmt: skip

    def client_create(self, resource: str, obj: Obj, write: ClientWrite) -> Written:
        """A client's create (a POST, an apply that creates), as the API server's create handler
        and ``rest.BeforeCreate`` order it: what a client may not set cleared, defaults, validation,
        the managed fields (before admission, as upstream: admission's changes are nobody's), then
        :meth:`create` (the strategy's admission, the row)."""
        s = self.strategy(resource)
        s.clear_for_create(obj)
        uid = str(uuid.uuid4())
        if s.manifest_rules:
            obj = self.rules.default(obj, uid)
        warnings = check_write(s, self.rules, obj, None, write.field_validation)
        meta(obj)["uid"] = uid
        obj["apiVersion"], obj["kind"] = s.resource.api_version, s.resource.kind
        self._stamp(None, obj, write)
        return Written(self.create(resource, obj, dry_run=write.dry_run), warnings)

    def client_update(
        self, resource: str, obj: Obj, write: ClientWrite, *, subresource: str | None = None
    ) -> Written:
        """A client's update (PUT, PATCH, an apply that updates) of the object named in ``obj``,
        or of its status with ``subresource="status"``: as :meth:`client_create`, then
        :meth:`update`. 404 when it does not exist."""
        s = self.strategy(resource)
        r = s.resource
        m = meta(obj)
        current = self.get(resource, m.get("namespace"), m.get("name", ""))
        obj["apiVersion"], obj["kind"] = r.api_version, r.kind
        if subresource == "status":
            new = s.prepare_status_update(obj, current)
            self._stamp(current, new, write, subresource="status")
            if write.dry_run:
                return Written(new, [])
            return Written(self.update(resource, new, status_only=True, status_meta=True), [])
        ephemeral = subresource == rules_ephemeral.SUBRESOURCE
        if ephemeral:  # upstream's podEphemeralContainersStrategy: only those are taken from the write
            obj = rules_ephemeral.kept_of(obj, current)
        s.prepare_for_update(obj, current)
        if s.manifest_rules:
            obj = self.rules.default(obj, None)
        old = current
        if ephemeral:
            refused = rules_ephemeral.update(obj.get("spec") or {}, current.get("spec") or {})
            if refused:
                raise st.invalid(
                    resource, str(m.get("name", "")), [(e.path, e.reason, e.body()) for e in refused]
                )
            old = rules_ephemeral.kept_of(obj, current)  # the rest of the pod is checked as unchanged
        warnings = check_write(s, self.rules, obj, old, write.field_validation)
        self._stamp(current, obj, write, subresource=subresource or "")
        # admission (the strategy's admit_update) runs in update, for every writer, after the stamp
        return Written(self.update(resource, obj, dry_run=write.dry_run), warnings)

    # -- create --------------------------------------------------------------------------
    def create(self, resource: str, obj: Obj, *, dry_run: bool = False) -> Obj:
        """Store a new object: uid (kept when given), creationTimestamp, generation, the strategy's fields.

        ``dry_run``: every check, nothing written; the object as it would be stored.
        """
        s = self.strategy(resource)
        r = s.resource
        obj = {"apiVersion": r.api_version, "kind": r.kind, "metadata": {}, **clone(obj)}
        obj["apiVersion"], obj["kind"] = r.api_version, r.kind
        m = obj["metadata"]
        s.name(obj)
        with self.transaction():
            if r.namespaced:
                m["namespace"] = ns = m.get("namespace") or "default"
                owner = self.store.find("namespaces", "", ns)
                if owner is None:
                    raise st.not_found("namespaces", ns)
                if meta(owner).get("deletionTimestamp"):
                    why = f"unable to create new content in namespace {ns} because it is being terminated"
                    raise st.forbidden(resource, m["name"], why)
            else:
                m.pop("namespace", None)
                ns = ""
            if self.store.find(resource, ns, m["name"]) is not None:
                raise st.already_exists(resource, m["name"])
            s.prepare_for_create(obj, self.clock())
            s.admit(obj, self.store)
            if dry_run:
                return obj
            created = self.store.insert(resource, obj)
            if resource == "namespaces":  # as the service account controller and root CA publisher do
                self.publish_namespace_defaults(m["name"])
            return created

    # -- update --------------------------------------------------------------------------
    def update(
        self,
        resource: str,
        obj: Obj,
        *,
        status_only: bool = False,
        status_meta: bool = False,
        dry_run: bool = False,
    ) -> Obj:
        """Replace an object's spec/metadata (or only its status with ``status_only``).

        ``status_meta`` (with ``status_only``): a ``/status`` write through the
        API, which also keeps the labels, annotations, finalizers and owner
        references it carries (the status strategy chose them).

        ``Conflict`` when ``metadata.resourceVersion`` (or uid) is given and stale.
        A spec change bumps ``generation``; a write that changes nothing is not
        stored and publishes nothing. A deleting object whose last finalizer is
        removed (and, for a pod, that is terminal) is removed.
        """
        s = self.strategy(resource)
        r = s.resource
        m = meta(obj)
        name = m.get("name", "")
        ns = self._ns(r, m.get("namespace"))
        with self.transaction():
            current = self.store.find(resource, ns, name)
            if current is None:
                raise st.not_found(resource, name)
            cm = meta(current)
            if (m.get("resourceVersion") and m["resourceVersion"] != cm.get("resourceVersion")) or (
                m.get("uid") and m["uid"] != cm.get("uid")
            ):
                raise st.conflict(resource, name)
            if status_only:
                new = clone(current)
                if "status" in obj:
                    new["status"] = clone(obj["status"])
                if status_meta:
                    _copy_user_metadata(m, meta(new))
            else:
                new = {"apiVersion": r.api_version, "kind": r.kind, **clone(obj)}
                new.setdefault("metadata", {})
                s.prepare_for_update(new, current)
                s.admit_update(new, current, self.store)
                if r.namespaced:
                    meta(new)["namespace"] = ns
                else:
                    meta(new).pop("namespace", None)
                s.check_update(new, current)
            new["apiVersion"], new["kind"] = r.api_version, r.kind
            meta(new)["resourceVersion"] = cm.get("resourceVersion")
            if new == current or dry_run:
                return new if dry_run else current
            return self._write_or_remove(s, new, current)

    def _write_or_remove(self, s: Strategy, new: Obj, current: Obj, *, unchanged: bool = False) -> Obj:
        resource = s.resource.plural
        children = resource == "namespaces" and self.store.namespace_has_objects(meta(new)["name"])
        if s.removable(new, has_children=children):
            return self._remove(resource, new)
        return current if unchanged else self.store.replace(resource, new, current)

    def _remove(self, resource: str, obj: Obj) -> Obj:
        gone = self.store.remove(resource, obj)
        ns = meta(obj).get("namespace", "")
        if ns and resource != "namespaces":
            self._finish_namespace(ns)
        return gone

    # -- delete --------------------------------------------------------------------------
    def delete(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        *,
        propagation: str | None = None,
        grace_seconds: int | None = None,
        preconditions: dict[str, str] | None = None,
        dry_run: bool = False,
    ) -> Obj:
        """Delete an object, or mark it deleting (``deletionTimestamp``); returns its state.

        ``propagation`` (``Orphan``/``Background``/``Foreground``) matters for
        the owner kinds, Jobs and CronJobs (see their strategies); the control
        plane's garbage collector acts on the finalizers it leaves. A pod that
        is not terminal is marked (the kubelet stops it with ``grace_seconds``
        or its ``terminationGracePeriodSeconds`` and reports the terminal
        phase, which removes it); ``grace_seconds=0`` forces it.
        """
        s = self.strategy(resource)
        ns = self._ns(s.resource, namespace)
        with self.transaction():
            current = self.store.find(resource, ns, name)
            if current is None:
                raise st.not_found(resource, name)
            cm = meta(current)
            pre = preconditions or {}
            if (pre.get("uid") and pre["uid"] != cm.get("uid")) or (
                pre.get("resourceVersion") and pre["resourceVersion"] != cm.get("resourceVersion")
            ):
                raise st.conflict(resource, name)
            new = clone(current)
            s.prepare_for_delete(new, self.clock(), propagation=propagation, grace=grace_seconds)
            if dry_run:
                return current
            if resource == "namespaces":
                self.store.replace(resource, new, current)
                self._empty_namespace(name)
                return clone(self.store.find(resource, "", name) or new)
            return self._write_or_remove(s, new, current, unchanged=new == current)

    # -- namespaces ----------------------------------------------------------------------
    def _empty_namespace(self, ns: str) -> None:
        for resource, name in self.store.keys_in_namespace(ns):
            if self.store.find(resource, ns, name) is not None:
                self.delete(resource, ns, name, propagation="Background")
        self._finish_namespace(ns)

    def _finish_namespace(self, ns: str) -> None:
        owner = self.store.find("namespaces", "", ns)
        if owner is None or not meta(owner).get("deletionTimestamp") or meta(owner).get("finalizers"):
            return  # the garbage collector removes it once its finalizers are done
        if self.store.namespace_has_objects(ns):
            return
        self.store.remove("namespaces", owner)

    # -- events --------------------------------------------------------------------------
    def record_event(self, involved: Obj, *, type: str, reason: str, message: str, component: str) -> Obj:
        """Record a core/v1 Event about ``involved`` as client-go's recorder does (:mod:`minik.registry.events`);
        ``{}`` when nothing was written."""
        return self.events.record(involved, type=type, reason=reason, message=message, component=component)

    def expire_events(self, *, batch: int = 1000) -> int:
        """Remove up to ``batch`` Events last seen more than an hour ago; how many went."""
        return self.events.expire(batch=batch)


def _copy_user_metadata(src: Obj, dst: Obj) -> None:
    """The metadata a status write may change (no new finalizers on a deleting object)."""
    for key in ("labels", "annotations", "ownerReferences", "finalizers"):
        value = src.get(key)
        if key == "finalizers" and dst.get("deletionTimestamp"):
            value = [f for f in value or [] if f in (dst.get("finalizers") or [])]
        if value:
            dst[key] = clone(value)
        else:
            dst.pop(key, None)


__all__ = ["RESOURCES", "Registry"]
