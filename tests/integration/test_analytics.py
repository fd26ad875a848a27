"""The CS lead's numbers (issue 10), computed from real conversations on the live server."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
import requests
import sqlalchemy as sa

from consignment import analytics, assist_store
from consignment.agent_auth import mint_agent_token
from tests.conftest import PROJECT_ROOT
from tests.live_servers import AGENT_SECRET

TODAY = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()


def report(assistant, token: str, **params) -> requests.Response:
    query = {"from": (TODAY - dt.timedelta(days=1)).isoformat(), "to": TODAY.isoformat(), **params}
    return requests.get(f"{assistant.url}/webhooks/assist/analytics", params=query,
                        headers={"Authorization": f"Bearer {token}"}, timeout=60)


@pytest.mark.live
def test_a_leads_report_counts_conversations_ratings_outcomes_and_handoffs(assistant, sender):
    before = report(assistant, mint_agent_token("A-LEAD", AGENT_SECRET, role="lead")).json()
    assert "CNMP" in str(assistant.say(sender, "위탁콜이 뭐예요?"))
    assistant.say(sender, "/rate_helpful")
    assistant.say(f"{sender}-2", "상담원 연결해 주세요")
    after = report(assistant, mint_agent_token("A-LEAD", AGENT_SECRET, role="lead")).json()
    assert after["conversations"] >= before["conversations"] + 2
    assert after["csat"]["up"] == before["csat"]["up"] + 1
    assert after["handoffs"]["total"] == before["handoffs"]["total"] + 1
    assert after["intents"]["ask_consignment_call"] >= 1
    assert set(after["q3_outcomes"]) == {"suspended", "customer_block", "none_on_record"}
    assert after["by_day"] and after["by_day"][-1]["date"] == TODAY.isoformat()


@pytest.mark.live
def test_an_agent_token_gets_403_from_the_leads_report(assistant):
    assert report(assistant, mint_agent_token("A-07", AGENT_SECRET)).status_code == 403


@pytest.mark.live
def test_the_report_exports_as_csv(assistant):
    answer = report(assistant, mint_agent_token("A-LEAD", AGENT_SECRET, role="lead"), format="csv")
    assert answer.status_code == 200 and answer.text.splitlines()[0] == \
        "date,conversations,messages,handoffs,containment_rate,fallbacks,csat_up,csat_down"


@pytest.mark.live
def test_a_bad_date_range_is_400_in_korean(assistant):
    answer = report(assistant, mint_agent_token("A-LEAD", AGENT_SECRET, role="lead"), to="어제")
    assert answer.status_code == 400 and "기간" in answer.json()["error"]


def test_seed_analytics_writes_a_month_the_report_reads(tmp_path):
    env = {**os.environ, "ASSISTANT_DEMO_MODE": "1", "ASSISTANT_VAR_DIR": str(tmp_path)}
    env.pop("ASSIST_DB_URL", None)
    done = subprocess.run([sys.executable, "scripts/seed_analytics.py", "--days", "30", "--per-day", "8"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    result = analytics.report(sa.create_engine(f"sqlite:///{tmp_path / 'conversations.db'}"),
                              assist_store.AssistStore(f"sqlite:///{tmp_path / 'assist.db'}"),
                              TODAY - dt.timedelta(days=31), TODAY)
    assert result["conversations"] > 150 and len(result["by_day"]) >= 28
    assert sum(result["q3_outcomes"].values()) > 0 and result["csat"]["up"] > result["csat"]["down"]
    assert 0 < result["containment_rate"] < 1


def test_seed_analytics_refuses_outside_demo_mode(tmp_path):
    done = subprocess.run([sys.executable, "scripts/seed_analytics.py"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "ASSISTANT_DEMO_MODE": "0", "ASSISTANT_VAR_DIR": str(tmp_path)})
    assert done.returncode != 0 and "demo mode only" in done.stderr
