"""Shared pytest setup: the per-test timeout lives in tox.ini/pytest config."""
