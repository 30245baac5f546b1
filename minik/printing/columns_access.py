"""kubectl's ``get`` columns of ServiceAccounts, the RBAC kinds and PodDisruptionBudgets, pure.

Mirrors ``printServiceAccount``, ``printRole``/``printClusterRole``,
``printRoleBinding``/``printClusterRoleBinding`` and
``printPodDisruptionBudget`` of kubernetes' ``pkg/printers/internalversion``. :mod:`minik.printing` adds
:data:`ACCESS_COLUMNS` to :data:`minik.printing.columns.COLUMNS`.
"""

from __future__ import annotations

from datetime import datetime

from minik.k8s import Obj, meta
from minik.printing.columns import AGE, NAME, Cells, Column
from minik.printing.durations import since


def _service_account_cells(sa: Obj, now: datetime) -> list[str]:
    secrets = sa.get("secrets") or []
    return [meta(sa).get("name", ""), str(len(secrets)), since(meta(sa).get("creationTimestamp"), now)]


def _role_cells(role: Obj, now: datetime) -> list[str]:
    return [meta(role).get("name", ""), str(meta(role).get("creationTimestamp") or "")]


def _binding_cells(binding: Obj, now: datetime) -> list[str]:
    ref = binding.get("roleRef") or {}
    users, groups, accounts = [], [], []
    for s in binding.get("subjects") or []:
        kind, name = s.get("kind"), str(s.get("name") or "")
        if kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
        elif kind == "ServiceAccount":
            accounts.append(f"{s.get('namespace') or ''}/{name}")
    return [
        meta(binding).get("name", ""),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        since(meta(binding).get("creationTimestamp"), now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(accounts),
    ]


def _pdb_cells(pdb: Obj, now: datetime) -> list[str]:
    spec, status = pdb.get("spec") or {}, pdb.get("status") or {}
    least, most = spec.get("minAvailable"), spec.get("maxUnavailable")
    return [
        meta(pdb).get("name", ""),
        "N/A" if least is None else str(least),
        "N/A" if most is None else str(most),
        str(int(status.get("disruptionsAllowed") or 0)),
        since(meta(pdb).get("creationTimestamp"), now),
    ]


_CREATED_AT = Column("Created At", "Time at which the object was created.", format="date")
_BINDING = (
    NAME,
    Column("Role", "The role this binding grants."),
    AGE,
    Column("Users", "The users this binding names.", 1),
    Column("Groups", "The groups this binding names.", 1),
    Column("ServiceAccounts", "The service accounts this binding names.", 1),
)

ACCESS_COLUMNS: dict[str, tuple[tuple[Column, ...], Cells]] = {
    "serviceaccounts": (
        (NAME, Column("Secrets", "Number of secrets of the service account.", type="integer"), AGE),
        _service_account_cells,
    ),
    "roles": ((NAME, _CREATED_AT), _role_cells),
    "clusterroles": ((NAME, _CREATED_AT), _role_cells),
    "rolebindings": (_BINDING, _binding_cells),
    "clusterrolebindings": (_BINDING, _binding_cells),
    "poddisruptionbudgets": (
        (
            NAME,
            Column("Min Available", "The minimum number of pods that must be available."),
            Column("Max Unavailable", "The maximum number of pods that may be unavailable."),
            Column(
                "Allowed Disruptions",
                "Calculated number of pods that may be disrupted at this time.",
                type="integer",
            ),
            AGE,
        ),
        _pdb_cells,
    ),
}
