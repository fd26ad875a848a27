"""The KakaoTalk channel's pure parts: splitting an answer into Open Builder's bubbles, quick
replies, the callback allow-list, the conversation id (server/kakao_channel.py)."""
from __future__ import annotations

import asyncio
import re

import pytest

from server.kakao_channel import (
    MAX_LABEL_CHARS,
    MAX_OUTPUTS,
    MAX_QUICK_REPLIES,
    MAX_TEXT_CHARS,
    PendingAnswers,
    allowed_callback,
    answer,
    conversation_id,
    pack_outputs,
    quick_replies,
    split_text,
)

SENTENCE = "위탁콜은 카카오가 발주한 콜을 CNMP(콜마너파트너사) 프로그램을 사용하는 기사가 배정받는 콜입니다."
KAKAO = ("https://bot-api.kakao.com",)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_a_long_answer_is_split_at_sentence_ends_never_inside_a_sentence():
    text = " ".join([SENTENCE] * 40)
    pieces = split_text(text)
    assert len(pieces) > 1 and all(len(piece) <= MAX_TEXT_CHARS for piece in pieces)
    assert all(piece.endswith("콜입니다.") for piece in pieces)
    assert squeezed("".join(pieces)) == squeezed(text)


def test_line_breaks_are_the_first_place_an_answer_is_split():
    first, second = "가" * 700 + ".", "나" * 700 + "."
    assert split_text(f"{first}\n{second}") == [first, second]


def test_more_than_three_bubbles_worth_is_packed_and_the_rest_is_kept_not_cut():
    texts = [f"{n}번 안내입니다." for n in range(6)] + [" ".join([SENTENCE] * 60)]
    shown, rest = pack_outputs(texts)
    assert len(shown) <= MAX_OUTPUTS and all(len(bubble) <= MAX_TEXT_CHARS for bubble in shown)
    assert squeezed("".join(shown + rest)) == squeezed("".join(texts))


def test_a_few_short_messages_stay_one_bubble_each():
    assert pack_outputs(["하나", "둘"]) == (["하나", "둘"], [])


def test_an_answer_that_does_not_fit_keeps_its_quick_replies_for_the_rest():
    messages = [{"text": " ".join([SENTENCE] * 80), "buttons": [{"title": "상담원 연결", "payload": "/request_human"}]}]
    body, rest = answer(messages)
    assert "quickReplies" not in body["template"]
    assert quick_replies(rest) and answer(rest)[0]["template"]["quickReplies"]


def test_quick_replies_are_at_most_ten_with_short_labels_and_the_full_title_as_text():
    buttons = [{"title": f"{n}번째로 아주 길게 적힌 버튼의 제목", "payload": f"/intent_{n}"} for n in range(12)]
    replies = quick_replies([{"text": "고르세요", "buttons": buttons}])
    assert len(replies) == MAX_QUICK_REPLIES
    assert all(len(reply["label"]) <= MAX_LABEL_CHARS and reply["action"] == "message" for reply in replies)
    assert replies[0]["messageText"] == buttons[0]["title"] and replies[0]["extra"] == {"payload": "/intent_0"}


@pytest.mark.parametrize("url", [
    "https://bot-api.kakao.com/v1/bots/abc/callback/xyz",
    "https://BOT-API.kakao.com:443/v1/callback/xyz",
])
def test_a_callback_to_kakaos_host_is_allowed(url):
    assert allowed_callback(url, KAKAO)


@pytest.mark.parametrize("url", [
    None, "", "http://bot-api.kakao.com/v1/callback",  # not https
    "https://bot-api.kakao.com.attacker.example/cb", "https://attacker.example/?bot-api.kakao.com",
    "https://bot-api.kakao.com@attacker.example/cb", "https://user@bot-api.kakao.com/cb",
    "https://bot-api.kakao.com:8443/cb", "http://169.254.169.254/latest/meta-data", "file:///etc/passwd",
    "https://127.0.0.1/cb", "https://[::1]/cb", "https://bot-api.kakao.com:bad/cb",
])
def test_any_other_callback_url_is_refused(url):
    assert not allowed_callback(url, KAKAO)


def test_each_kakaotalk_user_has_a_conversation_of_their_own_that_does_not_show_the_key():
    first, second = conversation_id("user-key-1", "secret"), conversation_id("user-key-2", "secret")
    assert first != second and first.startswith("kakao-") and "user-key-1" not in first
    assert conversation_id("user-key-1", "another secret") != first


def test_a_kept_answer_is_given_once():
    pending = PendingAnswers()
    asyncio.run(pending.keep("kakao-a", [{"text": "답변"}]))
    assert asyncio.run(pending.take("kakao-b")) == []
    assert asyncio.run(pending.take("kakao-a")) == [{"text": "답변"}]
    assert asyncio.run(pending.take("kakao-a")) == []
