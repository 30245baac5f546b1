"""The ``minik timeline --html`` page in a real browser (issue 34): headless Chromium.

The page of a simulated 20-index run with retries is opened by Debian's
``chromium`` (``scripts/ensure-chromium.sh``), run as a plain subprocess —
``--dump-dom`` and ``--screenshot`` are all this needs, so no browser
driver library. The page has no script of its own; the test's copy gets a
probe that measures what the browser laid out (each row's box, the failed
bars' computed fill) and writes it into the DOM that ``--dump-dom`` returns.
The screenshot is kept in ``$MINIK_ARTIFACTS`` (CI: ``.ci/artifacts/``).

Without a browser the tests skip, unless ``MINIK_REQUIRE_BROWSER=1`` (tox -e browser).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from datetime import timedelta
from pathlib import Path

import pytest

from minik.printing.timeline import build_timeline
from minik.printing.timeline.svg import render_html

from ..unit.printing.runs import T0, simulated_run

ROOT = Path(__file__).resolve().parents[2]
FAILING = {3: 1, 11: 2}

PROBE = """<script>
addEventListener('load', () => {
  const rows = [...document.querySelectorAll('svg.chart g.row')].map(g => {
    const b = g.getBBox();
    return {label: g.dataset.row, y: b.y, height: b.height, width: b.width};
  });
  const failed = [...document.querySelectorAll('g.pod.failed rect.run')].map(
    r => getComputedStyle(r).fill);
  const marks = document.querySelectorAll('g.pod.failed text.mark').length;
  const bars = [...document.querySelectorAll('g.pod rect.run, g.pod rect.init')];
  const untitled = bars.filter(r => !r.querySelector('title')).length;
  const tip = bars.length ? bars[0].querySelector('title').textContent : '';
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({rows, failed, marks, bars: bars.length, untitled, tip});
  document.body.appendChild(out);
});
</script>"""


def _chromium() -> str:
    exe = os.environ.get("MINIK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        if os.environ.get("MINIK_REQUIRE_BROWSER") == "1":
            pytest.fail("no chromium: run scripts/ensure-chromium.sh (or set MINIK_CHROMIUM)")
        pytest.skip("no chromium (scripts/ensure-chromium.sh installs Debian's)")
    return exe


def _browse(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    return subprocess.run(
        [_chromium(), *flags, *args], capture_output=True, text=True, timeout=90, check=True, cwd=tmp_path
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    job, pods = simulated_run(20, 4, failures=FAILING, backoff=5)
    tl = build_timeline(job, pods, T0 + timedelta(hours=1))
    path = tmp_path_factory.mktemp("page") / "timeline.html"
    path.write_text(render_html(tl), encoding="utf-8")
    return path


def test_the_page_renders_one_row_per_index_and_failed_bars_are_patterned(page: Path, tmp_path: Path) -> None:
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text().replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = _browse(tmp_path, "--virtual-time-budget=5000", "--dump-dom", probed.as_uri()).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    probe = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    rows = probe["rows"]
    assert [r["label"] for r in rows] == [str(i) for i in range(20)]
    assert all(r["height"] > 0 and r["width"] > 0 for r in rows)
    assert all(a["y"] < b["y"] for a, b in itertools.pairwise(rows))
    # Failed bars are filled with the hatch pattern, not a flat colour, and carry a cross.
    assert len(probe["failed"]) == sum(FAILING.values())
    assert all(fill.startswith("url(") and "#hatch" in fill for fill in probe["failed"])
    assert probe["marks"] == sum(FAILING.values())
    # Every bar carries the title the browser shows on hover.
    assert probe["bars"] == 2 * (20 + sum(FAILING.values())) and probe["untitled"] == 0
    assert probe["tip"].splitlines()[:3] == ["pod work-0-0", "index 0", "init container setup"]


def test_the_page_loads_nothing_from_the_network(page: Path) -> None:
    text = page.read_text()
    assert "<script" not in text
    assert not re.search(r"""(src|href|url)\(?=?['"]?https?:""", text)


def test_a_screenshot_of_the_page_is_kept(page: Path, tmp_path: Path) -> None:
    artifacts = Path(os.environ.get("MINIK_ARTIFACTS") or tmp_path / "artifacts")
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "timeline.png"
    shot.unlink(missing_ok=True)
    _browse(tmp_path, "--window-size=1200,700", f"--screenshot={shot}", page.as_uri())
    width, height, pixels = _png(shot.read_bytes())
    assert (width, height) == (1200, 700)
    # Not a blank page: the chart's colours are there (many distinct byte values).
    assert len(set(pixels)) > 50


def _png(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, the decompressed image data) of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)
