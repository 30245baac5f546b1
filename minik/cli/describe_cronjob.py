"""``describe cronjob`` as a pure function, laid out like kubectl's ``describeCronJob``.

Mirrors kubectl's ``pkg/describe/describe.go`` (``describeCronJob``,
``describeJobTemplate``, ``printActiveJobs``) line for line, reusing the Job
page's pod-template and events writers. Input: the object, its events, ``now``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from minik.cli.describe import _annotations, _events, _labels, _pod_template
from minik.cli.durations import rfc1123z
from minik.cli.printers import format_label_selector
from minik.cli.tabwriter import PrefixWriter
from minik.k8s import Obj, meta


def _unset(value: object, fmt: str = "{}") -> str:
    return "<unset>" if value is None else fmt.format(value)


def _job_template(w: PrefixWriter, template: Obj) -> None:
    spec = template.get("spec") or {}
    selector = spec.get("selector")
    w.write(0, f"Selector:\t{'<unset>' if selector is None else format_label_selector(selector)}\n")
    w.write(0, f"Parallelism:\t{_unset(spec.get('parallelism'))}\n")
    w.write(0, f"Completions:\t{_unset(spec.get('completions'))}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{spec['activeDeadlineSeconds']}s\n")
    _pod_template(w, spec.get("template") or {})


def describe_cronjob(cj: Obj, events: Sequence[Obj] | None, now: datetime) -> str:
    w = PrefixWriter()
    m, spec, status = meta(cj), cj.get("spec") or {}, cj.get("status") or {}
    w.write(0, f"Name:\t{m.get('name', '')}\n")
    w.write(0, f"Namespace:\t{m.get('namespace', '')}\n")
    _labels(w, "Labels", m.get("labels"))
    _annotations(w, "Annotations", m.get("annotations"))
    w.write(0, f"Schedule:\t{spec.get('schedule', '')}\n")
    w.write(0, f"Concurrency Policy:\t{spec.get('concurrencyPolicy', '')}\n")
    suspend = spec.get("suspend")
    w.write(0, f"Suspend:\t{'<unset>' if suspend is None else ('True' if suspend else 'False')}\n")
    w.write(0, f"Successful Job History Limit:\t{_unset(spec.get('successfulJobsHistoryLimit'))}\n")
    w.write(0, f"Failed Job History Limit:\t{_unset(spec.get('failedJobsHistoryLimit'))}\n")
    w.write(0, f"Starting Deadline Seconds:\t{_unset(spec.get('startingDeadlineSeconds'), '{}s')}\n")
    _job_template(w, spec.get("jobTemplate") or {})
    last = status.get("lastScheduleTime")
    w.write(0, f"Last Schedule Time:\t{rfc1123z(last) if last else '<unset>'}\n")
    names = ", ".join(str(r.get("name", "")) for r in status.get("active") or [])
    w.write(0, f"Active Jobs:\t{names or '<none>'}\n")
    _events(w, events, now)
    return w.getvalue()
