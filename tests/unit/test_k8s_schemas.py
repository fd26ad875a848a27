"""deploy/k8s/ against the newest Kubernetes schemas (make validate-k8s): kubernetes-validate 1.37
runs in its own .venv-k8s (it needs a jsonschema Rasa 3.6 refuses); test_deploy_manifests.py keeps
checking 1.28 in-process. The script creates the venv on first use (~40 s), then reuses it."""
from __future__ import annotations

import subprocess

from tests.conftest import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "validate_k8s.sh"


def validate(*files) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *map(str, files)], capture_output=True, text=True, timeout=600)


def test_every_manifest_is_valid_at_the_newest_kubernetes_the_validator_holds():
    result = validate()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid   deployments.yaml:Deployment/consignment-actions" in result.stdout
    assert " 0 invalid, against Kubernetes 1.37" in result.stdout


def test_an_unknown_field_or_kind_fails_the_validation(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}], sessionAfinity: ClientIP}\n"
        "---\napiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: d}\n",
        encoding="utf-8",
    )
    result = validate(broken)
    assert result.returncode == 1
    assert "INVALID broken.yaml:Service/s" in result.stdout
    assert "INVALID broken.yaml:Deploymnet/d" in result.stdout
