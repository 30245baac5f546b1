"""``GET …/pods/NAME/log``: which container, whether it has anything to show yet, then the stream.

Owns the checks the API server's ``LogREST`` makes before it asks the
kubelet (the default container, ``previous`` needs a terminated container,
a container still waiting has no log yet, with kubectl's wording) and the
streaming response; the bytes come from the kubelet through
:class:`~minik.api.hooks.ApiHooks`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from minik.api.hooks import ApiHooks
from minik.api.responses import query_bool, query_int
from minik.apierrors import bad_request, invalid
from minik.errors import ApiError, MinikError
from minik.k8s import Obj, meta
from minik.logoptions import LogOptions
from minik.resources import DEFAULT_CONTAINER_KEY

log = logging.getLogger("minik.api")


async def logs(request: Request, pod: Obj, hooks: ApiHooks) -> Response:
    """The log response for ``pod`` (already read from the store)."""
    name = str(meta(pod).get("name", ""))
    tail = query_int(request, "tailLines")
    since = query_int(request, "sinceSeconds")
    causes = []  # ValidatePodLogOptions
    if tail is not None and tail < 0:
        causes.append(
            ("tailLines", "Invalid value", f"Invalid value: {tail}: must be greater than or equal to 0")
        )
    if since is not None and since < 1:
        causes.append(("sinceSeconds", "Invalid value", f"Invalid value: {since}: must be greater than 0"))
    if causes:
        raise invalid("PodLogOptions", str(name), causes)
    if since is not None:
        since = min(since, int(time.time()))  # further back than the epoch is everything
    spec = pod.get("spec") or {}
    containers = [c.get("name") for c in spec.get("containers") or []]
    inits = [c.get("name") for c in spec.get("initContainers") or []]
    container = request.query_params.get("container")
    if not container:
        default = (meta(pod).get("annotations") or {}).get(DEFAULT_CONTAINER_KEY)
        if default in containers:
            container = default
        elif len(containers) == 1 and not inits:
            container = containers[0]
        else:
            choices = " ".join(str(c) for c in containers)
            msg = f"a container name must be specified for pod {name}, choose one of: [{choices}]"
            if inits:
                msg += " or one of the init containers: [" + " ".join(str(c) for c in inits) + "]"
            raise bad_request(msg)
    if container not in containers and container not in inits:
        raise bad_request(f"container {container} is not valid for pod {name}")
    previous = query_bool(request, "previous")
    status = pod.get("status") or {}
    statuses = [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]
    cs = next((s for s in statuses if s.get("name") == container), None)
    last_terminated = "terminated" in ((cs or {}).get("lastState") or {})
    if previous:
        if not last_terminated:
            raise bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
    else:
        state = (cs or {}).get("state") or {}
        if "running" not in state and "terminated" not in state and not last_terminated:
            reason = (state.get("waiting") or {}).get("reason") or (
                "PodInitializing" if container in containers and inits else "ContainerCreating"
            )
            if reason in ("ErrImagePull", "ErrImageNeverPull", "InvalidImageName"):
                reason = "image can't be pulled"
            elif reason == "ImagePullBackOff":
                reason = "trying and failing to pull image"
            raise bad_request(f'container "{container}" in pod "{name}" is waiting to start: {reason}')
    opts = LogOptions(
        str(container),
        previous=previous,
        follow=query_bool(request, "follow"),
        tail=tail,
        timestamps=query_bool(request, "timestamps"),
        since_seconds=since,
    )
    chunks = hooks.logs(pod, opts)
    it = aiter(chunks)
    try:
        first: bytes | None = await anext(it)
    except StopAsyncIteration:
        first = None
    except ApiError:
        raise
    except MinikError as exc:
        raise bad_request(exc.message) from exc

    async def stream() -> AsyncIterator[bytes]:
        if first is None:
            return
        yield first
        try:
            async for chunk in it:
                yield chunk
        except MinikError as exc:
            log.warning("log stream of %s/%s ended: %s", name, container, exc)

    return StreamingResponse(stream(), media_type="text/plain")
