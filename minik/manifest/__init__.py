"""minik.manifest."""
