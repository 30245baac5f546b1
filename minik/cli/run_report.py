"""Pure parts of ``minik run``: each Job's outcome, the failure lines, the exit code, the JUnit XML.

Owns the words ``minik run`` ends with and the report CI systems display.
Reads objects, touches nothing. The JUnit XML has the shape the common
Jenkins ``junit-10.xsd`` requires: ``<testsuites>`` of one ``<testsuite
name tests failures errors time>``, one ``<testcase name classname time>``
per Job with ``<failure type message>`` (Failed) or ``<error>`` (timed
out) and the Job's logs in ``<system-out>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime

from minik.k8s import Obj, meta, parse_time

COMPLETE = "Complete"
FAILED = "Failed"
RUNNING = "Running"
EXIT_TIMEOUT = 124
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Outcome:
    """Where one Job (or bare Pod) ended: ``Complete``, ``Failed`` or still ``Running``."""

    kind: str  # "job.batch" or "pod"
    namespace: str
    name: str
    state: str
    reason: str = ""
    message: str = ""
    seconds: float = 0.0
    pod_failures: tuple[str, ...] = field(default=())

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


def _seconds(start: datetime | None, end: datetime | None, now: datetime) -> float:
    if start is None:
        return 0.0
    return max(0.0, ((end or now) - start).total_seconds())


def job_outcome(job: Obj, pods: list[Obj], now: datetime) -> Outcome:
    """The Job's terminal condition (reason and message kept), and its failed pods' exit codes."""
    m, status = meta(job), job.get("status") or {}
    state, reason, message = RUNNING, "", ""
    for c in status.get("conditions") or []:
        if c.get("type") in (COMPLETE, FAILED) and c.get("status") == "True":
            state, reason, message = str(c["type"]), str(c.get("reason") or ""), str(c.get("message") or "")
    end = parse_time(status.get("completionTime")) or (
        parse_time(
            next(
                (
                    c.get("lastTransitionTime")
                    for c in status.get("conditions") or []
                    if c.get("type") == FAILED
                ),
                None,
            )
        )
    )
    return Outcome(
        "job.batch",
        m.get("namespace", ""),
        m.get("name", ""),
        state,
        reason,
        message,
        _seconds(parse_time(status.get("startTime")), end if state != RUNNING else None, now),
        tuple(line for pod in pods for line in pod_failures(pod)) if state == FAILED else (),
    )


def vanished(kind: str, namespace: str, name: str) -> Outcome:
    """An object deleted before ``minik run`` saw it finish (its outcome is unknown, so not a success)."""
    return Outcome(
        kind,
        namespace,
        name,
        FAILED,
        "Deleted",
        f"the {kind.partition('.')[0]} was deleted before it was seen to finish",
    )


def pod_done(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def pod_outcome(pod: Obj, now: datetime) -> Outcome:
    m, status = meta(pod), pod.get("status") or {}
    phase = status.get("phase")
    state = COMPLETE if phase == "Succeeded" else FAILED if phase == "Failed" else RUNNING
    return Outcome(
        "pod",
        m.get("namespace", ""),
        m.get("name", ""),
        state,
        str(status.get("reason") or ("PodFailed" if state == FAILED else "")),
        str(status.get("message") or ""),
        _seconds(parse_time(status.get("startTime")), None if state == RUNNING else now, now),
        pod_failures(pod) if state == FAILED else (),
    )


def pod_failures(pod: Obj) -> tuple[str, ...]:
    """``pod/NAME: container C exited with code N (Reason)`` for each container that ended non-zero."""
    name = meta(pod).get("name", "")
    status = pod.get("status") or {}
    out = []
    for cs in [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]:
        term = (
            (cs.get("state") or {}).get("terminated") or (cs.get("lastState") or {}).get("terminated") or {}
        )
        code = int(term.get("exitCode") or 0)
        if code != 0:
            why = f" ({term['reason']})" if term.get("reason") else ""
            out.append(f"pod/{name}: container {cs.get('name')} exited with code {code}{why}")
    if not out and status.get("phase") == "Failed":
        out.append(
            f"pod/{name}: {status.get('reason') or 'Failed'}"
            + (f": {status['message']}" if status.get("message") else "")
        )
    return tuple(out)


def exit_code(outcomes: list[Outcome], *, timed_out: bool) -> int:
    """0 every Job Complete; 1 one Failed; 124 the timeout came first (docker's and timeout(1)'s code)."""
    if timed_out and any(o.state == RUNNING for o in outcomes):
        return EXIT_TIMEOUT
    return 1 if any(o.state == FAILED for o in outcomes) else 0


def summary_lines(outcomes: list[Outcome], *, timeout: float | None) -> list[str]:
    """What ``minik run`` writes to stderr at the end: one line per Job, failures with their pods."""
    lines = []
    for o in outcomes:
        if o.state == COMPLETE:
            lines.append(f"{o.ref} complete ({o.seconds:.0f}s)")
        elif o.state == FAILED:
            detail = ": ".join(x for x in (o.reason, o.message) if x)
            lines.append(f"{o.ref} failed" + (f": {detail}" if detail else ""))
            lines += [f"  {line}" for line in o.pod_failures]
        else:
            lines.append(
                f"{o.ref} did not finish within {timeout:g}s" if timeout else f"{o.ref} did not finish"
            )
    return lines


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (a log's colour codes, NULs), shown as ``?``."""
    return _NOT_XML.sub("?", text)


def junit_xml(suite: str, outcomes: list[Outcome], logs: dict[str, str], *, timeout: float | None) -> bytes:
    """One ``<testcase>`` per Job: logs in ``<system-out>``, its Failed condition as ``<failure>``."""
    failures = sum(o.state == FAILED for o in outcomes)
    errors = sum(o.state == RUNNING for o in outcomes)
    total = sum(o.seconds for o in outcomes)
    root = ET.Element(
        "testsuites",
        name="minik run",
        tests=str(len(outcomes)),
        failures=str(failures),
        errors=str(errors),
        time=f"{total:.3f}",
    )
    ts = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(outcomes)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
        time=f"{total:.3f}",
    )
    for o in outcomes:
        case = ET.SubElement(
            ts, "testcase", name=o.ref, classname=f"minik.{o.namespace}", time=f"{o.seconds:.3f}"
        )
        if o.state == FAILED:
            message = xml_text(": ".join(x for x in (o.reason, o.message) if x) or "failed")
            el = ET.SubElement(case, "failure", type=o.reason or "Failed", message=message)
            el.text = xml_text("\n".join([message, *o.pod_failures]))
        elif o.state == RUNNING:
            message = f"did not finish within {timeout:g}s" if timeout else "did not finish"
            ET.SubElement(case, "error", type="Timeout", message=message).text = message
        out = ET.SubElement(case, "system-out")
        out.text = xml_text(logs.get(o.ref, ""))
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
