"""An emulation of Go's ``text/tabwriter`` (space padding, left alignment).

kubectl lays out ``get`` tables and ``describe`` pages with it, and minik must
produce the same bytes. Pure functions only: :func:`format_text` formats text
whose cells are tab-terminated, exactly as ``tabwriter.Writer`` does between two
flushes. :class:`TableWidths` is the ``RememberWidths`` variant used to keep a
``get -w`` stream aligned with the table printed before it.
"""

from __future__ import annotations

from collections.abc import Sequence


def _split(text: str) -> list[list[str]]:
    """Lines of cells; the last cell of a line is the text after the last tab."""
    lines = text.split("\n")
    return [line.split("\t") for line in lines]


def format_text(text: str, *, minwidth: int = 0, padding: int = 2) -> str:
    """Format ``text`` as Go's tabwriter (``padchar=' '``, no flags) would.

    A column block is a run of consecutive lines that all have a tab-terminated
    cell in that column; its width is the longest cell + ``padding`` (at least
    ``minwidth``). A line with fewer cells ends the block.
    """
    lines = _split(text)
    out: list[str] = []
    widths: list[int] = []

    def write_lines(line0: int, line1: int) -> None:
        for i in range(line0, line1):
            cells = lines[i]
            parts: list[str] = []
            for j, cell in enumerate(cells):
                if j < len(widths):
                    parts.append(cell + " " * (widths[j] - len(cell)))
                else:
                    parts.append(cell)
            out.append("".join(parts))

    def fmt(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            widths.append(width)
            fmt(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    fmt(0, len(lines))
    return "\n".join(out)


def table(rows: Sequence[Sequence[str]]) -> str:
    """kubectl's ``get`` layout (R10.1): minwidth 6, padding 3; one line per row."""
    text = "".join("\t".join(r) + "\n" for r in rows)
    return format_text(text, minwidth=6, padding=3)


class TableWidths:
    """Column widths that only grow (cli-runtime's ``RememberWidths``), for ``get -w``."""

    def __init__(self, *, minwidth: int = 6, padding: int = 3) -> None:
        self.widths: list[int] = []
        self.minwidth = minwidth
        self.padding = padding

    def render(self, rows: Sequence[Sequence[str]]) -> str:
        for row in rows:
            for j, cell in enumerate(row[:-1]):
                w = max(self.minwidth, len(cell) + self.padding)
                if j < len(self.widths):
                    self.widths[j] = max(self.widths[j], w)
                else:
                    self.widths.append(w)
        lines = []
        for row in rows:
            parts = [cell.ljust(self.widths[j]) for j, cell in enumerate(row[:-1])]
            parts.append(row[-1] if row else "")
            lines.append("".join(parts))
        return "".join(line + "\n" for line in lines)


class PrefixWriter:
    """kubectl's describe ``PrefixWriter``: ``write(level, text)`` with 2-space levels.

    ``flush()`` ends a tabwriter section (kubectl flushes before the Events
    table, so it aligns on its own); :meth:`getvalue` returns the laid-out text.
    """

    def __init__(self) -> None:
        self._done: list[str] = []
        self._buf: list[str] = []

    def write(self, level: int, text: str) -> None:
        self._buf.append("  " * level + text)

    def line(self, text: str) -> None:
        self._buf.append(text + "\n")

    def flush(self) -> None:
        if self._buf:
            self._done.append(format_text("".join(self._buf), minwidth=0, padding=2))
            self._buf = []

    def getvalue(self) -> str:
        self.flush()
        return "".join(self._done)
