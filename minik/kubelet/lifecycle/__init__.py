"""Lifecycle hooks: their pure rules (:mod:`~.rules`) and their runner (:mod:`~.runner`)."""
