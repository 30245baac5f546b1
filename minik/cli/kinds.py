"""The resource types the CLI knows: names, aliases, REST paths and display names.

Owns the mapping from what a user types (``job``, ``jobs.batch``, ``po``,
``svc``, ``job/NAME``) to the REST plural and the URL of a collection or an
object. Knows nothing about HTTP.
"""

from __future__ import annotations

from minik.errors import UsageError
from minik.resources import BY_KIND, RESOURCES, Resource

JOBS = RESOURCES["jobs"]
CRONJOBS = RESOURCES["cronjobs"]
PODS = RESOURCES["pods"]
SERVICES = RESOURCES["services"]
EVENTS = RESOURCES["events"]
CONFIGMAPS = RESOURCES["configmaps"]
SECRETS = RESOURCES["secrets"]
PVCS = RESOURCES["persistentvolumeclaims"]
PVS = RESOURCES["persistentvolumes"]
STORAGECLASSES = RESOURCES["storageclasses"]


def _aliases() -> dict[str, Resource]:
    """What kubectl's RESTMapper accepts for each resource: kind, plural, short names, group-qualified forms."""
    out: dict[str, Resource] = {}
    for r in RESOURCES.values():
        kind = r.kind.lower()
        names = [kind, r.plural, *r.short_names]
        if r.group:
            names += [f"{kind}.{r.group}", f"{r.plural}.{r.group}", f"{kind}.{r.group}/{r.version}"]
        for n in names:
            out[n] = r
    out["event.events.k8s.io"] = EVENTS
    return out


_ALIASES = _aliases()

# `kubectl get all` (the "all" category): pods, services, cronjobs, jobs — in kubectl's order.
ALL_CATEGORY = (PODS, SERVICES, CRONJOBS, JOBS)


def lookup(name: str) -> Resource:
    r = _ALIASES.get(name.lower())
    if r is None:
        raise UsageError(f'the server doesn\'t have a resource type "{name}"')
    return r


def for_kind(kind: str, api_version: str = "") -> Resource:
    r = BY_KIND.get(kind)
    if r is None or (api_version and r.api_version != api_version):
        raise UsageError(f'no matches for kind "{kind}" in version "{api_version}"')
    return r


def parse_targets(words: list[str]) -> list[tuple[Resource, str | None]]:
    """``TYPE [NAME...]`` or ``TYPE/NAME [TYPE/NAME...]`` → (resource, name or None) pairs.

    ``TYPE`` may be a comma list (``jobs,pods``) when no names follow.
    """
    if not words:
        raise UsageError("you must specify the type of resource to get")
    if "/" in words[0]:
        out: list[tuple[Resource, str | None]] = []
        for w in words:
            kind, sep, name = w.partition("/")
            if not sep or not name:
                raise UsageError("arguments in resource/name form must have a single resource and name")
            out.append((lookup(kind), name))
        return out
    types = [t for t in words[0].split(",") if t]
    names = words[1:]
    for n in names:
        if "/" in n:
            raise UsageError(
                "there is no need to specify a resource type as a separate argument when passing "
                "arguments in resource/name form"
            )
    if names:
        if len(types) != 1:
            raise UsageError("you may only specify a single resource type when names are given")
        return [(lookup(types[0]), n) for n in names]
    out = []
    for t in types:
        if t.lower() == "all":
            out.extend((r, None) for r in ALL_CATEGORY)
        else:
            out.append((lookup(t), None))
    return out
