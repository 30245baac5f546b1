"""Real kubectl sees events combined as client-go's event correlator combines them.

A Job creating 12 pods records 12 ``SuccessfulCreate`` events that differ only by
message; from the 10th on, upstream's recorder writes one event
``(combined from similar events): Created pod: …`` whose count rises
(``staging/src/k8s.io/client-go/tools/record/events_cache.go``).
"""

from __future__ import annotations

import json

from tests.support import Minik, job_yaml, kubectl

JOB = job_yaml("many", completions=12, parallelism=12)


def test_a_jobs_similar_events_are_combined_from_the_tenth(minik: Minik) -> None:
    kubectl(minik, "apply", "-f", "-", input=JOB)
    kubectl(minik, "wait", "--for=condition=complete", "job/many", "--timeout=120s")
    out = kubectl(minik, "get", "events", "--field-selector", "involvedObject.name=many", "-o", "json").stdout
    created = [e for e in json.loads(out)["items"] if e["reason"] == "SuccessfulCreate"]
    combined = [
        e for e in created if e["message"].startswith("(combined from similar events): Created pod: many-")
    ]
    assert len(created) == 10 and len(combined) == 1, [(e["message"], e["count"]) for e in created]
    assert combined[0]["count"] == 3
    assert all(e["count"] == 1 for e in created if e not in combined)
    describe = kubectl(minik, "describe", "job", "many").stdout
    assert "(combined from similar events): Created pod: many-" in describe
    kubectl(minik, "delete", "job", "many")
