"""HTTP helpers shared by the handlers: Status responses, bodies, query values, warnings."""

from __future__ import annotations

import json
import math
from typing import Any

import anyio
import yaml
from starlette.requests import Request
from starlette.responses import Response

from minik.apierrors import bad_request, complete, error
from minik.errors import ApiError, FieldError
from minik.manifest import yamlsafe

MAX_BODY = 3 * 1024 * 1024  # the API server's limit for a request body


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode()


def status_response(status: dict[str, Any]) -> Response:
    """A ``Status`` as the response, with the ``details`` upstream has for its reason."""
    return JSONResponse(complete(status), status_code=int(status.get("code") or 500))


def warning_headers(warnings: list[FieldError]) -> list[tuple[str, str]]:
    """``Warning: 299 - "<text>"`` headers, as the API server sends them (kubectl prints them)."""
    out = []
    for w in warnings:
        text = f"{w.path}: {w.body()}" if w.path else w.body()
        text = text.replace("\\", "\\\\").replace('"', '\\"').encode("ascii", "backslashreplace").decode()
        out.append(("warning", f'299 - "{text}"'))
    return out


def object_response(
    obj: dict[str, Any], *, code: int = 200, warnings: list[FieldError] | None = None
) -> Response:
    resp = JSONResponse(obj, status_code=code)
    for key, value in warning_headers(warnings or []):
        resp.headers.append(key, value)
    return resp


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    too_large = error(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


UNSUPPORTED_MEDIA = (
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json, application/yaml"
)


YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
MAX_DEPTH = 100
"""Deepest nesting a request body may have (real objects stay under 30 levels)."""
MAX_NODES = 1_000_000
"""Most values a decoded body may hold (YAML aliases can expand a small body enormously)."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _check_shape(value: Any, what: str) -> None:
    """400 unless ``value`` is plain JSON: bounded depth and size, string keys, finite numbers.

    Checked iteratively, so a hostile body cannot exhaust the stack here or
    in any recursive code (validation, deepcopy, json.dumps) after it.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH or nodes > MAX_NODES:
            limit = f"nesting deeper than {MAX_DEPTH} levels" if depth > MAX_DEPTH else "too many values"
            raise bad_request(f"{what}: the request body is not acceptable: {limit}")
        if isinstance(node, dict):
            if not all(isinstance(k, str) for k in node):
                raise bad_request(f"{what}: the request body is not acceptable: a key is not a string")
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise bad_request(f"{what}: the request body is not acceptable: a number is not finite")
        elif node is not None and not isinstance(node, str | int | float | bool):
            kind = type(node).__name__
            raise bad_request(f"{what}: the request body is not acceptable: a {kind} value is not JSON")


def decode(body: bytes, content_type: str, *, what: str) -> Any:
    """JSON (or YAML) → plain JSON value; 400 when it does not parse, 415 for other media types."""
    if content_type in ("", "application/json", "*/*"):
        try:
            value = json.loads(body or b"null", parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request(f"{what}: couldn't decode the request body as JSON: {exc}") from None
        except RecursionError:
            raise bad_request(f"{what}: the request body is nested deeper than {MAX_DEPTH} levels") from None
    elif content_type in YAML_TYPES:
        try:
            value = yamlsafe.safe_load(body)
        except yaml.YAMLError as exc:
            raise bad_request(f"{what}: couldn't decode the request body as YAML: {exc}") from None
        except ValueError as exc:  # an alias bomb, an integer over 4,300 digits, a bad date
            raise bad_request(f"{what}: couldn't decode the request body as YAML: {exc}") from None
        except RecursionError:
            raise bad_request(f"{what}: the request body is nested deeper than {MAX_DEPTH} levels") from None
    else:
        raise error(415, "UnsupportedMediaType", UNSUPPORTED_MEDIA)
    _check_shape(value, what)
    return value


async def decode_async(body: bytes, content_type: str, *, what: str) -> Any:
    """:func:`decode`, with YAML parsed in a worker thread so a slow document never blocks the event loop."""
    if content_type in YAML_TYPES and body:
        return await anyio.to_thread.run_sync(lambda: decode(body, content_type, what=what))
    return decode(body, content_type, what=what)


def query_bool(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("true", "1")


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def query_int(request: Request, name: str) -> int | None:
    """An integer query parameter, read as Go's ``strconv.ParseInt(s, 10, 64)`` reads it (400 otherwise)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    digits = raw[1:] if raw[:1] in "+-" else raw
    if not digits or not digits.isascii() or not digits.isdigit():
        raise bad_request(f"{name}: invalid value {raw!r}: must be an integer")
    if len(digits.lstrip("0")) > 19 or not INT64_MIN <= int(raw) <= INT64_MAX:
        raise bad_request(f'{name}: strconv.ParseInt: parsing "{raw}": value out of range')
    return int(raw)


def body_int64(value: Any, field: str) -> int | None:
    """An int64 field of a request body (``DeleteOptions.gracePeriodSeconds``): 400 if it is not one, as Go's decoder."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_request(f"{field}: Invalid value: {value!r}: must be an integer")
    if not INT64_MIN <= value <= INT64_MAX:
        raise bad_request(f"json: cannot unmarshal number {value} into Go struct field {field} of type int64")
    return value


def grace_period(request: Request | None, opts: dict[str, Any]) -> int | None:
    """``gracePeriodSeconds`` of a delete (the query's, if a request is given, then the DeleteOptions body's),
    as ``BeforeDelete`` takes it: int64 or 400; a negative value means one second."""
    grace = None if request is None else query_int(request, "gracePeriodSeconds")
    if grace is None:
        grace = body_int64(opts.get("gracePeriodSeconds"), "DeleteOptions.gracePeriodSeconds")
    return None if grace is None else (1 if grace < 0 else grace)


def api_error(code: int, reason: str, message: str) -> ApiError:
    return error(code, reason, message)
