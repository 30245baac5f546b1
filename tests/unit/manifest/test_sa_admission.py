"""The ServiceAccount admission plugin, scenario by scenario (upstream's admission_test)."""

from __future__ import annotations

from typing import Any

import pytest

from minik.manifest import sa_admission
from minik.manifest.sa_admission import TOKEN_MOUNT_PATH, ServiceAccountMissing, admit

SA: dict[str, Any] = {"metadata": {"name": "default", "namespace": "team"}}


def pod(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": "team"}, "spec": {"containers": [{"name": "c"}], **spec}}


def token_volumes(p: dict[str, Any]) -> list[str]:
    return [v["name"] for v in p["spec"].get("volumes") or [] if v["name"].startswith("kube-api-access-")]


def test_a_pod_gets_the_default_service_account_and_the_token_volume_in_every_container() -> None:
    p = pod(initContainers=[{"name": "i"}])
    admit(p, SA)
    assert (p["spec"]["serviceAccountName"], p["spec"]["serviceAccount"]) == ("default", "default")
    [name] = token_volumes(p)
    assert len(name) == len("kube-api-access-") + 5
    volume = p["spec"]["volumes"][0]
    assert volume == sa_admission.token_volume(name)
    sources = volume["projected"]["sources"]
    assert sources[0] == {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}
    assert sources[1]["configMap"] == {
        "name": "kube-root-ca.crt",
        "items": [{"key": "ca.crt", "path": "ca.crt"}],
    }
    assert sources[2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"] == "metadata.namespace"
    mount = {"name": name, "readOnly": True, "mountPath": TOKEN_MOUNT_PATH}
    assert p["spec"]["containers"][0]["volumeMounts"] == [mount]
    assert p["spec"]["initContainers"][0]["volumeMounts"] == [mount]


@pytest.mark.parametrize(
    ("pod_says", "sa_says", "mounted"),
    [
        (None, None, True),
        (False, None, False),
        (None, False, False),
        (True, False, True),  # the pod wins
        (False, True, False),
    ],
)
def test_automount_service_account_token(pod_says: bool | None, sa_says: bool | None, mounted: bool) -> None:
    p = pod() if pod_says is None else pod(automountServiceAccountToken=pod_says)
    sa = dict(SA) if sa_says is None else {**SA, "automountServiceAccountToken": sa_says}
    admit(p, sa)
    assert bool(token_volumes(p)) is mounted
    assert bool(p["spec"]["containers"][0].get("volumeMounts")) is mounted


def test_a_missing_service_account_is_refused_with_upstream_s_words() -> None:
    with pytest.raises(ServiceAccountMissing) as err:
        admit(pod(serviceAccountName="builder"), None)
    assert (
        str(err.value) == 'error looking up service account team/builder: serviceaccount "builder" not found'
    )


def test_a_container_that_mounts_something_at_the_token_path_keeps_it() -> None:
    own = {"name": "mine", "mountPath": TOKEN_MOUNT_PATH}
    p = pod(containers=[{"name": "a", "volumeMounts": [own]}, {"name": "b"}])
    admit(p, SA)
    assert p["spec"]["containers"][0]["volumeMounts"] == [own]
    assert p["spec"]["containers"][1]["volumeMounts"][0]["mountPath"] == TOKEN_MOUNT_PATH


def test_no_container_needs_it_no_volume() -> None:
    own = {"name": "mine", "mountPath": TOKEN_MOUNT_PATH}
    p = pod(containers=[{"name": "a", "volumeMounts": [own]}])
    admit(p, SA)
    assert token_volumes(p) == []


def test_an_existing_token_volume_is_reused_not_added_twice() -> None:
    p = pod(volumes=[sa_admission.token_volume("kube-api-access-abcde")])
    admit(p, SA)
    assert token_volumes(p) == ["kube-api-access-abcde"]
    assert p["spec"]["containers"][0]["volumeMounts"][0]["name"] == "kube-api-access-abcde"
