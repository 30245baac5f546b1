"""Probes: the prober's pure rules (:mod:`~.rules`), the actions probes and lifecycle hooks
take (:mod:`~.actions`) and one container run's probe workers (:mod:`~.loop`).
"""
