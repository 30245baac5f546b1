"""A Service's DNS names: a ClusterIP Service's resolve to its virtual IP, a headless one's to the pods.

Names checked from another pod, as on a cluster: ``name``, ``name.ns``,
``name.ns.svc``, ``name.ns.svc.cluster.local``; and with a pod's
``hostname``/``subdomain`` matching a headless Service, ``hostname.subdomain``.
"""

from __future__ import annotations

import re

from tests.support import BUSYBOX, Cluster, busybox_spec

# Print "<name> <ipv4>" for each name once it resolves (the Service's aliases
# are set shortly after the pods start, so retry for a while).
RESOLVE = (
    'for n in {names}; do a=""; for i in $(seq 100); do '
    "a=$(nslookup $n 2>/dev/null | sed -n 's/^Address:[[:space:]]*\\([0-9.]*\\)$/\\1/p' | tail -1); "
    '[ -n "$a" ] && break; sleep 0.2; done; echo "$n $a"; done'
)


def _service(name: str, app: str, *, headless: bool = False) -> str:
    cluster_ip = "  clusterIP: None\n" if headless else ""
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
{cluster_ip}  selector:
    app: {app}
  ports:
  - port: 80
"""


def _target(name: str, app: str, extra: str = "") -> str:
    return f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels:
    app: {app}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
{extra}  containers:
  - name: c
    {BUSYBOX}
    command: ["sleep", "60"]
"""


def _resolved(minik: Cluster, client: str) -> dict[str, str]:
    pod = minik.wait_pod_phase(client, ("Succeeded", "Failed"), 60)
    assert pod["status"]["phase"] == "Succeeded", pod["status"]
    out = {}
    for line in minik.logs(client).splitlines():
        parts = line.split()
        out[parts[0]] = parts[1] if len(parts) > 1 else ""
    return out


def test_a_cluster_ip_service_name_resolves_to_its_virtual_ip_in_every_form(
    minik: Cluster, pod_name: str
) -> None:
    svc, target, client = f"svc{pod_name[-5:]}", f"{pod_name}-t", f"{pod_name}-c"
    app = f"a{pod_name[-5:]}"
    minik.apply(_service(svc, app) + "---\n" + _target(target, app))
    minik.wait_container(target, "c", "running")
    names = [svc, f"{svc}.default", f"{svc}.default.svc", f"{svc}.default.svc.cluster.local"]
    minik.apply_pod(
        client, busybox_spec(f'["sh", "-c", {_yaml_str(RESOLVE.format(names=" ".join(names)))}]', grace=None)
    )
    vip = minik.get("service", svc)["spec"]["clusterIP"]
    _assert_resolved_then_clean_up(minik, client, target, svc, names, vip)


def test_a_headless_service_name_resolves_to_the_selected_pod_in_every_form(
    minik: Cluster, pod_name: str
) -> None:
    svc, target, client = f"hl{pod_name[-5:]}", f"{pod_name}-t", f"{pod_name}-c"
    app = f"h{pod_name[-5:]}"
    minik.apply(_service(svc, app, headless=True) + "---\n" + _target(target, app))
    minik.wait_container(target, "c", "running")
    names = [svc, f"{svc}.default", f"{svc}.default.svc", f"{svc}.default.svc.cluster.local"]
    minik.apply_pod(
        client, busybox_spec(f'["sh", "-c", {_yaml_str(RESOLVE.format(names=" ".join(names)))}]', grace=None)
    )
    _assert_resolved_then_clean_up(minik, client, target, svc, names)


def test_pod_hostname_under_a_matching_subdomain_service_resolves(minik: Cluster, pod_name: str) -> None:
    svc, target, client = f"sub{pod_name[-5:]}", f"{pod_name}-t", f"{pod_name}-c"
    app = f"b{pod_name[-5:]}"
    minik.apply(
        _service(svc, app, headless=True)
        + "---\n"
        + _target(target, app, f"  hostname: host-0\n  subdomain: {svc}\n")
    )
    minik.wait_container(target, "c", "running")
    names = [f"host-0.{svc}", f"host-0.{svc}.default.svc.cluster.local"]
    script = RESOLVE.format(names=" ".join(names))
    minik.apply_pod(client, busybox_spec(f'["sh", "-c", {_yaml_str(script)}]', grace=None))
    _assert_resolved_then_clean_up(minik, client, target, svc, names)


def _assert_resolved_then_clean_up(
    minik: Cluster, client: str, target: str, svc: str, names: list[str], ip: str = ""
) -> None:
    """The ``client`` pod resolved every name to ``ip`` (default: the ``target`` pod's); then the three objects go."""
    got = _resolved(minik, client)
    ip = ip or minik.pod(target)["status"]["podIP"]
    assert got == dict.fromkeys(names, ip)
    minik.delete("pod", client, wait=False)
    minik.delete("pod", target, wait=False)
    minik.delete("service", svc)


def _yaml_str(s: str) -> str:
    """``s`` as a double-quoted YAML scalar."""
    return '"' + re.sub(r'(["\\])', r"\\\1", s) + '"'
