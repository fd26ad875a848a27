"""The alert rules (deploy/prometheus/alerts.yml) are valid Prometheus rules, and each fires on
the story it is for — promtool's own checker and rule unit tests (alerts.test.yml). promtool comes
with Debian's `prometheus` package (scripts/install_packages.sh prometheus; the test command
installs it): without it the test fails, never skips."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.conftest import PROJECT_ROOT

RULES = PROJECT_ROOT / "deploy" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool not found: run `scripts/install_packages.sh prometheus`")
    return subprocess.run([tool, *args], cwd=RULES, capture_output=True, text=True, timeout=120)


def test_the_rules_file_is_valid():
    done = promtool("check", "rules", "alerts.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_alert_fires_on_its_story_and_not_before():
    done = promtool("test", "rules", "alerts.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_has_a_story_and_a_runbook_entry():
    alerts = [rule["alert"] for group in yaml.safe_load((RULES / "alerts.yml").read_text(encoding="utf-8"))["groups"]
              for rule in group["rules"] if "alert" in rule]
    tested = {case["alertname"] for test in yaml.safe_load((RULES / "alerts.test.yml").read_text(encoding="utf-8"))["tests"]
              for case in test["alert_rule_test"]}
    operations = (PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert set(alerts) <= tested
    assert not [alert for alert in alerts if f"### {alert}" not in operations]


def test_the_dashboard_charts_only_metrics_the_processes_export():
    import json
    import re

    from consignment import metrics

    exported = {collector._name for collector in vars(metrics).values() if hasattr(collector, "_name")}
    dashboard = json.loads((RULES / "grafana-dashboard.json").read_text(encoding="utf-8"))
    charted = {name for panel in dashboard["panels"] for target in panel["targets"]
               for name in re.findall(r"\b(assistant_[a-z_]+?)(?:_bucket|_total)?\b[\[{() ]", target["expr"] + " ")}
    assert charted and charted <= exported | {"up"}
