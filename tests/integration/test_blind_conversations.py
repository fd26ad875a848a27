"""Whole conversations nobody who wrote the assistant wrote: tests/nlu/blind/conversations_2026_12b.yml.

Thirty conversations written by someone who read only the article, the contract and the demo
data (tests/nlu/blind/README.md: frozen, never trained on). Each turn goes through the REST
channel with the demo driver's signed token (or none), and the assistant's reply — its bubbles
joined — must contain one of `expect_any` and none of `expect_none`. The expectations are the
article's facts (the ⓐ reason, the ⓑ line, 1688-6618, a listed region) and what must never be
said (a reason to the wrong person, a customer's id, an invented date or percentage).
"""
from __future__ import annotations

from typing import List

import pytest
import yaml

from consignment.identity import mint_driver_token
from tests.conftest import PROJECT_ROOT, TEST_SECRET

pytestmark = pytest.mark.live

CONVERSATIONS = yaml.safe_load(
    (PROJECT_ROOT / "tests" / "nlu" / "blind" / "conversations_2026_12b.yml").read_text(encoding="utf-8")
)["conversations"]


def _reply_text(replies: List[dict]) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c["id"] for c in CONVERSATIONS])
def test_a_blind_conversation_gets_the_answers_the_article_prescribes(assistant, sender, conversation):
    driver = conversation.get("driver")
    metadata = {"driver_token": mint_driver_token(driver, TEST_SECRET)} if driver else None
    wrong = []
    for number, turn in enumerate(conversation["turns"], start=1):
        reply = _reply_text(assistant.say(sender, turn["user"], metadata))
        wanted, banned = turn.get("expect_any") or [], turn.get("expect_none") or []
        if wanted and not any(word in reply for word in wanted):
            wrong.append(f"turn {number}: none of {wanted} in the reply")
        said = [word for word in banned if word in reply]
        if said:
            wrong.append(f"turn {number}: the reply said {said}")
    # which turn and which expectation, not the sentences: the set stays blind to whoever reads the log
    assert not wrong, f"{conversation['id']} ({conversation['about']}): " + "; ".join(wrong)
