"""Field management: who owns which field of an object (``metadata.managedFields``).

The field sets of server-side apply (:mod:`~minik.managedfields.fieldset`),
the ownership rules of an apply and of every other write
(:mod:`~minik.managedfields.managed`), and client-side apply's
last-applied annotation kept in step (:mod:`~minik.managedfields.lastapplied`).
Pure; below the registry, which stamps every client write, and the API, whose
apply PATCH merges with them (upstream's ``k8s.io/apimachinery/pkg/util/managedfields``).
"""
