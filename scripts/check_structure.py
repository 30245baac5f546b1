"""The structure rules import-linter's contracts do not state (run by ``tox -e lint``).

- No import circle anywhere in ``minik``, imports under ``TYPE_CHECKING`` and
  inside functions included (the contracts ignore annotation-only imports).
- No module over 500 lines.

Exit status 1 with what breaks them; 0 and one line when nothing does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 500


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c.startswith("minik")), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def long_modules() -> list[tuple[str, int]]:
    out = []
    for path in sorted((ROOT / "minik").rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            out.append((str(path.relative_to(ROOT)), lines))
    return out


def main() -> int:
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph("minik", exclude_type_checking_imports=False)
    problems = [f"import circle: {' -> '.join(group)}" for group in circles(graph)]
    problems += [f"{path}: {lines} lines (at most {MAX_LINES})" for path, lines in long_modules()]
    for problem in problems:
        print(problem)
    if not problems:
        print(f"structure: no import circle in {len(graph.modules)} modules, none over {MAX_LINES} lines")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
