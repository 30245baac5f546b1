"""Time validate_documents over 1,000 copies of the tutorial Job (target: < 1 s)."""

from __future__ import annotations

import time
from pathlib import Path

from minik import manifest

text = (Path(__file__).resolve().parents[1] / "examples" / "indexed-job.yaml").read_text()
docs, _ = manifest.parse("---\n".join([text] * 1000), "many.yaml")
start = time.perf_counter()
manifest.validate_documents(docs)
print(f"validate 1000 documents: {time.perf_counter() - start:.3f} s")
