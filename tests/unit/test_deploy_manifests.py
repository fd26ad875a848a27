"""The Kubernetes manifests in deploy/k8s/: valid objects, and the behaviours production relies on.

Every YAML document under deploy/k8s/ (except the kustomization itself) is checked against the
Kubernetes OpenAPI schemas with kubernetes-validate, strictly (unknown fields are errors). The
other tests state what docs/deploy.md and docs/security.md promise: only the public paths reach
Rasa, the action server stays private, secrets come only from the Secret, demo mode is off,
Rasa's HTTP API never runs without a token.
"""
from __future__ import annotations

import re
import shlex
import stat
import subprocess
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlparse

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = PROJECT_ROOT / "deploy" / "k8s"
SECRET_TEMPLATE = "secret.template.yaml"

# kubernetes-validate 1.28.3 is the newest release that works next to Rasa 3.6: later releases
# use `referencing` and need jsonschema >= 4.18, and Rasa 3.6 requires jsonschema < 4.18. Its
# newest schemas are Kubernetes 1.28; every object here uses GA APIs (v1, apps/v1,
# networking.k8s.io/v1, policy/v1) whose fields are the same in 1.30.
KUBERNETES_VERSION = "1.28.0"
KUBERNETES_VALIDATE_PIN = "kubernetes-validate==1.28.3"

PUBLIC_PATHS = {"/webhooks/rest/", "/webhooks/widget/", "/socket.io/", "/webhooks/assist/", "/webhooks/slack/"}
SECRET_ENV = {
    "DRIVER_TOKEN_SECRET", "AGENT_TOKEN_SECRET", "RASA_API_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
    "ADMIN_DB_URL", "ASSIST_DB_URL", "TRACKER_DB_PASSWORD", "REDIS_URL", "REDIS_PASSWORD",
}
RASA_LABELS = {"app.kubernetes.io/name": "consignment-assistant", "app.kubernetes.io/component": "rasa"}
ACTIONS_LABELS = {"app.kubernetes.io/name": "consignment-assistant", "app.kubernetes.io/component": "actions"}


# ── loading ──────────────────────────────────────────────────────────────────

def _manifest_files() -> List[Path]:
    return sorted(p for p in K8S_DIR.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _all_documents() -> List[Tuple[Path, dict]]:
    documents = []
    for path in _manifest_files():
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document:
                documents.append((path, document))
    return documents


def _objects() -> List[Tuple[Path, dict]]:
    """Kubernetes objects: every document but kustomize's own."""
    return [(p, d) for p, d in _all_documents() if not str(d.get("apiVersion", "")).startswith("kustomize.config.k8s.io")]


def _applied() -> List[dict]:
    """The objects `kubectl apply -k deploy/k8s` creates (the kustomization's resources)."""
    listed = {K8S_DIR / name for name in _kustomization()["resources"]}
    return [d for p, d in _objects() if p in listed]


def _kustomization() -> dict:
    return yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text(encoding="utf-8"))


def _of_kind(kind: str, objects: Optional[List[dict]] = None) -> List[dict]:
    return [d for d in (objects if objects is not None else _applied()) if d["kind"] == kind]


