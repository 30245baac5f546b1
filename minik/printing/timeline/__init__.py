"""minik.printing.timeline: where a Job's time went, as a chart model and three renderings.

:mod:`model` builds a plain :class:`Timeline` value from the Job and its pods
exactly as the API serves them (pure: objects and ``now`` in, value out);
:mod:`text`, :mod:`svg` and :mod:`trace` turn that one value into a terminal
chart, a self-contained HTML page and Chrome trace-event JSON. Nothing here
reads the clock, the network or a file.
"""

from minik.printing.timeline.model import (
    ContainerRun,
    Gap,
    Mark,
    PodBar,
    Row,
    Stats,
    Timeline,
    build_timeline,
)

__all__ = ["ContainerRun", "Gap", "Mark", "PodBar", "Row", "Stats", "Timeline", "build_timeline"]
