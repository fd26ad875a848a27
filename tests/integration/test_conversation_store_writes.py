"""The embedded conversation store under concurrent turns and crashes (server/tracker_store.py):
a turn is stored before its reply leaves, and conversations answered at the same moment each
keep exactly their own turns, in order."""
from __future__ import annotations

import signal
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from consignment.identity import mint_driver_token
from tests.conftest import DEMO_DRIVERS, TEST_SECRET
from tests.live_servers import ACTIONS_PORT, RASA_PORT, running_assistant

pytestmark = pytest.mark.live

Q3_TURNS = ("콜마너에서 콜 수락이 안 돼요 발주사 정책 때문이래요", "네 카카오요")
# what the Q3 of each demo driver ends with (fixtures/admin)
OUTCOME = {
    "D-1001": "운행 중 사고 발생 후 미신고",
    "D-1002": "특정 고객님의 요청으로",
    "D-1003": "배차 제한 내역이 없습니다",
    "D-1005": "음주 의심 신고에 따른 조사",
}
# its own servers (it kills one): beside the session's pair, like the other tests that restart
CRASH_PORTS = (RASA_PORT + 3, ACTIONS_PORT + 3)


def metadata_for(driver_id: str) -> dict:
    return {"driver_token": mint_driver_token(driver_id, TEST_SECRET)}


def user_texts(tracker: dict) -> list:
    return [event.get("text") for event in tracker["events"] if event["event"] == "user"]


def bot_texts(tracker: dict) -> list:
    return [event.get("text") for event in tracker["events"] if event["event"] == "bot"]


@pytest.fixture(scope="module")
def crashable_assistant(tmp_path_factory):
    with running_assistant(tmp_path_factory.mktemp("crashable"), *CRASH_PORTS) as instance:
        yield instance


def test_a_turn_answered_survives_a_kill_of_the_server_the_moment_its_reply_arrives(crashable_assistant):
    sender, metadata = f"crash-{uuid.uuid4().hex}", metadata_for("D-1001")
    crashable_assistant.say(sender, Q3_TURNS[0], metadata)
    reply = crashable_assistant.say(sender, Q3_TURNS[1], metadata)
    crashable_assistant.restart_rasa(signal.SIGKILL)  # no shutdown, nothing flushed on the way out

    stored = crashable_assistant.tracker(sender)
    assert user_texts(stored) == list(Q3_TURNS)
    assert [r["text"] for r in reply if r.get("text")] == bot_texts(stored)[-len(reply):]


def test_a_conversation_goes_on_after_the_crash_from_the_turn_it_was_answered(crashable_assistant):
    sender, metadata = f"crash-{uuid.uuid4().hex}", metadata_for("D-1001")
    for text in Q3_TURNS:
        crashable_assistant.say(sender, text, metadata)
    crashable_assistant.say(sender, DEMO_DRIVERS["D-1001"][0], metadata)  # the name: the phone is asked next
    crashable_assistant.restart_rasa(signal.SIGKILL)

    answer = crashable_assistant.say(sender, DEMO_DRIVERS["D-1001"][1], metadata)
    assert OUTCOME["D-1001"] in " ".join(r.get("text", "") for r in answer)


def test_conversations_answered_at_once_each_keep_their_own_turns_in_order(assistant):
    drivers = [driver for driver in OUTCOME for _ in range(3)]  # 12 conversations, 4 drivers
    senders = [f"interleave-{uuid.uuid4().hex}" for _ in drivers]
    scripts = [(*Q3_TURNS, *DEMO_DRIVERS[driver]) for driver in drivers]
    last_replies = {}
    with ThreadPoolExecutor(max_workers=len(senders)) as pool:
        for turn in range(len(scripts[0])):  # every conversation's n-th turn at the same moment
            replies = list(pool.map(
                lambda i: assistant.say(senders[i], scripts[i][turn], metadata_for(drivers[i])), range(len(senders))))
            last_replies = dict(zip(senders, replies))

    for sender, driver, script in zip(senders, drivers, scripts):
        stored = assistant.tracker(sender)
        assert user_texts(stored) == [script[0], script[1], script[2], "010-****-" + script[3][-4:]]
        assert OUTCOME[driver] in " ".join(r.get("text", "") for r in last_replies[sender])
        others = [OUTCOME[other] for other in OUTCOME if other != driver]
        assert not any(other in text for text in bot_texts(stored) for other in others if text)
