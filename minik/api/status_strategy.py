"""Moved to :mod:`minik.registry.status` (each strategy's ``prepare_status_update``); kept one step for old imports."""

from minik.registry.status import KEEP_STORED_OWNERS, metadata_errors, prepare_status_update

__all__ = ["KEEP_STORED_OWNERS", "metadata_errors", "prepare_status_update"]
