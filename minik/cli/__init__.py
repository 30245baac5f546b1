"""The ``minik`` command: a thin, kubectl-shaped client of the control plane's API."""
