"""Generate ``minik/api/protobuf_types.py``: the protobuf field tables of every kind minik serves.

Run at development time, never at run time:

    python scripts/protogen.py /path/to/kubernetes/api /path/to/kubernetes/apimachinery [REF]

Both paths are git checkouts (or bare mirrors); ``REF`` (default
``v0.32.13``, the Kubernetes 1.32 libraries kubectl 1.32 is built with) is
read with ``git show``. The tables come from the Go struct tags of the API
types (``types.go``): each field's ``protobuf:"<wire>,<number>,…"`` tag gives
its number, its ``json:"<name>"`` tag its JSON name, its Go type whether it
is a pointer (zero values kept), a list, a map or another message. Every
type reachable from the roots below is written; a Go type this script does
not know is an error, so nothing is silently left out.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGES = {
    # package key → (repository index: 0 api, 1 apimachinery; files)
    "core": (0, ("core/v1/types.go",)),
    "batch": (0, ("batch/v1/types.go",)),
    "policy": (0, ("policy/v1/types.go",)),
    "rbac": (0, ("rbac/v1/types.go",)),
    "storage": (0, ("storage/v1/types.go",)),
    "discovery": (0, ("discovery/v1/types.go",)),
    "meta": (1, ("pkg/apis/meta/v1/types.go",)),
}
IMPORTS = {
    "k8s.io/api/core/v1": "core",
    "k8s.io/apimachinery/pkg/apis/meta/v1": "meta",
}
ROOTS = [
    ("core", "Pod"), ("core", "Service"), ("core", "ConfigMap"), ("core", "Secret"), ("core", "Event"),
    ("core", "Namespace"), ("core", "Node"), ("core", "ServiceAccount"), ("core", "PersistentVolumeClaim"),
    ("core", "PersistentVolume"), ("batch", "Job"), ("batch", "CronJob"), ("rbac", "Role"),
    ("rbac", "ClusterRole"), ("rbac", "RoleBinding"), ("rbac", "ClusterRoleBinding"),
    ("storage", "StorageClass"), ("policy", "PodDisruptionBudget"), ("policy", "Eviction"),
    ("meta", "DeleteOptions"), ("core", "Endpoints"), ("discovery", "EndpointSlice"),
]  # fmt: skip
SPECIAL = {
    "meta.Time": "t",
    "meta.MicroTime": "mt",
    "meta.Duration": "dur",
    "meta.FieldsV1": "raw",
    "runtime.RawExtension": "raw",
    "resource.Quantity": "q",
    "intstr.IntOrString": "ios",
    "types.UID": "s",
}
SCALARS = {"string": "s", "bool": "b", "int32": "i", "int64": "i", "int": "i", "float64": "f"}

STRUCT = re.compile(r"^type (\w+) struct \{\n(.*?)^\}", re.M | re.S)
ALIAS = re.compile(r"^type (\w+) (\S.*)$", re.M)
FIELD = re.compile(r"^\s*(?:(\w+)\s+)?(\S+)\s+`([^`]*)`", re.M)
TAG = re.compile(r'(\w+):"([^"]*)"')
IMPORT = re.compile(r'^\s*(?:(\w+)\s+)?"([^"]+)"\s*$', re.M)


@dataclass
class Field:
    name: str | None
    go_type: str
    json: str
    number: int


@dataclass
class Package:
    structs: dict[str, list[Field]]
    aliases: dict[str, str]
    imports: dict[str, str]


def _read(repo: Path, ref: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "show", f"{ref}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def parse(text: str) -> Package:
    text = _strip_comments(text)
    structs: dict[str, list[Field]] = {}
    for m in STRUCT.finditer(text):
        fields = []
        for f in FIELD.finditer(m.group(2)):
            tags = dict(TAG.findall(f.group(3)))
            if "protobuf" not in tags:
                continue
            number = int(tags["protobuf"].split(",")[1])
            json_name = tags.get("json", "").split(",")[0]
            fields.append(Field(f.group(1), f.group(2), json_name, number))
        structs[m.group(1)] = fields
    aliases = {
        m.group(1): m.group(2).strip() for m in ALIAS.finditer(text) if not m.group(2).startswith("struct")
    }
    imports: dict[str, str] = {}
    block = re.search(r"^import \((.*?)^\)", text, re.M | re.S)
    for m in IMPORT.finditer(block.group(1) if block else ""):
        path = m.group(2)
        imports[m.group(1) or path.rsplit("/", 1)[-1]] = IMPORTS.get(path, path.rsplit("/", 1)[-1])
    return Package(structs, aliases, imports)


class Generator:
    def __init__(self, packages: dict[str, Package]) -> None:
        self.packages = packages
        self.names: dict[tuple[str, str], str] = {}
        self.messages: dict[str, dict[int, tuple[str, str]]] = {}
        self.todo: list[tuple[str, str]] = []

    def message_name(self, pkg: str, name: str) -> str:
        key = (pkg, name)
        if key not in self.names:
            taken = set(self.names.values())
            self.names[key] = name if name not in taken else f"{pkg}.{name}"
            self.todo.append(key)
        return self.names[key]

    def kind(self, pkg: str, go_type: str) -> str:
        """The decoder's notation for a Go type (see minik/api/protobuf.py)."""
        if go_type.startswith("*"):
            return self.kind(pkg, go_type[1:]) + "*"
        if go_type == "[]byte":
            return "y"
        if go_type.startswith("[]"):
            return "[]" + self.kind(pkg, go_type[2:])
        if go_type.startswith("map["):
            value = go_type[go_type.index("]") + 1 :]
            inner = self.kind(pkg, value)
            table = {"s": "map", "y": "mapy", "q": "mapq", "t": "mapt"}
            if inner not in table:
                raise SystemExit(f"unsupported map value {value} in {pkg}")
            return table[inner]
        if go_type in SCALARS:
            return SCALARS[go_type]
        owner, _, local = go_type.rpartition(".")
        owner_pkg = self.packages[pkg].imports.get(owner, owner) if owner else pkg
        qualified = f"{owner_pkg}.{local}"
        if qualified in SPECIAL:
            return SPECIAL[qualified]
        known = self.packages.get(owner_pkg)
        if known is None:
            raise SystemExit(f"unknown Go type {go_type} ({qualified}) in {pkg}")
        if local in known.structs:
            return "m:" + self.message_name(owner_pkg, local)
        if local in known.aliases:
            return self.kind(owner_pkg, known.aliases[local])
        raise SystemExit(f"unknown Go type {go_type} in {owner_pkg}")

    def run(self) -> dict[str, dict[int, tuple[str, str]]]:
        for pkg, name in ROOTS:
            self.message_name(pkg, name)
        while self.todo:
            pkg, name = self.todo.pop(0)
            table: dict[int, tuple[str, str]] = {}
            for f in self.packages[pkg].structs[name]:
                k = self.kind(pkg, f.go_type)
                if f.json == "":  # json ",inline": its fields are the parent's in JSON
                    k = "inline:" + k.removeprefix("m:").rstrip("*")
                table[f.number] = (f.json, k)
            self.messages[self.names[(pkg, name)]] = table
        return self.messages


