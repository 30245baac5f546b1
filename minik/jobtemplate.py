"""A Job built from a CronJob's ``jobTemplate``: the one builder for the CronJob controller
(``getJobFromTemplate2``) and ``create job --from=cronjob/NAME`` (kubectl's ``createJobFromCronJob``).

Both copy the template's labels, annotations and spec and make the CronJob the
Job's controller; they differ only in what the caller passes: the name, the
annotation that says why the Job exists (the scheduled time, or
``instantiate: manual``; kubectl puts its own first, the controller its own
last), the namespace, and whether the owner reference blocks the owner's
deletion (the controller's does, kubectl's does not). Pure.
"""

from __future__ import annotations

import copy

from minik.k8s import Obj, meta


def job_from_cronjob(
    cj: Obj,
    *,
    name: str,
    before: dict[str, str] | None = None,
    after: dict[str, str] | None = None,
    namespace: str | None = None,
    block_owner_deletion: bool = False,
) -> Obj:
    """The Job for ``cj``'s template; ``before``/``after``: annotations put under/over the template's."""
    cm = meta(cj)
    template = (cj.get("spec") or {}).get("jobTemplate") or {}
    tm = template.get("metadata") or {}
    owner: Obj = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "name": cm.get("name", ""),
        "uid": cm.get("uid", ""),
        "controller": True,
    }
    if block_owner_deletion:
        owner["blockOwnerDeletion"] = True
    m: Obj = {"name": name}
    if namespace is not None:
        m["namespace"] = namespace
    m["annotations"] = {**(before or {}), **(tm.get("annotations") or {}), **(after or {})}
    m["ownerReferences"] = [owner]
    if tm.get("labels"):
        m["labels"] = dict(tm["labels"])
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": m,
        "spec": copy.deepcopy(template.get("spec") or {}),
    }
