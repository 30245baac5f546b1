"""Reading manifests: files, directories and stdin → :class:`Document` values.

Owns YAML/JSON parsing with a position for every node (built from PyYAML's
node API, never its constructor, so duplicate keys are caught and nothing
but JSON-shaped values comes out), ``kind: List`` flattening and the size
limit. YAML problems become located :class:`FieldError`\\ s, collected over
every file and raised together as one :class:`ManifestError`. It does not
validate objects.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from minik.errors import FieldError, ManifestError
from minik.k8s import Obj
from minik.manifest.fields import PathT
from minik.manifest.yamlsafe import AliasBomb, check_aliases

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Largest manifest file (or stdin) minik reads: 4 MiB, the API server's request size order."""

MAX_DEPTH = 64
"""Deepest nesting accepted (guards against alias bombs and recursive anchors)."""

SUFFIXES = (".yaml", ".yml", ".json")

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_scalars = yaml.constructor.SafeConstructor()


@dataclass
class Document:
    """One Kubernetes object read from ``source`` with the position of each node."""

    obj: Obj
    source: str
    positions: dict[PathT, tuple[int, int]] = field(default_factory=dict, repr=False)
    prefix: PathT = ()

    def position(self, path: PathT) -> tuple[int, int]:
        """(line, col), 1-based, of ``path``; the nearest existing ancestor when absent."""
        full = self.prefix + tuple(path)
        while True:
            pos = self.positions.get(full)
            if pos is not None:
                return pos
            if not full:
                return (1, 1)
            full = full[:-1]

    def location(self, path: PathT) -> str:
        line, col = self.position(path)
        return f"{self.source}:{line}:{col}"


class _Problem(Exception):
    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark, self.message = mark, message


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag[len(_TAG) :] if node.tag.startswith(_TAG) else "str"
    if tag in ("int", "float", "bool", "null"):
        value = _scalars.construct_object(node)
        if isinstance(value, float) and value.is_integer() and tag == "int":
            return int(value)
        return value
    return str(node.value)  # str, timestamp, binary, custom tags: keep the text as JSON would


def _build(node: yaml.Node, path: PathT, pos: dict[PathT, tuple[int, int]], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise _Problem(node.start_mark, f"nesting deeper than {MAX_DEPTH} levels")
    pos.setdefault(path, _pos(node.start_mark))
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), pos, depth + 1) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.MappingNode)
    out: dict[str, Any] = {}
    seen: dict[str, yaml.Node] = {}
    merged: list[yaml.Node] = []
    for key_node, value_node in node.value:
        if key_node.tag == _TAG + "merge":
            merged.append(value_node)
            continue
        if not isinstance(key_node, yaml.ScalarNode):
            raise _Problem(key_node.start_mark, "a mapping key must be a string")
        key = str(key_node.value)
        if key in seen:
            line = seen[key].start_mark.line + 1
            raise _Problem(key_node.start_mark, f'mapping key "{key}" already defined at line {line}')
        seen[key] = key_node
        child: PathT = (*path, key)
        pos[child] = _pos(key_node.start_mark)
        out[key] = _build(value_node, child, pos, depth + 1)
    for m in merged:  # YAML merge keys (<<): explicit keys win
        sources = m.value if isinstance(m, yaml.SequenceNode) else [m]
        for src in sources:
            value = _build(src, path, {}, depth + 1)
            if not isinstance(value, dict):
                raise _Problem(src.start_mark, "a merge key (<<) must name a mapping")
            for k, v in value.items():
                out.setdefault(k, v)
    return out


def _yaml_error(source: str, exc: yaml.YAMLError) -> FieldError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    detail = f"{problem} ({context})" if context else str(problem)
    loc = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else f"{source}:1:1"
    return FieldError(path="", reason="Invalid YAML", detail=detail, location=loc)


def parse(text: str, source: str) -> tuple[list[Document], list[FieldError]]:
    """All documents of one file's text (``kind: List`` flattened), and its problems."""
    docs: list[Document] = []
    errors: list[FieldError] = []
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        errors.append(
            FieldError(
                path="",
                reason="Too long",
                location=f"{source}:1:1",
                detail=f"file is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MiB limit",
            )
        )
        return docs, errors
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:
                continue
            positions: dict[PathT, tuple[int, int]] = {}
            try:
                check_aliases(node)
                value = _build(node, (), positions, 0)
            except AliasBomb as exc:
                line, col = _pos(node.start_mark)
                errors.append(
                    FieldError(
                        path="", reason="Invalid YAML", detail=str(exc), location=f"{source}:{line}:{col}"
                    )
                )
                continue
            except _Problem as p:
                line, col = _pos(p.mark)
                errors.append(
                    FieldError(
                        path="", reason="Invalid YAML", detail=p.message, location=f"{source}:{line}:{col}"
                    )
                )
                continue
            except (yaml.YAMLError, ValueError, TypeError) as exc:
                line, col = _pos(node.start_mark)
                errors.append(
                    FieldError(
                        path="", reason="Invalid YAML", detail=str(exc), location=f"{source}:{line}:{col}"
                    )
                )
                continue
            if value is None:
                continue
            if not isinstance(value, dict):
                line, col = _pos(node.start_mark)
                errors.append(
                    FieldError(
                        path="",
                        reason="Invalid value",
                        location=f"{source}:{line}:{col}",
                        detail="a document must be a mapping (one Kubernetes object)",
                    )
                )
                continue
            docs.extend(_flatten(value, source, positions))
    except yaml.YAMLError as exc:
        errors.append(_yaml_error(source, exc))
    except RecursionError:
        errors.append(
            FieldError(
                path="", reason="Invalid YAML", location=f"{source}:1:1", detail="document nested too deeply"
            )
        )
    return docs, errors


def _flatten(value: Obj, source: str, positions: dict[PathT, tuple[int, int]]) -> Iterator[Document]:
    if value.get("kind") == "List" and isinstance(value.get("items"), list):
        for i, item in enumerate(value["items"]):
            if isinstance(item, dict):
                yield Document(obj=item, source=source, positions=positions, prefix=("items", i))
        return
    yield Document(obj=value, source=source, positions=positions)


def _files(target: Path, recursive: bool) -> list[Path]:
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in target.glob(pattern) if p.is_file() and p.suffix in SUFFIXES)


def _read(path: Path) -> str:
    with path.open("rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    return data.decode("utf-8", errors="replace")


def load(sources: list[str], *, recursive: bool = False, stdin: TextIO | None = None) -> list[Document]:
    """Every document of every source (``-`` = stdin; a directory = its manifests).

    Raises :class:`ManifestError` with every YAML problem of every file.
    """
    docs: list[Document] = []
    errors: list[FieldError] = []
    for src in sources:
        if src == "-":
            stream = stdin if stdin is not None else sys.stdin
            found, errs = parse(stream.read(MAX_FILE_BYTES + 1), "<stdin>")
            docs += found
            errors += errs
            continue
        target = Path(src)
        if target.is_dir():
            paths = _files(target, recursive)
        elif target.exists():
            paths = [target]
        else:
            errors.append(
                FieldError(
                    path="", reason="Not found", location=src, detail=f'the path "{src}" does not exist'
                )
            )
            continue
        for p in paths:
            try:
                text = _read(p)
            except OSError as exc:
                errors.append(
                    FieldError(path="", reason="Not found", location=str(p), detail=exc.strerror or str(exc))
                )
                continue
            found, errs = parse(text, os.fspath(p))
            docs += found
            errors += errs
    if errors:
        raise ManifestError(errors)
    return docs
