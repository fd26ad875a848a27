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
from consignment.identity import mint_driver_token
from tests.conftest import PROJECT_ROOT, TEST_SECRET
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
    q3 = {"driver_token": mint_driver_token("D-1001", TEST_SECRET)}  # D-1001: suspended in the demo data
    for text in ("콜마너에서 콜 수락이 안 돼요", "네 카카오요", "김민수", "010-1234-5678"):
        assistant.say(f"{sender}-3", text, q3)
    after = report(assistant, mint_agent_token("A-LEAD", AGENT_SECRET, role="lead")).json()
    assert after["conversations"] >= before["conversations"] + 2
    assert after["csat"]["up"] == before["csat"]["up"] + 1
    assert after["handoffs"]["total"] == before["handoffs"]["total"] + 1
    assert after["intents"]["ask_consignment_call"] >= 1
    # the outcome of the Q3 above is counted, not just named
    assert after["q3_outcomes"]["suspended"] == before["q3_outcomes"]["suspended"] + 1
    assert after["q3_outcomes"]["customer_block"] == before["q3_outcomes"]["customer_block"]
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


# candidates for a message the NLU cannot place (nlu_fallback), each with a name and a number: the
# test uses the first one the served model does not recognise (a retrained model moves the line)
_FILLERS = ("저기 그게", "음 저기 그게", "어 그러니까 저기", "아니 그게 저기", "ㅁㄴㅇㄹ 저기")
_NAMES = (("박철수 기사", "박철수"), ("최지훈 기사님", "최지훈"), ("오세영입니다", "오세영"))
UNRECOGNISED = tuple((f"{filler} {said} {4821 + n}", name, str(4821 + n))
                     for n, (filler, (said, name)) in enumerate((f, s) for f in _FILLERS for s in _NAMES))


def _unrecognised(assistant) -> tuple:
    for text, name, digits in UNRECOGNISED:
        if assistant.parse(text)["intent"]["name"] == "nlu_fallback":
            return text, name, digits
    pytest.fail(f"the served model recognises every candidate; add one it does not: {UNRECOGNISED}")


def _top_unrecognised(assistant) -> list:
    return report(assistant, mint_agent_token("A-LEAD", AGENT_SECRET, role="lead")).json()["top_unrecognised"]


@pytest.mark.live
def test_the_lead_sees_an_unrecognised_message_only_masked_and_once_three_conversations_sent_it(assistant, sender):
    text, name, digits = _unrecognised(assistant)
    words = [word for word in text.split() if name not in word and not word.isdigit()]  # neither name nor number

    def shown() -> list:
        return [row for row in _top_unrecognised(assistant) if all(word in row["text"] for word in words)]

    for n in range(2):
        assistant.say(f"{sender}-{n}", text)
    assert shown() == []  # two conversations: perhaps one driver's own words
    assistant.say(f"{sender}-2", text)
    [row] = shown()
    assert row["count"] == 3 and name not in row["text"] and digits not in row["text"]


@pytest.mark.live
def test_the_report_labels_every_handoff_reason_in_korean(assistant, sender):
    assistant.say(sender, "상담원 연결해 주세요")
    handoffs = report(assistant, mint_agent_token("A-LEAD", AGENT_SECRET, role="lead")).json()["handoffs"]
    assert handoffs["reason_labels"]["action_server_unavailable"] == "기사님 요청 (답변 서버 장애 중)"
    assert set(handoffs["by_reason"]) <= set(handoffs["reason_labels"])
