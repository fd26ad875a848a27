"""Size and rate limits on the channels, and what a malformed request gets (issue 8)."""
from __future__ import annotations

import datetime as dt
import time

import jwt
import pytest
import requests

from consignment.identity import mint_driver_token
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.live


def rest(assistant, body, **kwargs) -> requests.Response:
    return requests.post(f"{assistant.url}/webhooks/rest/webhook", timeout=60, **({"json": body} | kwargs))


def test_a_message_over_2000_characters_is_refused_with_413_in_korean_and_the_conversation_goes_on(assistant, sender):
    refused = rest(assistant, {"sender": sender, "message": "가" * 2001})
    assert refused.status_code == 413 and "2,000자 이하" in refused.json()[0]["text"]
    assert "CNMP" in rest(assistant, {"sender": sender, "message": "위탁콜이 뭐예요?"}).text


def test_the_31st_message_of_a_minute_from_one_sender_gets_429_in_korean(assistant, sender):
    statuses = [rest(assistant, {"sender": sender, "message": "안녕하세요"}).status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    assert "너무 빠르게" in rest(assistant, {"sender": sender, "message": "안녕하세요"}).json()[0]["text"]


@pytest.mark.parametrize("body", [
    [1, 2, 3], {"sender": 5, "message": "안녕"}, {"sender": "x", "message": {"a": 1}}, {"message": "안녕"},
    {"sender": "", "message": "안녕"}, {"sender": "x" * 500, "message": "안녕"},
])
def test_a_malformed_body_gets_400_in_korean_not_a_server_error(assistant, body):
    answer = rest(assistant, body)
    assert answer.status_code == 400 and "요청 형식" in answer.json()[0]["text"]


def test_malformed_json_gets_400(assistant):
    answer = rest(assistant, None, data=b'{"sender": "x", "message": ', headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and "Traceback" not in answer.text


def test_a_rest_client_cannot_claim_to_be_slack(assistant, sender):
    """The input channel is the REST channel's own: a staff channel would change the answers."""
    token = mint_driver_token("D-1001", TEST_SECRET)
    rest(assistant, {"sender": sender, "message": "콜마너에서 콜 수락이 안 돼요", "input_channel": "slack",
                     "metadata": {"driver_token": token}})
    assert assistant.tracker(sender)["latest_input_channel"] == "rest"


def test_only_the_driver_token_of_the_metadata_is_kept(assistant, sender):
    rest(assistant, {"sender": sender, "message": "안녕하세요", "metadata": {"driver_token": "x.y.z", "role": "admin"}})
    stored = [e for e in assistant.tracker(sender)["events"] if e["event"] == "user"][-1]
    assert "role" not in stored.get("metadata", {})


def test_a_body_over_256_kib_is_refused_before_it_is_parsed(assistant, sender):
    answer = requests.post(f"{assistant.url}/webhooks/rest/webhook", data=b'{"sender": "x", "message": "' + b"a" * 300_000 + b'"}',
                           headers={"Content-Type": "application/json"}, timeout=60)
    assert answer.status_code == 413


def q3_turn(assistant, sender, text, token, message_id, retry=False):
    body = {"sender": sender, "message": text, "message_id": message_id, "metadata": {"driver_token": token} if token else {}}
    if retry:
        body["retry"] = True
    return rest(assistant, body)


def test_a_retried_turn_gets_the_replies_of_the_turn_that_ran_not_a_second_run(assistant, sender):
    token = mint_driver_token("D-1001", TEST_SECRET)
    q3_turn(assistant, sender, "콜마너에서 콜 수락이 안 돼요", token, "m-a")
    first = q3_turn(assistant, sender, "네 카카오요", token, "m-b").json()
    again = q3_turn(assistant, sender, "네 카카오요", token, "m-b", retry=True).json()
    assert [r["text"] for r in again] == [r["text"] for r in first]
    users = [e for e in assistant.tracker(sender)["events"] if e["event"] == "user"]
    assert [e["text"] for e in users].count("네 카카오요") == 1


def test_a_retry_without_the_drivers_token_never_gets_the_drivers_replies(assistant, sender):
    token = mint_driver_token("D-1001", TEST_SECRET)
    for number, text in enumerate(["콜마너에서 콜 수락이 안 돼요", "네 카카오요", "김민수", "010-1234-5678"]):
        answer = q3_turn(assistant, sender, text, token, f"turn-{number}").json()
    assert "운행 중 사고 발생 후 미신고" in str(answer)
    for stranger in (None, mint_driver_token("D-1002", TEST_SECRET)):
        replayed = q3_turn(assistant, sender, "010-1234-5678", stranger, "turn-3", retry=True)
        assert "운행 중 사고 발생 후 미신고" not in str(replayed.json())


@pytest.mark.parametrize("retry", [False, True])  # the replay kept in memory; the one read from the conversation
def test_a_retry_with_the_drivers_token_expired_since_never_replays_the_reason(assistant, sender, retry):
    token = mint_driver_token("D-1001", TEST_SECRET, ttl=dt.timedelta(seconds=8))
    for number, text in enumerate(["콜마너에서 콜 수락이 안 돼요", "네 카카오요", "김민수", "010-1234-5678"]):
        answer = q3_turn(assistant, sender, text, token, f"turn-{number}").json()
    assert "운행 중 사고 발생 후 미신고" in str(answer)
    time.sleep(max(0.0, jwt.decode(token, options={"verify_signature": False})["exp"] - time.time() + 1.5))
    replayed = q3_turn(assistant, sender, "010-1234-5678", token, "turn-3", retry=retry)
    assert replayed.status_code == 401 and "운행 중 사고 발생 후 미신고" not in str(replayed.json())
    fresh = q3_turn(assistant, sender, "010-1234-5678", mint_driver_token("D-1001", TEST_SECRET), "turn-3", retry=retry)
    assert "운행 중 사고 발생 후 미신고" in str(fresh.json())  # the app's new token gets the answer it missed


def test_messages_someone_else_sends_under_a_drivers_sender_id_do_not_spend_the_drivers_allowance(assistant, sender):
    token = mint_driver_token("D-1001", TEST_SECRET)
    assert rest(assistant, {"sender": sender, "message": "안녕하세요", "metadata": {"driver_token": token}}).status_code == 200
    for _ in range(31):  # a stranger floods the driver's conversation (refused, then limited)
        rest(assistant, {"sender": sender, "message": "안녕하세요"})
    assert rest(assistant, {"sender": sender, "message": "위탁콜이 뭐예요?", "metadata": {"driver_token": token}}).status_code == 200