def render(messages: dict[str, dict[int, tuple[str, str]]], ref: str) -> str:
    lines = [
        f'"""Protobuf field tables of the kinds minik serves, from the Go types of k8s.io/api {ref}.',
        "",
        "Generated by scripts/protogen.py; do not edit. Message → field number → (JSON name,",
        "kind in minik.api.protobuf's notation).",
        '"""',
        "",
        "# fmt: off",
        "MESSAGES: dict[str, dict[int, tuple[str, str]]] = {",
    ]
    for name in sorted(messages):
        fields = ", ".join(f"{n}: ({j!r}, {k!r})" for n, (j, k) in sorted(messages[name].items()))
        lines.append(f"    {name!r}: {{{fields}}},")
    lines += ["}", "# fmt: on", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    repos = [Path(argv[1]), Path(argv[2])]
    ref = argv[3] if len(argv) > 3 else "v0.32.13"
    packages = {}
    for key, (repo, files) in PACKAGES.items():
        texts = [_read(repos[repo], ref, f) for f in files]
        parsed = [parse(t) for t in texts]
        packages[key] = Package(
            {k: v for p in parsed for k, v in p.structs.items()},
            {k: v for p in parsed for k, v in p.aliases.items()},
            {k: v for p in parsed for k, v in p.imports.items()},
        )
    out = Path(__file__).resolve().parent.parent / "minik" / "api" / "protobuf_types.py"
    out.write_text(render(Generator(packages).run(), ref))
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv)
