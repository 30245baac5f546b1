"""minik.controllers."""
