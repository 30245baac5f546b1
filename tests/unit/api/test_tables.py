"""Server-side printing: Table responses for ``kubectl get`` (list, get, watch, includeObject)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from minik.api import create_app
from minik.cli import printers
from minik.cli.kinds import JOBS as CLI_JOBS
from minik.cli.kinds import PODS as CLI_PODS
from minik.k8s import parse_time
from minik.registry import Registry
from tests.unit.api.conftest import JOBS, PODS, TOKEN, FakeHooks, a_job, a_pod

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"


@pytest.fixture
def later() -> list[datetime]:
    """The clock the API's AGE cells read (tests move it)."""
    return [datetime.now(UTC) + timedelta(minutes=5)]


@pytest.fixture
def tclient(store: Registry, hooks: FakeHooks, later: list[datetime]) -> Iterator[TestClient]:
    app = create_app(store=store, token=TOKEN, hooks=hooks, clock=lambda: later[0])
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


def test_list_as_table_has_kubectls_job_columns_and_cells(tclient: TestClient, later: list[datetime]) -> None:
    created = tclient.post(JOBS, json=a_job("pi")).json()
    later[0] = datetime.fromisoformat(created["metadata"]["creationTimestamp"].replace("Z", "+00:00"))
    later[0] += timedelta(minutes=5)  # from the stored whole second: "now + 5 min" could read 4m59s
    table = tclient.get(JOBS, headers={"Accept": TABLE}).json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    cols = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert cols == [("Name", 0), ("Status", 0), ("Completions", 0), ("Duration", 0), ("Age", 0),
                    ("Containers", 1), ("Images", 1), ("Selector", 1)]  # fmt: skip
    assert table["columnDefinitions"][0]["format"] == "name"
    assert table["metadata"]["resourceVersion"]
    (row,) = table["rows"]
    assert row["cells"][:5] == ["pi", "Running", "0/1", "", "5m"]
    assert row["cells"][5:7] == ["c", "busybox"]
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["apiVersion"] == "meta.k8s.io/v1"
    assert row["object"]["metadata"]["name"] == "pi"


def test_plain_json_is_still_the_list(tclient: TestClient) -> None:
    tclient.post(JOBS, json=a_job("pi"))
    assert tclient.get(JOBS).json()["kind"] == "JobList"
    assert tclient.get(JOBS, headers={"Accept": "application/json"}).json()["kind"] == "JobList"
    assert tclient.get(JOBS + "/pi").json()["kind"] == "Job"


