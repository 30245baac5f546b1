"""A small subset of kubectl's JSONPath templates, pure.

Supported: literal text; ``{.a.b}``, ``{.items[*].metadata.name}``, ``[n]``,
``[*]``, ``['key']``, escaped dots in keys (``labels.app\\.kubernetes\\.io/name``),
filters ``[?(@.type=="Complete")]`` (``==``/``!=``), ``{range …}…{end}``, and
string literals ``{"\\n"}``. Several results of one expression are joined by a
space, as kubectl does.
"""

from __future__ import annotations

import json
import re
from typing import Any

from minik.errors import UsageError

_MISSING = object()


def _tokens(template: str) -> list[tuple[str, str]]:
    """Split into ("text", s) and ("expr", s) parts."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(template):
        j = template.find("{", i)
        if j < 0:
            out.append(("text", template[i:]))
            break
        if j > i:
            out.append(("text", template[i:j]))
        k = template.find("}", j)
        if k < 0:
            raise UsageError(f"error parsing jsonpath {template}, unclosed action")
        out.append(("expr", template[j + 1 : k].strip()))
        i = k + 1
    return out


def _split_path(expr: str) -> list[str]:
    """``.items[*].metadata.name`` → ``["items", "[*]", "metadata", "name"]``."""
    steps: list[str] = []
    i = 0
    cur = ""
    while i < len(expr):
        ch = expr[i]
        if ch == "\\" and i + 1 < len(expr):
            cur += expr[i + 1]
            i += 2
            continue
        if ch == ".":
            if cur:
                steps.append(cur)
            cur = ""
        elif ch == "[":
            if cur:
                steps.append(cur)
            cur = ""
            depth, k = 0, i
            while k < len(expr):
                if expr[k] == "[":
                    depth += 1
                elif expr[k] == "]":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            steps.append(expr[i : k + 1])
            i = k
        else:
            cur += ch
        i += 1
    if cur:
        steps.append(cur)
    return steps


def _literal(text: str) -> Any:
    text = text.strip()
    if text[:1] in ("'", '"'):
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        return text


def _apply(step: str, nodes: list[Any]) -> list[Any]:
    out: list[Any] = []
    if step.startswith("["):
        inner = step[1:-1].strip()
        if inner == "*":
            for n in nodes:
                if isinstance(n, list):
                    out.extend(n)
                elif isinstance(n, dict):
                    out.extend(n.values())
            return out
        if inner.startswith("?(") and inner.endswith(")"):
            m = re.fullmatch(r"@\.([\w.\-/\\]+)\s*(==|!=)\s*(.+)", inner[2:-1].strip())
            if not m:
                raise UsageError(f"unsupported jsonpath filter {inner}")
            path, op, want = _split_path(m.group(1)), m.group(2), _literal(m.group(3))
            for n in nodes:
                for item in n if isinstance(n, list) else []:
                    got = _walk(path, [item])
                    value = got[0] if got else _MISSING
                    if (value == want) == (op == "=="):
                        out.append(item)
            return out
        if inner[:1] in ("'", '"'):
            return _apply(inner[1:-1], nodes)
        if re.fullmatch(r"-?\d+", inner):
            idx = int(inner)
            for n in nodes:
                if isinstance(n, list) and -len(n) <= idx < len(n):
                    out.append(n[idx])
            return out
        raise UsageError(f"unsupported jsonpath subscript {step}")
    for n in nodes:
        if isinstance(n, dict) and step in n:
            out.append(n[step])
    return out


def _walk(steps: list[str], nodes: list[Any]) -> list[Any]:
    for step in steps:
        nodes = _apply(step, nodes)
    return nodes


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return "" if v is None else str(v)


def evaluate(template: str, data: Any) -> str:
    """Render ``template`` (``{.status.succeeded}``, ``{range .items[*]}…{end}``) over ``data``."""
    tokens = _tokens(template)
    out, _ = _render(tokens, 0, data, template)
    return out


def _render(tokens: list[tuple[str, str]], i: int, data: Any, template: str) -> tuple[str, int]:
    parts: list[str] = []
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "text":
            parts.append(value)
        elif value == "end":
            return "".join(parts), i
        elif value.startswith("range "):
            items = _expr(value[len("range ") :].strip(), data)
            body_end = i
            for item in items:
                text, body_end = _render(tokens, i + 1, item, template)
                parts.append(text)
            if not items:
                _, body_end = _render(tokens, i + 1, None, template)
            i = body_end
        elif value[:1] in ('"', "'"):
            parts.append(value[1:-1].encode().decode("unicode_escape"))
        else:
            parts.append(" ".join(_text(v) for v in _expr(value, data)))
        i += 1
    return "".join(parts), i


def _expr(expr: str, data: Any) -> list[Any]:
    if expr in ("", "@", "$", "."):
        return [data]
    expr = expr.removeprefix("$").removeprefix("@")
    return _walk(_split_path(expr), [data])
