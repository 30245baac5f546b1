"""Authentication and authorization rules, as the API server has them (pure).

Owns who a request is (:mod:`~minik.auth.user`), service-account tokens
(:mod:`~minik.auth.tokens`: signing, claims, validation against the objects
they are bound to), what a request asks (:mod:`~minik.auth.requestinfo`, the
API server's RequestInfoResolver), whether RBAC allows it
(:mod:`~minik.auth.rbac`) and the default cluster roles
(:mod:`~minik.auth.bootstrap`). It reads objects only through the small
getter interfaces it declares; the API layer (:mod:`minik.api.auth`) wires
it to the store. No I/O here except reading and writing the signing key.
"""
