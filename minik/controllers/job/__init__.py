"""minik.controllers.job — the pure Kubernetes Job controller.

``sync_job(job, pods, now, *, new_name, time_scale=1.0) -> SyncResult``
decides; the executor in ``minik.server`` acts. Layout follows upstream
``pkg/controller/job``: ``sync`` orchestrates; ``indexes``, ``backoff``,
``failure_policy``, ``success_policy``, ``conditions`` and ``pods`` each own
one policy; ``podutil`` holds pod predicates; ``result`` the returned values.
"""

from minik.controllers.event import ControllerEvent
from minik.controllers.job.result import SyncResult
from minik.controllers.job.sync import sync_job

__all__ = ["ControllerEvent", "SyncResult", "sync_job"]
