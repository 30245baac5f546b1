"""Label and field selector strings."""

from __future__ import annotations

import pytest

from minik.errors import ApiError
from minik.store.selectors import compile_filter, parse_fields, parse_labels

LABELS = {"app": "web", "tier": "front", "n": "5"}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ("", True),
        ("app=web", True),
        ("app==web", True),
        ("app!=web", False),
        ("app=db", False),
        ("tier in (front,back)", True),
        ("tier notin (front)", False),
        ("missing notin (x)", True),
        ("app", True),
        ("!app", False),
        ("!missing", True),
        ("app=web,tier!=back,tier in (front, back),!g,n", True),
        ("n>4", True),
        ("n<4", False),
        ("batch.kubernetes.io/controller-uid=abc", False),
    ],
)
def test_label_selector(selector: str, matches: bool) -> None:
    match = compile_filter("pods", selector, None)
    assert match({"metadata": {"labels": LABELS}}) is matches


@pytest.mark.parametrize("bad", ["app=", "=x", "a in ()", "a in (b", "a=b c", "a b c"])
def test_bad_label_selector_is_400(bad: str) -> None:
    if bad == "app=":  # an empty value is valid Kubernetes
        assert parse_labels(bad)[0].values == ("",)
        return
    with pytest.raises(ApiError) as info:
        parse_labels(bad)
    assert info.value.code == 400


POD = {
    "metadata": {"name": "p", "namespace": "ns"},
    "spec": {"nodeName": "minik"},
    "status": {"phase": "Running"},
}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ("metadata.name=p", True),
        ("metadata.name!=p", False),
        ("metadata.namespace==ns,status.phase=Running", True),
        ("status.phase!=Running", False),
        ("spec.nodeName=minik", True),
        ("spec.nodeName=", False),
    ],
)
def test_field_selector(selector: str, matches: bool) -> None:
    assert compile_filter("pods", None, selector)(POD) is matches


def test_event_fields() -> None:
    ev = {"metadata": {"name": "e"}, "involvedObject": {"name": "j", "uid": "u", "kind": "Job"}}
    assert compile_filter(
        "events", None, "involvedObject.name=j,involvedObject.uid=u,involvedObject.kind=Job"
    )(ev)


def test_unknown_field_is_400() -> None:
    with pytest.raises(ApiError) as info:
        parse_fields("spec.bogus=1", "pods")
    assert info.value.code == 400 and "field label not supported" in info.value.message


@pytest.mark.parametrize(
    ("scenario", "selector", "matches"),
    [
        ("a trailing comma, as kr8s sends", "metadata.name=p,", True),
        ("a trailing comma on a term that does not match", "metadata.name=q,", False),
        ("a leading comma", ",metadata.name=p", True),
        ("two commas between terms", "metadata.name=p,,status.phase=Running", True),
        ("only a comma selects everything", ",", True),
    ],
)
def test_field_selector_skips_empty_terms(scenario: str, selector: str, matches: bool) -> None:
    assert compile_filter("pods", None, selector)(POD) is matches, scenario


@pytest.mark.parametrize("selector", ["app=web,", ",app=web", "app=web,,tier=front"])
def test_label_selector_with_an_empty_term_stays_400_as_upstream(selector: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_labels(selector)
    assert info.value.code == 400
