"""minik's benchmarks: `python -m benchmarks` (or `tox -e bench`)."""
