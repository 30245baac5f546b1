"""managedFields rules (minik.api.managed, minik.managedfields.fieldset): table tests named like specs."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from minik.managedfields import fieldset, lastapplied, managed

NOW = "2026-12-01T20:00:00Z"


def cm(data: dict[str, str], **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", **meta}, "data": data}


def pod(*containers: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": list(containers)},
    }


def owners(fields: list[dict[str, Any]]) -> dict[str, set[str]]:
    return {
        f"{e['manager']}/{e['operation']}": {fieldset.path_string(p) for p in fieldset.decode(e["fieldsV1"])}
        for e in fields
    }


def with_fields(obj: dict[str, Any], fields: list[dict[str, Any]]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out["metadata"]["managedFields"] = fields
    return out


# -- fieldsV1 notation ---------------------------------------------------------------------

FIELDSV1_CASES = [
    ("a map's leaves are f: entries", cm({"a": "1"}), {"f:data": {"f:a": {}}}),
    (
        "a keyed list element is k: with a '.' entry",
        pod({"name": "c", "image": "busybox"}),
        {"f:spec": {"f:containers": {'k:{"name":"c"}': {".": {}, "f:image": {}, "f:name": {}}}}},
    ),
    (
        "a set list is '.' plus v: entries",
        {"metadata": {"name": "x", "finalizers": ["a/b"]}},
        {"f:metadata": {"f:finalizers": {".": {}, 'v:"a/b"': {}}}},
    ),
    (
        "a list without merge key is one atomic leaf",
        {"spec": {"containers": [{"name": "c", "command": ["sh", "-c"]}]}},
        {"f:spec": {"f:containers": {'k:{"name":"c"}': {".": {}, "f:command": {}, "f:name": {}}}}},
    ),
    ("name, namespace, uid and resourceVersion are nobody's", cm({}, uid="u", resourceVersion="3"), {}),
]


@pytest.mark.parametrize(("spec", "obj", "expected"), FIELDSV1_CASES, ids=[c[0] for c in FIELDSV1_CASES])
def test_fieldsv1_notation(spec: str, obj: dict[str, Any], expected: dict[str, Any]) -> None:
    paths = fieldset.field_set(obj)
    if obj.get("data") == {}:
        paths -= {(("f", "data"),)}
    assert fieldset.encode(paths) == expected
    assert fieldset.decode(expected) == paths


PATH_CASES = [
    ((("f", "spec"), ("f", "x")), ".spec.x"),
    (
        (("f", "spec"), ("f", "containers"), ("k", '{"name":"c"}'), ("f", "image")),
        '.spec.containers[name="c"].image',
    ),
    ((("f", "metadata"), ("f", "finalizers"), ("v", '"a"')), '.metadata.finalizers[="a"]'),
    ((("f", "spec"), ("f", "ports"), ("k", '{"port":80}')), ".spec.ports[port=80]"),
]


@pytest.mark.parametrize(("path", "text"), PATH_CASES, ids=[c[1] for c in PATH_CASES])
def test_paths_print_as_structured_merge_diff_does(path: fieldset.Path, text: str) -> None:
    assert fieldset.path_string(path) == text


# -- Update operations ---------------------------------------------------------------------


def test_a_create_gives_every_field_to_its_manager_as_an_update() -> None:
    fields = managed.after_update(None, cm({"a": "1"}), manager="kubectl-create", api_version="v1", now=NOW)
    assert fields == [
        {
            "manager": "kubectl-create",
            "operation": "Update",
            "apiVersion": "v1",
            "time": NOW,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {"f:a": {}}},
        }
    ]


def test_an_update_takes_the_fields_it_changes_from_other_managers() -> None:
    first = with_fields(
        cm({"a": "1", "b": "1"}),
        managed.after_update(None, cm({"a": "1", "b": "1"}), manager="one", api_version="v1", now=NOW),
    )
    fields = managed.after_update(first, cm({"a": "2", "b": "1"}), manager="two", api_version="v1", now=NOW)
    assert owners(fields) == {"one/Update": {".data.b"}, "two/Update": {".data.a"}}


def test_an_update_that_changes_nothing_keeps_the_entries_and_their_time() -> None:
    first = with_fields(
        cm({"a": "1"}), managed.after_update(None, cm({"a": "1"}), manager="one", api_version="v1", now=NOW)
    )
    assert (
        managed.after_update(first, cm({"a": "1"}), manager="two", api_version="v1", now="later")
        == (first["metadata"]["managedFields"])
    )


def test_a_removed_field_leaves_every_manager_and_an_empty_entry_goes() -> None:
    first = with_fields(
        cm({"a": "1"}), managed.after_update(None, cm({"a": "1"}), manager="one", api_version="v1", now=NOW)
    )
    fields = managed.after_update(first, cm({"b": "1"}), manager="two", api_version="v1", now=NOW)
    assert owners(fields) == {"two/Update": {".data.b"}}


def test_a_status_write_is_recorded_with_the_status_subresource() -> None:
    old = {"metadata": {"name": "p"}, "status": {}}
    fields = managed.after_update(old, {"metadata": {"name": "p"}, "status": {"phase": "Running"}},
                                  manager="k", api_version="v1", now=NOW, subresource="status")  # fmt: skip
    assert fields[0]["subresource"] == "status" and owners(fields) == {"k/Update": {".status.phase"}}


# -- Apply ---------------------------------------------------------------------------------


def apply(
    live: dict[str, Any] | None, config: dict[str, Any], manager: str, *, force: bool = False
) -> dict[str, Any]:
    merged, fields = managed.apply(
        live, config, manager=manager, force=force, api_version="v1", now=NOW, with_status=False
    )
    return with_fields(merged, fields)


def test_apply_to_nothing_creates_the_object_owned_by_the_applier() -> None:
    obj = apply(None, cm({"a": "1"}), "mgr")
    assert obj["data"] == {"a": "1"} and owners(obj["metadata"]["managedFields"]) == {
        "mgr/Apply": {".data.a"}
    }


def test_applying_a_field_another_manager_set_differently_is_a_conflict() -> None:
    obj = apply(None, cm({"a": "1"}), "one")
    with pytest.raises(managed.ApplyConflict) as err:
        apply(obj, cm({"a": "2"}), "two")
    assert str(err.value) == 'Apply failed with 1 conflict: conflict with "one": .data.a'


def test_a_conflict_with_an_update_manager_names_its_api_version() -> None:
    obj = with_fields(
        cm({"a": "1"}),
        managed.after_update(
            None, cm({"a": "1"}), manager="kubectl-client-side-apply", api_version="v1", now=NOW
        ),
    )
    with pytest.raises(managed.ApplyConflict) as err:
        apply(obj, cm({"a": "2"}), "two")
    assert err.value.conflicts == [managed.Conflict('"kubectl-client-side-apply" using v1', ".data.a")]


def test_several_conflicts_are_listed_by_manager() -> None:
    obj = apply(None, cm({"a": "1", "b": "1"}), "one")
    with pytest.raises(managed.ApplyConflict) as err:
        apply(obj, cm({"a": "2", "b": "2"}), "two")
    assert str(err.value) == 'Apply failed with 2 conflicts: conflicts with "one":\n- .data.a\n- .data.b'
    status = managed.conflict_error(err.value).status
    assert status["code"] == 409 and status["reason"] == "Conflict"
    assert status["details"]["causes"][0] == {
        "reason": "FieldManagerConflict", "message": 'conflict with "one"', "field": ".data.a"}  # fmt: skip


def test_applying_the_same_value_shares_ownership_without_conflict() -> None:
    obj = apply(apply(None, cm({"a": "1"}), "one"), cm({"a": "1"}), "two")
    assert owners(obj["metadata"]["managedFields"]) == {"one/Apply": {".data.a"}, "two/Apply": {".data.a"}}


def test_force_takes_the_conflicting_fields_from_the_other_manager() -> None:
    obj = apply(apply(None, cm({"a": "1", "b": "1"}), "one"), cm({"a": "2"}), "two", force=True)
    assert obj["data"] == {"a": "2", "b": "1"}
    assert owners(obj["metadata"]["managedFields"]) == {"one/Apply": {".data.b"}, "two/Apply": {".data.a"}}


def test_a_field_no_longer_applied_and_owned_by_nobody_else_is_removed() -> None:
    obj = apply(apply(None, cm({"a": "1", "b": "1"}), "one"), cm({"a": "1"}), "one")
    assert obj["data"] == {"a": "1"}


def test_a_field_no_longer_applied_but_shared_stays() -> None:
    obj = apply(None, cm({"a": "1", "b": "1"}), "one")
    obj = apply(obj, cm({"b": "1"}), "two")
    obj = apply(obj, cm({"a": "1"}), "one")
    assert obj["data"] == {"a": "1", "b": "1"}
    assert owners(obj["metadata"]["managedFields"]) == {"one/Apply": {".data.a"}, "two/Apply": {".data.b"}}


REAPPLY_CASES = [
    # (scenario, first config, second config, data after both, what the manager owns after)
    ("an empty map then a key in it keeps the key", cm({}), cm({"k": "v"}), {"k": "v"}, {".data.k"}),
    ("a key then an empty map leaves the map empty", cm({"k": "v"}), cm({}), {}, {".data"}),
    ("an empty map then no map removes it", cm({}), {**cm({}), "data": None}, None, set()),
    ("a key then another key swaps them", cm({"a": "1"}), cm({"b": "2"}), {"b": "2"}, {".data.b"}),
]


@pytest.mark.parametrize(
    ("first", "second", "data", "owned"),
    [c[1:] for c in REAPPLY_CASES],
    ids=[c[0] for c in REAPPLY_CASES],
)
def test_the_same_manager_reapplies(
    first: dict[str, Any], second: dict[str, Any], data: dict[str, str] | None, owned: set[str]
) -> None:
    obj = apply(apply(None, first, "mgr"), second, "mgr")
    assert obj.get("data") == data
    assert owners(obj["metadata"]["managedFields"]) == ({"mgr/Apply": owned} if owned else {})


def test_an_empty_keyed_list_then_an_element_keeps_the_element() -> None:
    obj = apply(apply(None, pod(), "mgr"), pod({"name": "a", "image": "x"}), "mgr")
    assert obj["spec"]["containers"] == [{"name": "a", "image": "x"}]


def test_keyed_lists_merge_by_their_merge_key() -> None:
    obj = apply(None, pod({"name": "a", "image": "busybox"}), "one")
    obj = apply(obj, pod({"name": "b", "image": "alpine"}), "two")
    assert [c["name"] for c in obj["spec"]["containers"]] == ["a", "b"]
    with pytest.raises(managed.ApplyConflict) as err:
        apply(obj, pod({"name": "a", "image": "alpine"}), "two")
    assert err.value.conflicts == [managed.Conflict('"one"', '.spec.containers[name="a"].image')]


def test_a_keyed_element_no_longer_applied_is_removed() -> None:
    obj = apply(None, pod({"name": "a", "image": "x"}, {"name": "b", "image": "y"}), "one")
    obj = apply(obj, pod({"name": "a", "image": "x"}), "one")
    assert obj["spec"]["containers"] == [{"name": "a", "image": "x"}]


def test_apply_never_manages_status_of_a_kind_with_a_status_subresource() -> None:
    config = {**pod({"name": "a", "image": "x"}), "status": {"phase": "Running"}}
    obj = apply(None, config, "one")
    assert "status" not in obj


# -- from client-side to server-side apply (minik.api.lastapplied) ----------------------------


def csa(data: dict[str, str]) -> dict[str, Any]:
    """A ConfigMap as ``kubectl apply`` (client-side) leaves it: annotation plus an Update entry."""
    last = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data})
    obj = cm(data, annotations={lastapplied.ANNOTATION: last})
    return with_fields(
        obj, managed.after_update(None, obj, manager="kubectl-client-side-apply", api_version="v1", now=NOW)
    )


def test_kubectl_takes_over_what_its_client_side_apply_set_without_conflict() -> None:
    live = csa({"a": "1"})
    merged, _ = managed.apply(live, cm({"a": "2"}), manager="kubectl", force=False, api_version="v1", now=NOW,
                              with_status=False, allowed=lastapplied.allowed_conflicts(live, "kubectl"))  # fmt: skip
    assert merged["data"] == {"a": "2"}


def test_another_manager_still_conflicts_with_client_side_apply() -> None:
    live = csa({"a": "1"})
    assert lastapplied.allowed_conflicts(live, "other") == set()
    with pytest.raises(managed.ApplyConflict):
        managed.apply(
            live, cm({"a": "2"}), manager="other", force=False, api_version="v1", now=NOW, with_status=False
        )


def test_a_field_changed_since_the_client_side_apply_still_conflicts() -> None:
    live = csa({"a": "1"})
    live["data"]["a"] = "edited"
    allowed = lastapplied.allowed_conflicts(live, "kubectl")
    with pytest.raises(managed.ApplyConflict):
        managed.apply(live, cm({"a": "2"}), manager="kubectl", force=False, api_version="v1", now=NOW,
                      with_status=False, allowed=allowed)  # fmt: skip


def test_kubectls_apply_keeps_the_annotation_in_step() -> None:
    live = csa({"a": "1"})
    out = lastapplied.keep_in_step(cm({"a": "2"}), cm({"a": "2"}), live, "kubectl")
    assert json.loads(out["metadata"]["annotations"][lastapplied.ANNOTATION])["data"] == {"a": "2"}
    assert lastapplied.keep_in_step(cm({"a": "2"}), cm({"a": "2"}), cm({}), "kubectl") == cm({"a": "2"})
