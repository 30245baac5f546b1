"""Real kubectl: ``top pod`` and ``top node`` print figures from the background sampler."""

from __future__ import annotations

import re

from tests.support import Minik, kubectl


def test_top_pod_and_node(minik: Minik) -> None:
    kubectl(minik, "run", "busy", "--image=busybox:latest", "--restart=Never", "--",
            "sh", "-c", "while true; do :; done")  # fmt: skip
    try:
        minik.eventually("the pod runs", lambda: "Running" in kubectl(minik, "get", "pod", "busy").stdout, 60)

        def top(*args: str) -> str:
            res = kubectl(minik, "top", *args, check=False)
            return res.stdout if res.returncode == 0 else ""

        out = minik.eventually("kubectl top pod", lambda: top("pod", "busy"), 60)
        lines = out.splitlines()
        assert lines[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
        name, cpu, memory = lines[1].split()
        assert name == "busy" and re.fullmatch(r"\d+m", cpu) and re.fullmatch(r"\d+Mi", memory)
        assert int(cpu[:-1]) > 100, f"a busy loop uses more than 0.1 core: {out}"

        out = minik.eventually("kubectl top node", lambda: top("node"), 60)
        header, row = out.splitlines()[:2]
        assert header.split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
        assert re.fullmatch(r"minik\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%", row.strip()), row
    finally:
        kubectl(minik, "delete", "pod", "busy", "--grace-period=0", "--force")
