"""Running lifecycle hooks: a handler's action, and stopping a container with its preStop hook first.

The rules (grace arithmetic, the words) are :mod:`minik.kubelet.lifecycle.rules`;
the actions are :mod:`minik.kubelet.probes.actions`'. As upstream's
``handlers.go``: an exec hook fails when its command exits non-zero, an
HTTP hook only when the request cannot be made (its status is not looked
at), a sleep hook when the container stops first; a tcpSocket hook cannot
be run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import anyio

from minik.errors import MinikError
from minik.k8s import Obj
from minik.kubelet.lifecycle import rules as hooks
from minik.kubelet.probes.actions import ActionError, Actions, dial_error, http_get, http_url, run_exec

log = logging.getLogger("minik.kubelet")

HTTP_HOOK_TIMEOUT = 60.0  # seconds; upstream's client has none (a preStop is bounded by the grace period)
Record = Callable[[str, str, str], Awaitable[None]]  # (type, reason, message) → an event of the pod


async def run_handler(actions: Actions, handler: Obj, c: Obj, *, cid: str, ip: str, pod_ref: str) -> str:
    """Run one hook's action; ``""`` when it succeeded, else the kubelet's message for the failure."""
    name = str(c.get("name"))

    def failed(error: str, output: str = "") -> str:
        return hooks.handler_message(handler, name, pod_ref, error, output)

    if handler.get("exec") is not None:
        command = list(handler["exec"].get("command") or [])
        try:
            done = await run_exec(actions.runtime, cid, command, None)
        except MinikError as exc:
            return failed(str(exc))
        code = done.code if done.code is not None else -1
        return failed(hooks.exec_error(command, code, done.output), done.output) if code else ""
    if handler.get("httpGet") is not None:
        try:
            url = http_url(handler["httpGet"], c, ip)
        except ActionError as exc:
            return failed(str(exc))
        headers = {
            str(h.get("name")): str(h.get("value") or "") for h in handler["httpGet"].get("httpHeaders") or []
        }
        try:
            await actions.in_thread(http_get, url, headers, HTTP_HOOK_TIMEOUT)
        except OSError as exc:
            port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
            return failed(f'Get "{url}": {dial_error(ip, port, exc)}')
        except Exception as exc:  # noqa: BLE001 - any client failure is the hook's failure
            return failed(f'Get "{url}": {exc}')
        return ""
    if handler.get("sleep") is not None:
        await anyio.sleep(float(handler["sleep"].get("seconds") or 0))
        return ""
    return failed(f"invalid handler: {sorted(handler)}")


async def post_start(
    actions: Actions, c: Obj, *, cid: str, ip: str, pod_ref: str, record: Record, stopped: anyio.Event
) -> bool:
    """Run the container's postStart hook, if any; False when it failed (FailedPostStartHook recorded).

    When ``stopped`` is set (the pod is being stopped) the hook is
    abandoned; a sleep hook cut short that way fails with upstream's message.
    """
    handler = (c.get("lifecycle") or {}).get("postStart")
    if handler is None:
        return True
    message = ""
    async with anyio.create_task_group() as tg:

        async def watch() -> None:
            nonlocal message
            await stopped.wait()  # the pod is being stopped: the hook is abandoned
            if handler.get("sleep") is not None:
                error = "container terminated before sleep hook finished"
                message = hooks.handler_message(handler, str(c["name"]), pod_ref, error)
            tg.cancel_scope.cancel()

        async def run() -> None:
            nonlocal message
            message = await run_handler(actions, handler, c, cid=cid, ip=ip, pod_ref=pod_ref)
            tg.cancel_scope.cancel()

        tg.start_soon(watch)
        tg.start_soon(run)
    if message:
        log.debug("%s", message)
        await record("Warning", *hooks.POST_START_FAILED)
        return False
    return True


async def stop(
    actions: Actions,
    c: Obj,
    *,
    cid: str,
    ip: str,
    pod_ref: str,
    grace: int,
    record: Record,
    override: bool = False,
) -> None:
    """Stop the container: its preStop hook first (within ``grace``), then the stop signal with the
    grace that is left (killContainer; ``override``: the grace is the deletion's or an eviction's)."""
    budget = hooks.pre_stop_budget(c, grace)
    elapsed, ran = 0.0, False
    if budget:
        handler = (c.get("lifecycle") or {}).get("preStop") or {}
        start = time.monotonic()
        with anyio.move_on_after(budget):
            message = await run_handler(actions, handler, c, cid=cid, ip=ip, pod_ref=pod_ref)
            if message:
                log.debug("%s", message)
                await record("Warning", *hooks.PRE_STOP_FAILED)
        elapsed, ran = time.monotonic() - start, True
    await actions.runtime.stop(
        cid, grace_seconds=hooks.grace_after_pre_stop(grace, elapsed, hook_ran=ran, override=override)
    )
