"""minik.server."""
