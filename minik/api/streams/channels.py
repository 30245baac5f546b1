"""The streaming protocols' pure parts: subprotocols, channel frames, exec options, status, ports.

What kubectl and the Python client speak over a WebSocket to ``pods/exec``,
``pods/attach`` and ``pods/portforward``, as upstream's ``wsstream`` and
``remotecommand`` define it: every binary message is one channel byte and its
payload — 0 stdin, 1 stdout, 2 stderr, 3 error (a ``metav1.Status`` when
the process ends), 4 resize (``{"Width": w, "Height": h}``), and with
``v5.channel.k8s.io`` 255 "close" (its payload names the channel the client
closes: stdin). Port-forward gives each requested port two channels, data
``2i`` and error ``2i+1``, whose first server message is the port, two
bytes little-endian.

Pure: decisions and encodings only; :mod:`minik.api.streams` and
:mod:`minik.api.streams.portforward` do the I/O.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
EXEC_PROTOCOLS = (V5, V4)
SPDY_TUNNEL = "SPDY/3.1+portforward.k8s.io"  # kubectl port-forward: SPDY inside the WebSocket
PORTFORWARD_PROTOCOLS = (V4, SPDY_TUNNEL)

STDIN, STDOUT, STDERR, ERROR, RESIZE = 0, 1, 2, 3, 4
CLOSE = 255

_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})


class BadOptions(ValueError):
    """The request's options are wrong (the API server's 400 BadRequest, with this message)."""


def offered(header: str | None) -> list[str]:
    """The subprotocols of a ``Sec-WebSocket-Protocol`` header, in the client's order."""
    return [p.strip() for p in (header or "").split(",") if p.strip()]


def negotiate(client: Sequence[str], server: Sequence[str]) -> str | None:
    """The client's first protocol the server speaks; ``None`` when there is none.

    A client that offers nothing gets the server's first (upstream serves an
    unnamed protocol with the same channels).
    """
    if not client:
        return server[0]
    return next((p for p in client if p in server), None)


def no_protocol(client: Sequence[str], server: Sequence[str]) -> str:
    return (
        f"unable to upgrade: unable to negotiate protocol: client supports {list(client)}, "
        f"server supports {list(server)}"
    )


def encode(channel: int, payload: bytes) -> bytes:
    return bytes((channel,)) + payload


def decode(message: bytes) -> tuple[int, bytes] | None:
    """``(channel, payload)`` of a client message; ``None`` for an empty one."""
    if not message:
        return None
    return message[0], message[1:]


def parse_bool(name: str, raw: str | None) -> bool:
    """A query flag as Go's ``strconv.ParseBool`` reads it (absent or empty: false)."""
    if raw is None or raw == "":
        return False
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise BadOptions(f'{name}: Invalid value: "{raw}": strconv.ParseBool: parsing "{raw}": invalid syntax')


@dataclass(frozen=True)
class StreamOptions:
    """``PodExecOptions`` / ``PodAttachOptions`` from the query."""

    container: str
    command: tuple[str, ...]
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool


def stream_options(query: Sequence[tuple[str, str]], *, exec_: bool) -> StreamOptions:
    """Read and check exec (``exec_``) or attach options, as the API server and kubelet do."""
    values: dict[str, str] = {}
    command: list[str] = []
    for key, value in query:
        if key == "command":
            command.append(value)
        else:
            values.setdefault(key, value)
    flags = {k: parse_bool(k, values.get(k)) for k in ("stdin", "stdout", "stderr", "tty")}
    if exec_ and not command:
        raise BadOptions("you must specify at least one command for the container")
    if flags["tty"] and flags["stderr"]:
        flags["stderr"] = False  # as the kubelet: a TTY merges stderr into stdout
    if not (flags["stdin"] or flags["stdout"] or flags["stderr"]):
        raise BadOptions("you must specify at least 1 of stdin, stdout, stderr")
    return StreamOptions(container=values.get("container", ""), command=tuple(command), **flags)


def success() -> bytes:
    return _status({"metadata": {}, "status": "Success"})


def exit_code_status(command: Sequence[str], code: int) -> bytes:
    """What the kubelet sends when the process exits non-zero (kubectl exits with ``code``)."""
    cmd = "[" + " ".join(command) + "]"
    return _status(
        {
            "metadata": {},
            "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command {cmd}, "
            f"exit code {code}",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
        }
    )


def internal_error(cause: str) -> bytes:
    """``apierrors.NewInternalError``: how the API server reports a stream the kubelet refused."""
    return _status(
        {
            "metadata": {},
            "status": "Failure",
            "message": f"Internal error occurred: {cause}",
            "reason": "InternalError",
            "details": {"causes": [{"message": cause}]},
            "code": 500,
        }
    )


def _status(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def parse_resize(payload: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of a resize message (field names matched as Go's decoder: any case)."""
    try:
        raw = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    size = {str(k).lower(): v for k, v in raw.items()}
    width, height = size.get("width"), size.get("height")
    if not isinstance(width, int) or not isinstance(height, int) or width < 0 or height < 0:
        return None
    return width, height


def parse_ports(query: Sequence[tuple[str, str]]) -> list[int]:
    """The ``ports`` of a port-forward request (repeated or comma-separated), as the kubelet checks them."""
    raw = [p.strip() for key, value in query if key == "ports" for p in value.split(",")]
    if not raw:
        raise BadOptions('query parameter "port" is required')
    ports: list[int] = []
    for text in raw:
        if not text:
            raise BadOptions('query parameter "port" cannot be empty')
        if not text.isdigit():
            raise BadOptions(
                f'unable to parse "{text}" as a port: strconv.ParseUint: parsing "{text}": invalid syntax'
            )
        port = int(text)
        if port > 65535:
            raise BadOptions(
                f'unable to parse "{text}" as a port: strconv.ParseUint: parsing "{text}": value out of range'
            )
        if port < 1:
            raise BadOptions(f'port "{text}" must be > 0')
        ports.append(port)
    if len(ports) > MAX_WEBSOCKET_PORTS:
        raise BadOptions(
            f"too many ports: {len(ports)} asked, at most {MAX_WEBSOCKET_PORTS} can be forwarded over one"
            " WebSocket (each takes two of its 256 channels)"
        )
    return ports


MAX_WEBSOCKET_PORTS = 128
"""Ports one WebSocket port-forward can carry: a data and an error channel each, one byte numbering them."""


def port_prefix(port: int) -> bytes:
    """The first message on each of a port's channels: the port, little-endian."""
    return port.to_bytes(2, "little")