def test_v1beta1_tables_when_only_that_is_asked(tclient: TestClient) -> None:
    tclient.post(JOBS, json=a_job("pi"))
    accept = "application/json;as=Table;v=v1beta1;g=meta.k8s.io"
    table = tclient.get(JOBS, headers={"Accept": accept}).json()
    assert table["apiVersion"] == "meta.k8s.io/v1beta1"
    assert table["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1"


@pytest.mark.parametrize(
    ("mode", "expected"), [("None", None), ("Object", "Job"), ("Metadata", "PartialObjectMetadata")]
)
def test_include_object(tclient: TestClient, mode: str, expected: str | None) -> None:
    tclient.post(JOBS, json=a_job("pi"))
    row = tclient.get(JOBS + f"?includeObject={mode}", headers={"Accept": TABLE}).json()["rows"][0]
    assert (row.get("object") or {}).get("kind") == expected
    if mode == "Object":
        assert row["object"]["spec"]["completions"] == 1


def test_bad_include_object_is_400(tclient: TestClient) -> None:
    resp = tclient.get(JOBS + "?includeObject=All", headers={"Accept": TABLE})
    assert resp.status_code == 400 and "includeObject" in resp.json()["message"]


def test_get_one_object_as_table_carries_its_resource_version(
    tclient: TestClient, later: list[datetime]
) -> None:
    created = tclient.post(PODS, json=a_pod("p")).json()
    # Five minutes after the creation (a slow machine may tick a second between fixture and create).
    later[0] = datetime.fromisoformat(created["metadata"]["creationTimestamp"].replace("Z", "+00:00"))
    later[0] += timedelta(minutes=5)
    table = tclient.get(PODS + "/p", headers={"Accept": TABLE}).json()
    assert table["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert [c["name"] for c in table["columnDefinitions"] if c["priority"] == 0] == [
        "Name", "Ready", "Status", "Restarts", "Age"]  # fmt: skip
    assert table["rows"][0]["cells"][:5] == ["p", "0/1", "Pending", "0", "5m"]


def test_errors_stay_status_objects(tclient: TestClient) -> None:
    resp = tclient.get(JOBS + "/missing", headers={"Accept": TABLE})
    assert resp.status_code == 404 and resp.json()["kind"] == "Status"


def test_watch_as_table_sends_one_row_tables(tclient: TestClient) -> None:
    tclient.post(JOBS, json=a_job("pi"))
    lines = tclient.get(JOBS + "?watch=true&timeoutSeconds=1", headers={"Accept": TABLE}).text.splitlines()
    event = json.loads(lines[0])
    assert event["type"] == "ADDED"
    assert event["object"]["kind"] == "Table"
    assert event["object"]["rows"][0]["cells"][0] == "pi"
    assert event["object"]["columnDefinitions"]


@pytest.mark.parametrize("plural", ["services", "configmaps", "secrets", "events", "namespaces"])
def test_every_resource_has_a_table(tclient: TestClient, plural: str) -> None:
    path = "/api/v1/namespaces" if plural == "namespaces" else f"/api/v1/namespaces/default/{plural}"
    table = tclient.get(path, headers={"Accept": TABLE}).json()
    assert table["kind"] == "Table" and table["columnDefinitions"]


def test_the_minik_cli_prints_the_same_cells_as_the_api_serves(
    tclient: TestClient, later: list[datetime]
) -> None:
    tclient.post(JOBS, json=a_job("pi"))
    tclient.post(PODS, json=a_pod("p"))
    for path, resource in ((JOBS, CLI_JOBS), (PODS, CLI_PODS)):
        table = tclient.get(path + "?includeObject=Object", headers={"Accept": TABLE}).json()
        for wide in (False, True):
            shown = [c["name"].upper() for c in table["columnDefinitions"] if wide or c["priority"] == 0]
            assert printers.header(resource, wide=wide) == shown
            for row in table["rows"]:
                served = [c for c, d in zip(row["cells"], table["columnDefinitions"], strict=True)
                          if wide or d["priority"] == 0]  # fmt: skip
                assert printers.row(resource, row["object"], later[0], wide=wide) == served
    assert parse_time(table["rows"][0]["object"]["metadata"]["creationTimestamp"]) is not None


def test_openapi_v3_serves_schemas_with_merge_keys_for_kubectl(tclient: TestClient) -> None:
    root = tclient.get("/openapi/v3").json()["paths"]
    doc = tclient.get(root["apis/batch/v1"]["serverRelativeURL"]).json()
    schemas = doc["components"]["schemas"]
    job = schemas["io.k8s.api.batch.v1.Job"]
    assert job["x-kubernetes-group-version-kind"] == [{"group": "batch", "version": "v1", "kind": "Job"}]
    containers = schemas["io.k8s.api.batch.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["items"] == {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.batch.v1.Container"}]}
    patch = doc["paths"]["/apis/batch/v1/namespaces/{namespace}/jobs/{name}"]["patch"]
    assert "application/strategic-merge-patch+json" in patch["requestBody"]["content"]
    assert {p["name"] for p in patch["parameters"]} >= {"fieldValidation", "dryRun"}
    assert not any("$defs" in json.dumps(s) for s in schemas.values())
    core = tclient.get(root["api/v1"]["serverRelativeURL"]).json()["components"]["schemas"]
    assert (
        core["io.k8s.api.core.v1.ServiceSpec"]["properties"]["ports"]["x-kubernetes-patch-merge-key"]
        == "port"
    )
    assert (
        core["io.k8s.api.core.v1.Container"]["properties"]["ports"]["x-kubernetes-patch-merge-key"]
        == "containerPort"
    )


def test_cronjobs_table_has_kubectls_cronjob_columns(tclient: TestClient, later: list[datetime]) -> None:
    cronjobs = "/apis/batch/v1/namespaces/default/cronjobs"
    body = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "tick"},
        "spec": {
            "schedule": "*/5 * * * *",
            "timeZone": "Europe/Berlin",
            "suspend": True,
            "jobTemplate": {
                "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
            },
        },
    }
    created = tclient.post(cronjobs, json=body)
    assert created.status_code == 201
    # AGE from the stored (whole-second) creation time: "now + 5 min" could read 4m59s.
    later[0] = datetime.fromisoformat(created.json()["metadata"]["creationTimestamp"].replace("Z", "+00:00"))
    later[0] += timedelta(minutes=5)
    table = tclient.get(cronjobs, headers={"Accept": TABLE}).json()
    cols = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert cols == [
        ("Name", 0),
        ("Schedule", 0),
        ("Timezone", 0),
        ("Suspend", 0),
        ("Active", 0),
        ("Last Schedule", 0),
        ("Age", 0),
        ("Containers", 1),
        ("Images", 1),
        ("Selector", 1),
    ]
    assert table["rows"][0]["cells"] == [
        "tick",
        "*/5 * * * *",
        "Europe/Berlin",
        "True",
        "0",
        "<none>",
        "5m",
        "c",
        "busybox",
        "<none>",
    ]
