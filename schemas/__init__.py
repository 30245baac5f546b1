"""minik's JSON Schemas (installed as the ``minik.schemas`` package data)."""
