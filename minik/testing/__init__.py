"""minik in test suites: a private instance as a pytest fixture (:mod:`minik.testing.plugin`).

:class:`~minik.testing.instance.Minik` is the handle a test gets; it talks
to the API the way the CLI does (it runs the CLI's commands in-process) and
never imports the server side.
"""

from minik.testing.instance import CommandFailed, Minik, Session

__all__ = ["CommandFailed", "Minik", "Session"]
