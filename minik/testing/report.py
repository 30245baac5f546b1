"""What a failed test shows about its Jobs: each Job's describe and its failed pods' logs.

Owns choosing the Jobs (those the test applied, and every Job in the test's
own namespace) and the failed pods, and the section texts. Never raises:
a report that cannot be made says why in its text.
"""

from __future__ import annotations

from minik.cli.printers import format_label_selector
from minik.cli.run_report import pod_failures
from minik.errors import MinikError
from minik.k8s import Obj, meta
from minik.testing.instance import Minik


def jobs_of_test(minik: Minik, test: str, namespace: str | None) -> list[tuple[str, str]]:
    """(namespace, name) of the Jobs the test applied, then those in its own namespace, once each."""
    seen: list[tuple[str, str]] = [(r.namespace, r.name) for r in minik.session.records if r.test == test]
    if namespace is not None:
        try:
            names = [meta(j).get("name", "") for j in minik.in_namespace(namespace).get("jobs")]
        except MinikError:
            names = []
        seen += [(namespace, n) for n in names]
    return list(dict.fromkeys(seen))


def failed_pods(pods: list[Obj]) -> list[Obj]:
    """Pods that failed, or whose container ended with a non-zero exit code (and may be restarting)."""

    def bad(pod: Obj) -> bool:
        status = pod.get("status") or {}
        if status.get("phase") == "Failed":
            return True
        for cs in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
            for state in (cs.get("state") or {}, cs.get("lastState") or {}):
                if int((state.get("terminated") or {}).get("exitCode") or 0) != 0:
                    return True
        return False

    return [p for p in pods if bad(p)]


def _warnings(view: Minik, pod: Obj) -> str:
    """The pod's Warning events, one line each (why a container could not start or was killed)."""
    uid = meta(pod).get("uid")
    try:
        events = view.get("events")
    except MinikError:
        return ""
    lines = [
        f"{e.get('reason')}: {e.get('message')}"
        for e in events
        if e.get("type") == "Warning" and (e.get("involvedObject") or {}).get("uid") == uid
    ]
    return "".join(f"event {line}\n" for line in lines)


def sections(minik: Minik, test: str, namespace: str | None) -> list[tuple[str, str]]:
    """pytest report sections: ``("minik: job/NAME -n NS", describe + failed pods' logs)``."""
    out: list[tuple[str, str]] = []
    for ns, name in jobs_of_test(minik, test, namespace):
        view = minik.in_namespace(ns)
        parts: list[str] = []
        try:
            parts.append(view.describe(f"job/{name}"))
            selector = format_label_selector((view.get(f"job/{name}").get("spec") or {}).get("selector"))
            pods = [] if selector == "<none>" else view.get("pods", selector=selector)
            for pod in failed_pods(pods):
                pod_name = meta(pod).get("name", "")
                why = (
                    "\n".join(pod_failures(pod))
                    or f"pod/{pod_name}: {(pod.get('status') or {}).get('phase')}"
                )
                logs = view.cli("logs", pod_name, "--all-containers", "--prefix", check=False)
                parts.append(
                    f"--- failed pod {pod_name} ---\n{why}\n{_warnings(view, pod)}{logs.stdout}{logs.stderr}"
                )
        except MinikError as exc:
            parts.append(f"(minik could not report on job/{name}: {exc})")
        out.append((f"minik: job/{name} -n {ns}", "\n".join(parts)))
    return out
