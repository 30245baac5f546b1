"""minik.controllers.job."""
