"""Builds minik's JSON Schemas (``schemas/*.json``) from compact Python tables.

Run ``python -m minik.manifest.schemagen`` after editing; a unit test checks
the committed files equal what this package builds. The schemas list every
field the official ``batch/v1``/``v1`` types have (so an unimplemented field
is reported by layer 2, not as unknown) with strict ``additionalProperties:
false``. Types minik never looks inside (affinity, other volume
sources) are plain objects. This package owns the schema text only: the
primitives and core definitions in :mod:`~.core`, the RBAC and service
account kinds in :mod:`~.access`, the storage kinds in :mod:`~.storage`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from minik.manifest.schemagen.access import build_access
from minik.manifest.schemagen.core import (
    ANY_OBJ,
    CORE_DEFS,
    CRONJOB_DEFS,
    JOB_DEFS,
    SERVICE_DEFS,
    STR_MAP,
    B,
    S,
    ref,
    top,
)
from minik.manifest.schemagen.storage import build_storage

SCHEMAS_DIR = Path(__file__).resolve().parents[3] / "schemas"
"""Where the committed schemas live in a checkout (the repository's ``schemas/``)."""


def build() -> dict[str, dict[str, Any]]:
    """File name → schema."""
    meta = {"ObjectMeta": CORE_DEFS["ObjectMeta"]}
    return {
        **build_access(top, meta),
        **build_storage(top, meta),
        "job.json": top("Job", "batch/v1", {**CORE_DEFS, **JOB_DEFS}, spec=ref("JobSpec"), status=ANY_OBJ),
        "cronjob.json": top(
            "CronJob",
            "batch/v1",
            {**CORE_DEFS, **JOB_DEFS, **CRONJOB_DEFS},
            spec=ref("CronJobSpec"),
            status=ANY_OBJ,
        ),
        "pod.json": top("Pod", "v1", CORE_DEFS, spec=ref("PodSpec"), status=ANY_OBJ),
        "service.json": top(
            "Service", "v1", {**meta, **SERVICE_DEFS}, spec=ref("ServiceSpec"), status=ANY_OBJ
        ),
        "configmap.json": top("ConfigMap", "v1", meta, data=STR_MAP, binaryData=STR_MAP, immutable=B),
        "secret.json": top("Secret", "v1", meta, data=STR_MAP, stringData=STR_MAP, type=S, immutable=B),
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=1, sort_keys=True) + "\n"


def main() -> None:
    for name, schema in build().items():
        (SCHEMAS_DIR / name).write_text(render(schema))
