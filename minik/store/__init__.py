"""minik.store."""
