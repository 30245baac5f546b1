"""``python -m minik.manifest.schemagen``: write the schemas."""

from minik.manifest.schemagen import main

main()
