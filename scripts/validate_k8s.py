"""Validates Kubernetes manifests with kubernetes-validate at the newest version it holds, strictly
(an unknown field is an error). Run by scripts/validate_k8s.sh in .venv-k8s; imports nothing of the
project. kustomize's own file is not a Kubernetes object and is left out; any other kind whose
schema is missing fails (a mistyped kind or apiVersion must not pass as a warning).

    scripts/validate_k8s.sh [FILE…]     (default: every *.yaml / *.yml under deploy/k8s/)
"""
from __future__ import annotations

import sys
from pathlib import Path

import kubernetes_validate
import yaml

K8S_DIR = Path(__file__).resolve().parent.parent / "deploy" / "k8s"


def main(arguments: list) -> int:
    version = kubernetes_validate.latest_version()
    files = [Path(a) for a in arguments] or sorted(p for p in K8S_DIR.rglob("*") if p.suffix in (".yaml", ".yml"))
    failures = checked = 0
    for path in files:
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not document or str(document.get("apiVersion", "")).startswith("kustomize.config.k8s.io"):
                continue
            name = f"{path.name}:{document.get('kind')}/{(document.get('metadata') or {}).get('name')}"
            checked += 1
            try:
                kubernetes_validate.validate(document, version, strict=True)
                print(f"valid   {name}")
            except kubernetes_validate.ValidationError as error:
                failures += 1
                where = "/".join(str(part) for part in error.path) or "(top level)"
                print(f"INVALID {name}: {error.message} at {where}")
            except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.InvalidSchemaError) as error:
                failures += 1
                print(f"INVALID {name}: {error}")
    print(f"{checked - failures} valid, {failures} invalid, against Kubernetes {version} (kubernetes-validate {kubernetes_validate.version.__version__})")
    return 1 if failures or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
