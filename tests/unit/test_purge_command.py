"""`make purge` and the CronJob find the stores the servers use (scripts/purge.py)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = PROJECT_ROOT / "deploy" / "k8s"


def purge_script():
    spec = importlib.util.spec_from_file_location("purge_script", PROJECT_ROOT / "scripts" / "purge.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cronjob_reads_the_clusters_tracker_store_from_the_rasa_endpoints(tmp_path, monkeypatch):
    (endpoints_map,) = [d for d in yaml.safe_load_all((K8S_DIR / "configmap.yaml").read_text(encoding="utf-8"))
                        if d and d["metadata"]["name"] == "consignment-rasa-endpoints"]
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(endpoints_map["data"]["endpoints.yml"], encoding="utf-8")
    for name, value in {"TRACKER_DB_HOST": "pg.internal", "TRACKER_DB_PORT": "5432", "TRACKER_DB_NAME": "conversations",
                        "TRACKER_DB_USER": "rasa", "TRACKER_DB_PASSWORD": "pw", "TRACKER_DB_SSLMODE": "require",
                        "REDIS_HOST": "redis", "REDIS_PORT": "6379", "REDIS_PASSWORD": ""}.items():
        monkeypatch.setenv(name, value)
    url = purge_script().tracker_db_url(endpoints)
    assert url.startswith("postgresql://rasa:") and "@pg.internal:5432/conversations" in url and "sslmode=require" in url


def test_make_purge_reads_the_embedded_conversations_in_the_var_folder(monkeypatch):
    from consignment import settings

    url = purge_script().tracker_db_url(PROJECT_ROOT / "endpoints.yml")
    assert url == f"sqlite:///{settings.VAR_DIR / 'conversations.db'}"


def test_the_cronjob_runs_the_purge_with_the_rasa_pods_endpoints_one_at_a_time():
    (cronjob,) = [d for d in yaml.safe_load_all((K8S_DIR / "cronjob-purge.yaml").read_text(encoding="utf-8")) if d]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"][1:] == ["scripts/purge.py", "--endpoints", "/etc/consignment/endpoints.yml"]
    assert {v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v} == {"consignment-rasa-endpoints"}
    assert all("secretKeyRef" in variable["valueFrom"] for variable in container["env"])
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text(encoding="utf-8"))
    assert "cronjob-purge.yaml" in kustomization["resources"]
