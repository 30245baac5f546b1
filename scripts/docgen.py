"""Generate ``minik/api/openapi_docs.json``: the field descriptions ``kubectl explain`` prints.

Run at development time, never at run time:

    python scripts/docgen.py /path/to/kubernetes/api /path/to/kubernetes/apimachinery [REF]

The descriptions are upstream's own (``types_swagger_doc_generated.go`` of each
API package at ``REF``, default ``v0.32.13``, the Kubernetes 1.32 libraries);
the Go types (``types.go``, read as :mod:`protogen` reads them) say which type
each field holds, so :mod:`minik.api.openapi` can walk minik's schemas and the
Go types side by side. Only the types reachable from the kinds minik serves
are written: ``{Type: {"": description, "fields": {json: [description, Type or null]}}}``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import protogen

DOC_FILES = {
    "core": (0, "core/v1/types_swagger_doc_generated.go"),
    "batch": (0, "batch/v1/types_swagger_doc_generated.go"),
    "policy": (0, "policy/v1/types_swagger_doc_generated.go"),
    "rbac": (0, "rbac/v1/types_swagger_doc_generated.go"),
    "storage": (0, "storage/v1/types_swagger_doc_generated.go"),
    "meta": (1, "pkg/apis/meta/v1/types_swagger_doc_generated.go"),
}
MAP = re.compile(r"^var map_(\w+) = map\[string\]string\{\n(.*?)^\}", re.M | re.S)
ENTRY = re.compile(r'^\s*"([^"]*)":\s*("(?:[^"\\]|\\.)*"),\s*$', re.M)


def docs(text: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for m in MAP.finditer(text):
        out[m.group(1)] = {k: json.loads(v) for k, v in ENTRY.findall(m.group(2))}
    return out


def element(go_type: str) -> str:
    """The Go type a field holds once pointers, slices and map values are looked through."""
    while True:
        if go_type.startswith("*"):
            go_type = go_type[1:]
        elif go_type.startswith("[]"):
            go_type = go_type[2:]
        elif go_type.startswith("map["):
            go_type = go_type[go_type.index("]") + 1 :]
        else:
            return go_type


def main(argv: list[str]) -> None:
    repos = [Path(argv[1]), Path(argv[2])]
    ref = argv[3] if len(argv) > 3 else "v0.32.13"
    packages = {}
    for key, (repo, files) in protogen.PACKAGES.items():
        parsed = [protogen.parse(protogen._read(repos[repo], ref, f)) for f in files]
        packages[key] = protogen.Package(
            {k: v for p in parsed for k, v in p.structs.items()},
            {k: v for p in parsed for k, v in p.aliases.items()},
            {k: v for p in parsed for k, v in p.imports.items()},
        )
    texts = {key: docs(protogen._read(repos[repo], ref, path)) for key, (repo, path) in DOC_FILES.items()}
    gen = protogen.Generator(packages)
    gen.run()  # names every reachable struct as the protobuf tables do

    def struct_of(pkg: str, go_type: str) -> tuple[str, str] | None:
        owner, _, local = element(go_type).rpartition(".")
        owner_pkg = packages[pkg].imports.get(owner, owner) if owner else pkg
        if owner_pkg in packages and local in packages[owner_pkg].structs:
            return owner_pkg, local
        return None

    out: dict[str, dict[str, object]] = {}
    for (pkg, name), qualified in sorted(gen.names.items(), key=lambda kv: kv[1]):
        own = texts[pkg].get(name, {})
        fields: dict[str, list[object]] = {}

        def add(pkg: str, name: str, fields: dict[str, list[object]]) -> None:
            for f in packages[pkg].structs[name]:
                target = struct_of(pkg, f.go_type)
                if f.json == "":  # embedded inline: its fields are this type's
                    if target is not None:
                        add(*target, fields)
                    continue
                doc = texts[pkg].get(name, {}).get(f.json, "")
                fields[f.json] = [doc, gen.names.get(target) if target else None]

        add(pkg, name, fields)
        if (pkg, name) in protogen.ROOTS:  # TypeMeta is embedded without a protobuf tag
            type_meta = texts["meta"]["TypeMeta"]
            fields = {
                "apiVersion": [type_meta["apiVersion"], None],
                "kind": [type_meta["kind"], None],
                **fields,
            }
        out[qualified] = {"": own.get("", ""), "fields": fields}
    path = Path(__file__).resolve().parent.parent / "minik" / "api" / "openapi_docs.json"
    path.write_text(json.dumps({"ref": ref, "types": out}, indent=None, sort_keys=True) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv)
