"""``minik create job NAME --from=cronjob/NAME`` (dispatched from :mod:`minik.cli.cmd_create`): run a CronJob's template now, as kubectl does.

Requests: ``GET`` the CronJob, then ``POST`` the Job that kubectl's
``createJobFromCronJob`` builds: the template's labels and annotations plus
``cronjob.kubernetes.io/instantiate: manual``, an ownerReference to the
CronJob (``controller: true``, no blockOwnerDeletion) and the template's spec.
"""

from __future__ import annotations

import argparse

from minik import jobtemplate
from minik.cli.common import Ctx
from minik.cli.kinds import CRONJOBS, JOBS, lookup
from minik.errors import UsageError
from minik.k8s import Obj, meta
from minik.resources import CRONJOB_INSTANTIATE_KEY

INSTANTIATE = CRONJOB_INSTANTIATE_KEY


def job_from_cronjob(name: str, cj: Obj) -> Obj:
    """kubectl's ``createJobFromCronJob``."""
    return jobtemplate.job_from_cronjob(cj, name=name, before={INSTANTIATE: "manual"})


def run(ctx: Ctx, args: argparse.Namespace) -> int:
    kind, sep, source = args.source.partition("/")
    if not sep or not source:
        raise UsageError("from must be of the form resource/name")
    try:
        resource = lookup(kind)
    except UsageError:
        resource = None
    if resource is not CRONJOBS:
        raise UsageError(f"unknown object type {kind}")
    cj = ctx.client.get(CRONJOBS.path(ctx.namespace, source))
    created = ctx.client.request("POST", JOBS.path(ctx.namespace), body=job_from_cronjob(args.name, cj)).body
    name = meta(created).get("name", args.name)
    ctx.print(f"job.batch/{name}" if args.output == "name" else f"job.batch/{name} created")
    return 0
