"""The limit of 5 failed 본인확인 an hour holds when one token guesses in many conversations at once
(CONTRACT §4, issue 13 item 4)."""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from consignment.identity import mint_driver_token
from tests.conftest import DEMO_DRIVERS, TEST_SECRET

pytestmark = pytest.mark.live

# a driver whose failures no other live test counts on; the rows are removed afterwards
DRIVER = "D-1006"
GUESSES = 30
NOT_VERIFIED = "본인확인이 완료되지 않아"
EXHAUSTED = "본인확인에 여러 번 실패하여"


def rest(assistant, sender: str, text: str, token: str) -> str:
    answer = requests.post(f"{assistant.url}/webhooks/rest/webhook", timeout=120,
                           json={"sender": sender, "message": text, "metadata": {"driver_token": token}})
    answer.raise_for_status()
    return " ".join(reply.get("text") or "" for reply in answer.json())


def to_the_phone_question(assistant, sender: str, token: str) -> None:
    for text in ("콜마너에서 콜 수락이 안 돼요", "네 카카오요", DEMO_DRIVERS[DRIVER][0]):
        rest(assistant, sender, text, token)


@pytest.fixture
def failures(assistant):
    """The driver's failed 본인확인 rows in the live servers' assist store; cleared after the test so
    that the driver is not locked out for the rest of the session."""
    engine = sa.create_engine(f"sqlite:///{assistant.workdir / 'assist.db'}")

    def count() -> int:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM identity_failures WHERE driver_id = :d"),
                                {"d": DRIVER}).scalar_one()

    yield count
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM identity_failures WHERE driver_id = :d"), {"d": DRIVER})
    engine.dispose()


def test_30_concurrent_wrong_guesses_get_at_most_5_checks_and_then_the_right_details_are_refused(assistant, failures):
    token = mint_driver_token(DRIVER, TEST_SECRET)
    earlier = failures()
    senders = [f"race-{uuid.uuid4()}" for _ in range(GUESSES)]
    with ThreadPoolExecutor(GUESSES) as pool:
        list(pool.map(lambda sender: to_the_phone_question(assistant, sender, token), senders))
        start = threading.Barrier(GUESSES)

        def guess(sender: str) -> str:
            start.wait()
            return rest(assistant, sender, "010-0000-0000", token)

        answers = list(pool.map(guess, senders))
    evaluated = sum(NOT_VERIFIED in answer for answer in answers)
    refused = sum(EXHAUSTED in answer for answer in answers)
    assert evaluated + refused == GUESSES
    assert evaluated == 5 - earlier and failures() == 5
    sender = f"race-{uuid.uuid4()}"  # the right details, in a new conversation
    to_the_phone_question(assistant, sender, token)
    assert EXHAUSTED in rest(assistant, sender, DEMO_DRIVERS[DRIVER][1], token)