def _named(kind: str, name: str) -> dict:
    (found,) = [d for d in _applied() if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def _deployment_for(labels: Dict[str, str]) -> dict:
    (found,) = [d for d in _of_kind("Deployment") if _selects(d["spec"]["selector"]["matchLabels"], labels)]
    return found


def _selects(selector: Dict[str, str], labels: Dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def _containers() -> Iterator[Tuple[dict, dict]]:
    for deployment in _of_kind("Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            yield deployment, container


def _effective_env(container: dict) -> Dict[str, dict]:
    """Name → source ({"value": …} or {"valueFrom": …}) as the kubelet builds it: envFrom first,
    then env (which wins)."""
    config_maps = {d["metadata"]["name"]: d.get("data", {}) for d in _of_kind("ConfigMap")}
    env: Dict[str, dict] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            for key, value in config_maps[source["configMapRef"]["name"]].items():
                env[key] = {"value": value, "from": "configMap"}
    for entry in container.get("env", []):
        env[entry["name"]] = entry
    return env


def _rasa_container() -> dict:
    (container,) = _deployment_for(RASA_LABELS)["spec"]["template"]["spec"]["containers"]
    return container


def _endpoints_yml() -> str:
    return _named("ConfigMap", "consignment-rasa-endpoints")["data"]["endpoints.yml"]


def _doc_id(item: Tuple[Path, dict]) -> str:
    path, document = item
    return f"{path.relative_to(K8S_DIR)}:{document.get('kind')}/{document.get('metadata', {}).get('name')}"


# ── the objects are valid Kubernetes ────────────────────────────────────────

@pytest.fixture(scope="module")
def kubernetes_validate():
    try:
        import kubernetes_validate as module
    except ImportError:
        pytest.fail(
            "the Python package kubernetes-validate is not installed, so the manifests in deploy/k8s/ "
            f"cannot be checked: install it with `.venv/bin/pip install {KUBERNETES_VALIDATE_PIN}` "
            "(it belongs in requirements.txt / constraints.txt)",
            pytrace=False,
        )
    return module


def test_kubernetes_validate_is_installed(kubernetes_validate):
    assert callable(kubernetes_validate.validate)


def test_there_are_manifests_to_validate():
    kinds = {d["kind"] for _, d in _objects()}
    assert {"Namespace", "ConfigMap", "Secret", "Deployment", "Service", "Ingress", "NetworkPolicy",
            "PodDisruptionBudget"} <= kinds


@pytest.mark.parametrize("item", _objects(), ids=_doc_id)
def test_every_manifest_is_a_valid_kubernetes_object(item, kubernetes_validate):
    _, document = item
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        return
    except kubernetes_validate.ValidationError as caught:
        error = caught
    # outside the except block: the report is the message, not the whole schema
    where = "/".join(str(part) for part in error.path) or "(top level)"
    pytest.fail(f"{_doc_id(item)} is not a valid Kubernetes {KUBERNETES_VERSION} object: "
                f"{error.message} at {where}", pytrace=False)


def test_kustomization_applies_every_manifest_except_the_secret_template():
    resources = set(_kustomization()["resources"])
    manifests = {str(p.relative_to(K8S_DIR)) for p in _manifest_files()} - {"kustomization.yaml"}
    assert SECRET_TEMPLATE not in resources, "applying the template would overwrite the real Secret"
    assert resources == manifests - {SECRET_TEMPLATE}


def test_selectors_match_the_pods_they_mean():
    pod_labels = [d["spec"]["template"]["metadata"]["labels"] for d in _of_kind("Deployment")]
    selectors = [(d["kind"], d["metadata"]["name"], d["spec"]["selector"]) for d in _of_kind("Service")]
    selectors += [(d["kind"], d["metadata"]["name"], d["spec"]["selector"]["matchLabels"])
                  for d in _of_kind("PodDisruptionBudget")]
    selectors += [(d["kind"], d["metadata"]["name"], d["spec"]["podSelector"]["matchLabels"])
                  for d in _of_kind("NetworkPolicy")]
    for kind, name, selector in selectors:
        matched = [labels for labels in pod_labels if _selects(selector, labels)]
        assert len(matched) == 1, f"{kind}/{name} selects {len(matched)} Deployments' pods"


# ── what must stay private ─────────────────────────────────────────────────────

def test_the_ingress_never_routes_to_the_action_server():
    for ingress in _of_kind("Ingress"):
        backends = [ingress["spec"].get("defaultBackend")] + [
            path["backend"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]
        ]
        services = {b["service"]["name"] for b in backends if b}
        assert "consignment-actions" not in services
        assert services == {"consignment-rasa"}


def test_the_ingress_exposes_only_the_public_paths():
    paths = {
        path["path"]
        for ingress in _of_kind("Ingress")
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert paths == PUBLIC_PATHS


def test_the_ingress_serves_every_host_over_tls():
    for ingress in _of_kind("Ingress"):
        tls_hosts = {host for tls in ingress["spec"].get("tls", []) for host in tls["hosts"]}
        assert {rule["host"] for rule in ingress["spec"]["rules"]} <= tls_hosts
        assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"


def test_no_service_is_reachable_from_outside_the_cluster():
    assert {s["metadata"]["name"]: s["spec"].get("type", "ClusterIP") for s in _of_kind("Service")} == {
        "consignment-rasa": "ClusterIP",
        "consignment-actions": "ClusterIP",
    }


def test_only_rasa_pods_reach_the_action_server_on_5055():
    """…and only Prometheus, in the monitoring namespace, reaches its metrics port (9155)."""
    policies = [p for p in _of_kind("NetworkPolicy") if _selects(p["spec"]["podSelector"]["matchLabels"], ACTIONS_LABELS)]
    assert policies, "no NetworkPolicy isolates the action server"
    for policy in policies:
        assert "Ingress" in policy["spec"]["policyTypes"]
        for rule in policy["spec"]["ingress"]:
            if [(port.get("protocol", "TCP"), port["port"]) for port in rule["ports"]] == [("TCP", 9155)]:
                assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                                         "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}]
                continue
            assert rule["from"] and all(
                set(peer) == {"podSelector"} and _selects(peer["podSelector"]["matchLabels"], RASA_LABELS)
                for peer in rule["from"]
            ), "someone other than the Rasa pods may connect"
            assert [(port.get("protocol", "TCP"), port["port"]) for port in rule["ports"]] == [("TCP", 5055)]


# ── secrets and modes ─────────────────────────────────────────────────────────

def test_secret_values_come_only_from_secret_key_refs():
    for deployment, container in _containers():
        where = f"{deployment['metadata']['name']}/{container['name']}"
        assert not any("secretRef" in source for source in container.get("envFrom", [])), where
        for name, source in _effective_env(container).items():
            if name in SECRET_ENV:
                assert "value" not in source, f"{where}: {name} is a literal"
                assert "secretKeyRef" in source.get("valueFrom", {}), f"{where}: {name} not from a secretKeyRef"


def test_the_pods_do_not_start_without_the_token_secrets():
    required = {"DRIVER_TOKEN_SECRET", "AGENT_TOKEN_SECRET"}
    env = _effective_env(_rasa_container())
    for name in required:
        assert not env[name]["valueFrom"]["secretKeyRef"].get("optional", False), name


def test_the_secret_template_holds_only_placeholders():
    (template,) = [d for p, d in _objects() if p.name == SECRET_TEMPLATE]
    values = template.get("stringData", {})
    assert values and all("REPLACE-ME" in value for value in values.values())
    assert "data" not in template


def test_demo_mode_is_off_in_every_container():
    for deployment, container in _containers():
        env = _effective_env(container)
        assert env["ASSISTANT_DEMO_MODE"].get("value") == "0", deployment["metadata"]["name"]


def _expand_like_kubernetes(text: str, env: Dict[str, str]) -> str:
    """$(VAR) in command/args: replaced when VAR is set, left as it is when not; $$ is a $."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), text)


def _rasa_argv(tmp_path: Path, api_token: Optional[str]) -> List[str]:
    """The arguments `rasa` receives when the Rasa container starts with this RASA_API_TOKEN
    (None: the Secret has no such key). The container's command runs as written, against a
    stand-in `rasa` that records its arguments."""
    stub_dir = tmp_path / "bin"
    stub_dir.mkdir(exist_ok=True)
    record = tmp_path / "argv"
    stub = stub_dir / "rasa"
    stub.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\0" "$a"; done > {shlex.quote(str(record))}\n')
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)

    container = _rasa_container()
    env = {"PATH": f"{stub_dir}:/usr/bin:/bin"}
    if api_token is not None:
        env["RASA_API_TOKEN"] = api_token
    argv = [_expand_like_kubernetes(part, env) for part in container.get("command", []) + container.get("args", [])]
    if Path(argv[0]).name == "rasa":
        argv[0] = str(stub)
    subprocess.run(argv, env=env, check=True, timeout=30)
    return record.read_text().split("\0")[:-1]


@pytest.mark.parametrize("api_token", [None, "", "an API token with spaces"], ids=["no key", "empty", "set"])
def test_rasas_http_api_never_runs_without_an_auth_token(tmp_path, api_token):
    argv = _rasa_argv(tmp_path, api_token)
    assert argv[0] == "run"
    if not api_token:
        assert "--enable-api" not in argv and "--auth-token" not in argv
    else:
        assert "--enable-api" in argv
        assert argv[argv.index("--auth-token") + 1] == api_token


# ── probes, affinity, endpoints ───────────────────────────────────────────────

@pytest.mark.parametrize("labels,port", [(RASA_LABELS, 9105), (ACTIONS_LABELS, 9155)], ids=["rasa", "actions"])
@pytest.mark.parametrize("probe,path", [("readinessProbe", "/ready"), ("livenessProbe", "/live")])
def test_both_deployments_probe_readiness_and_liveness_on_their_metrics_port(labels, port, probe, path):
    (container,) = _deployment_for(labels)["spec"]["template"]["spec"]["containers"]
    checked = container[probe]["httpGet"]
    assert checked["path"] == path
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports.get(checked["port"], checked["port"]) == port


def test_the_rasa_service_keeps_a_client_on_one_replica():
    assert _named("Service", "consignment-rasa")["spec"]["sessionAffinity"] == "ClientIP"


def test_rasa_gets_every_variable_its_endpoints_yml_reads(monkeypatch):
    from rasa.shared.utils.io import read_yaml

    text = _endpoints_yml()
    wanted = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))
    assert wanted, "endpoints.yml reads no variables?"
    assert wanted <= set(_effective_env(_rasa_container())), "Rasa refuses to start on an unset ${VAR}"
    for name in wanted:
        monkeypatch.setenv(name, f"value-of-{name}")
    # Rasa expands ${VAR} only in plain scalars: a quoted "${VAR}" would reach the store as is
    assert "${" not in repr(read_yaml(text))


def test_the_endpoints_use_the_shared_stores_and_the_action_service():
    endpoints = yaml.safe_load(_endpoints_yml())
    assert endpoints["tracker_store"]["type"] == "server.tracker_store.RedactingSQLTrackerStore"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["lock_store"]["type"] == "server.lock_store.AtomicRedisLockStore"
    action = urlparse(endpoints["action_endpoint"]["url"])
    service = _named("Service", action.hostname)
    assert _selects(service["spec"]["selector"], ACTIONS_LABELS)
    assert action.port in {p["port"] for p in service["spec"]["ports"]}
