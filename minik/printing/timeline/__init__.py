"""minik.printing.timeline: where a Job's time went, as a chart model and three renderings.

:mod:`model` (with :mod:`bars`, one pod read from its status, and
:mod:`stats`, the run's figures) builds a plain :class:`Timeline` value from
the Job, its pods and its events exactly as the API serves them (pure:
objects and ``now`` in, value out);
:mod:`text`, :mod:`svg` and :mod:`trace` turn that one value into a terminal
chart, a self-contained HTML page and Chrome trace-event JSON. Nothing here
reads the clock, the network or a file.
"""

from minik.printing.timeline.bars import ContainerRun, Gap, PodBar, Row
from minik.printing.timeline.model import Mark, Timeline, build_timeline
from minik.printing.timeline.stats import Stats

__all__ = ["ContainerRun", "Gap", "Mark", "PodBar", "Row", "Stats", "Timeline", "build_timeline"]
