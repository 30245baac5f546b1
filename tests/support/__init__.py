"""The one harness for a minik instance under test, shared by tests and benchmarks.

- :mod:`tests.support.polling`: :func:`eventually`, the one polling helper.
- :mod:`tests.support.engine`: this run's Docker objects (labels, leftovers, cleanup).
- :mod:`tests.support.instance`: :class:`Minik`, one instance (server process,
  CLI, API client, Docker read-outs) and :func:`private_minik` around it.
- :mod:`tests.support.process`: the ``minik`` command and the server process.
- :mod:`tests.support.host`: free ports, host addresses, machine-wide locks.
- :mod:`tests.support.kube`: real ``kubectl`` and small readers of pods and Jobs.
- :mod:`tests.support.fixtures`: the pytest fixtures built on them
  (``docker_client``, ``test_labels``, ``minik``, ``real_time``, ``pod_name``).
"""

from tests.support.engine import RUN, labelled, remove_instance
from tests.support.instance import (
    EXAMPLES,
    FIXTURES,
    ROOT,
    Cluster,
    Minik,
    new_home,
    new_instance,
    private_minik,
)
from tests.support.kube import (
    BUSYBOX,
    busybox_spec,
    condition,
    container_status,
    empty_dir_spec,
    job_yaml,
    kubeconfig,
    kubectl,
    pod_yaml,
)
from tests.support.polling import WaitTimeout, eventually
from tests.support.process import Server, minik_command

__all__ = [
    "BUSYBOX",
    "EXAMPLES",
    "FIXTURES",
    "ROOT",
    "RUN",
    "Cluster",
    "Minik",
    "Server",
    "WaitTimeout",
    "busybox_spec",
    "condition",
    "container_status",
    "empty_dir_spec",
    "eventually",
    "job_yaml",
    "kubeconfig",
    "kubectl",
    "labelled",
    "minik_command",
    "new_home",
    "new_instance",
    "pod_yaml",
    "private_minik",
    "remove_instance",
]
