"""Real kubectl: server-side apply and its conflicts, server dry run, ``kubectl diff``.

ConfigMaps keep it quick; one Job shows a dry run starts no pod.
"""

from __future__ import annotations

import json

from tests.support import Minik, kubectl
from tests.support.kube import JOB

CM = """\
apiVersion: v1
kind: ConfigMap
metadata: {{name: {name}}}
data: {{colour: {colour}}}
"""


def managers(minik: Minik, kind_name: str) -> list[tuple[str, str]]:
    obj = json.loads(kubectl(minik, "get", kind_name, "-o", "json", "--show-managed-fields").stdout)
    return [(e["manager"], e["operation"]) for e in obj["metadata"]["managedFields"]]


def test_server_side_apply_conflict_and_force(minik: Minik) -> None:
    res = kubectl(minik, "apply", "--server-side", "-f", "-", input=CM.format(name="ssa", colour="red"))
    assert res.stdout.strip() == "configmap/ssa serverside-applied"
    assert managers(minik, "configmap/ssa") == [("kubectl", "Apply")]

    blue = CM.format(name="ssa", colour="blue")
    res = kubectl(
        minik, "apply", "--server-side", "--field-manager=other", "-f", "-", input=blue, check=False
    )
    assert res.returncode != 0
    assert 'Apply failed with 1 conflict: conflict with "kubectl": .data.colour' in res.stderr
    assert kubectl(minik, "get", "cm", "ssa", "-o", "jsonpath={.data.colour}").stdout == "red"

    args = ("apply", "--server-side", "--force-conflicts", "--field-manager=other", "-f", "-")
    assert kubectl(minik, *args, input=blue).stdout.strip() == "configmap/ssa serverside-applied"
    assert kubectl(minik, "get", "cm", "ssa", "-o", "jsonpath={.data.colour}").stdout == "blue"
    assert managers(minik, "configmap/ssa") == [("other", "Apply")]

    # a later client-side apply coexists: it takes the field it changes as an Update
    res = kubectl(minik, "apply", "-f", "-", input=CM.format(name="ssa", colour="green"))
    assert res.returncode == 0, res.stderr
    assert kubectl(minik, "get", "cm", "ssa", "-o", "jsonpath={.data.colour}").stdout == "green"
    assert ("kubectl-client-side-apply", "Update") in managers(minik, "configmap/ssa")
    kubectl(minik, "delete", "cm", "ssa")


def test_plain_writes_record_kubectls_manager_names(minik: Minik) -> None:
    kubectl(minik, "create", "configmap", "plain", "--from-literal=a=1")
    assert managers(minik, "configmap/plain") == [("kubectl-create", "Update")]
    kubectl(minik, "label", "configmap", "plain", "team=a")
    assert managers(minik, "configmap/plain") == [("kubectl-create", "Update"), ("kubectl-label", "Update")]
    kubectl(minik, "delete", "cm", "plain")


def test_server_dry_run_and_diff_store_nothing(minik: Minik) -> None:
    job = JOB.format(name="dry", command="true")
    res = kubectl(minik, "apply", "--dry-run=server", "-f", "-", input=job)
    assert res.stdout.strip() == "job.batch/dry created (server dry run)"
    assert kubectl(minik, "get", "job", "dry", check=False).returncode != 0
    assert kubectl(minik, "get", "pods", "-l", "job-name=dry", "-o", "name").stdout == ""

    kubectl(minik, "apply", "--server-side", "-f", "-", input=CM.format(name="diffed", colour="red"))
    # every other write kubectl can dry-run on the server leaves the object as it was
    # (kubectl 1.32's patch prints no "(server dry run)" suffix)
    for args in (
        ("label", "cm", "diffed", "team=a"),
        ("patch", "cm", "diffed", "-p", '{"data":{"colour":"pink"}}'),
        ("create", "configmap", "other", "--from-literal=a=1"),
        ("delete", "cm", "diffed"),
    ):
        res = kubectl(minik, *args, "--dry-run=server")
        assert args[0] == "patch" or res.stdout.strip().endswith("(server dry run)"), res.stdout
    assert kubectl(minik, "get", "cm", "other", check=False).returncode != 0
    live = json.loads(kubectl(minik, "get", "cm", "diffed", "-o", "json").stdout)
    assert live["data"] == {"colour": "red"} and "labels" not in live["metadata"]
    res = kubectl(
        minik, "diff", "--server-side", "-f", "-", input=CM.format(name="diffed", colour="blue"), check=False
    )
    assert res.returncode == 1, res.stderr
    assert "-  colour: red" in res.stdout and "+  colour: blue" in res.stdout
    assert kubectl(minik, "get", "cm", "diffed", "-o", "jsonpath={.data.colour}").stdout == "red"
    kubectl(minik, "delete", "cm", "diffed")


def test_client_side_then_server_side_apply_migrates_ownership(minik: Minik) -> None:
    """kubectl's own upgrade path: the server lets ``kubectl`` take what its client-side apply set."""
    kubectl(minik, "apply", "-f", "-", input=CM.format(name="moved", colour="red"))
    res = kubectl(minik, "apply", "--server-side", "-f", "-", input=CM.format(name="moved", colour="blue"))
    assert res.stdout.strip() == "configmap/moved serverside-applied"
    assert ("kubectl", "Apply") in managers(minik, "configmap/moved")
    assert ("kubectl-client-side-apply", "Update") not in managers(minik, "configmap/moved")
    kubectl(minik, "apply", "-f", "-", input=CM.format(name="moved", colour="green"))
    assert kubectl(minik, "get", "cm", "moved", "-o", "jsonpath={.data.colour}").stdout == "green"
    kubectl(minik, "delete", "cm", "moved")
