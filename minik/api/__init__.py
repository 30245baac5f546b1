"""minik.api."""
