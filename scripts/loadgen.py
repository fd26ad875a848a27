"""Concurrent conversations with driver tokens over the REST channel: the load of the CS
centre's evening peak, for `make benchmark` and `make load-fault`.

Mixes (`run(..., mix=)`):
- "q3" (`make load-fault`): every conversation is one demo driver's Q3 (콜마너 restriction
  report → Kakao → name → phone, the lookup, the scripted answer), four turns in order.
- "population" (`make benchmark`): what a population of drivers sends — the seven demo drivers
  in turn, half of the conversations Q3 as above, the others Q1 (위탁콜이란, then insurance) and
  Q2 (nationwide?, then 대전), interleaved.
- "stock": the stock `rasa init` bot's sad path (hi / I am sad / yes / bye), anonymous, for the
  same-concurrency comparison.
Many conversations run at once. A turn that fails at the transport (connection refused
or reset, timeout, a 502/503 from the load balancer or the apology of a server whose database is
down) is retried with the same `message_id`, so the server runs it at most once
(server/rest_channel.py). Every reply is checked: the driver's own answer at the end, never
another driver's, never a stack trace.
"""
from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import aiohttp

from consignment.identity import mint_driver_token

# fixtures/admin/: what each demo driver's Q3 must end with (a reason only for the suspended)
DRIVERS = {
    "D-1001": ("김민수", "010-1234-5678", "운행 중 사고 발생 후 미신고"),
    "D-1002": ("이영희", "010-2345-6789", "특정 고객님의 요청으로"),
    "D-1003": ("박철수", "010-3456-7890", "배차 제한 내역이 없습니다"),
    "D-1004": ("최지훈", "010-4567-8901", "특정 고객님의 요청으로"),
    "D-1005": ("정수진", "010-5678-9012", "음주 의심 신고에 따른 조사"),
    "D-1006": ("한동욱", "010-6789-0123", "특정 고객님의 요청으로"),
    "D-1007": ("오세영", "010-7890-1234", "배차 제한 내역이 없습니다"),
}
SUSPENDED = ("D-1001", "D-1005")
REPORT = "콜마너에서 콜 수락이 안 돼요 발주사 정책 때문이래요"
TRACE_MARKS = ("Traceback", 'File "/', "Exception")
RETRYABLE_STATUS = {429, 500, 502, 503, 504}


@dataclass
class Turn:
    sender: str
    text: str
    message_id: str
    started: float
    seconds: float
    replies: List[dict]
    attempts: int
    failures: List[str] = field(default_factory=list)  # what the failed attempts answered


@dataclass
class Conversation:
    sender: str
    driver_id: Optional[str]  # None: anonymous (the stock bot)
    turns: List[Turn] = field(default_factory=list)
    error: Optional[str] = None
    kind: str = "q3"
    expected: str = ""  # what the last turn's replies must contain

    @property
    def final_text(self) -> str:
        return " ".join(r.get("text", "") for r in (self.turns[-1].replies if self.turns else []))

    def problems(self) -> List[str]:
        found = []
        if self.error:
            found.append(self.error)
        if self.expected not in self.final_text:
            found.append(f"{self.sender} ({self.kind}): expected “{self.expected}”, got “{self.final_text[:100]}”")
        for turn in self.turns:
            if any(mark in failure for failure in turn.failures for mark in TRACE_MARKS):
                found.append(f"{self.sender}: a trace in a failed attempt's answer")
            text = " ".join(r.get("text", "") for r in turn.replies)
            if any(mark in text for mark in TRACE_MARKS):
                found.append(f"{self.sender}: a trace in a reply")
            if any(r.get("recipient_id") not in (None, self.sender) for r in turn.replies):
                found.append(f"{self.sender}: a reply addressed to someone else")
            for other in SUSPENDED:  # another driver's suspension reason: a leak
                if other != self.driver_id and DRIVERS[other][2] in text:
                    found.append(f"{self.sender}: {other}'s reason reached {self.driver_id}")
        return found


@dataclass
class LoadResult:
    conversations: List[Conversation]
    seconds: float

    @property
    def turns(self) -> List[Turn]:
        return [t for c in self.conversations for t in c.turns]

    def summary(self) -> Dict[str, float]:
        latencies = sorted(t.seconds for t in self.turns)
        return {
            "conversations": len(self.conversations),
            "messages": len(latencies),
            "seconds": round(self.seconds, 1),
            "msg_per_s": round(len(latencies) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(1000 * statistics.median(latencies)) if latencies else 0,
            "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))]) if latencies else 0,
            "retried_turns": sum(1 for t in self.turns if t.attempts > 1),
            "failed_conversations": sum(1 for c in self.conversations if c.problems()),
        }


async def _turn(session: aiohttp.ClientSession, url: str, sender: str, text: str, token: Optional[str],
                retry_for_s: float) -> Turn:
    message_id = uuid.uuid4().hex
    body = {"sender": sender, "message": text, "message_id": message_id}
    if token is not None:
        body["metadata"] = {"driver_token": token}
    started = time.monotonic()
    attempts = 0
    failures: List[str] = []
    while True:
        attempts += 1
        if attempts > 1:
            body["retry"] = True  # the same message id: the server runs the turn at most once
        try:
            async with session.post(f"{url}/webhooks/rest/webhook", json=body) as answer:
                if answer.status == 200:
                    return Turn(sender, text, message_id, started, time.monotonic() - started, await answer.json(),
                                attempts, failures)
                answered = await answer.text()
                failures.append(answered[:500])
                failure = f"HTTP {answer.status}: {answered[:120]}"
                if answer.status not in RETRYABLE_STATUS:
                    raise RuntimeError(failure)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            failure = f"{type(error).__name__}"
        if time.monotonic() - started > retry_for_s:
            raise RuntimeError(f"gave up after {attempts} attempts ({failure})")
        await asyncio.sleep(min(0.25 * attempts, 2.0) + random.random() * 0.2)


# "지금 배차 제한 내역을 조회할 수 없어": the lookup's database is down; a driver asks again later
LOOKUP_UNAVAILABLE = "조회할 수 없어"
MAX_RESTARTS = 5


# the other questions drivers ask (CONTRACT §3.3, §3.4): their turns and what the last reply says
Q1_TURNS = ("위탁콜이 뭐예요?", "위탁콜 탈 때 보험은 어떻게 돼요?")
Q1_EXPECTED = "보험으로 운행 가능합니다"
Q2_TURNS = ("위탁콜 전국적으로 하는 건가요?", "대전도 되나요?")
Q2_EXPECTED = "대전"
STOCK_TURNS = ("hi", "I am sad", "yes", "bye")
STOCK_EXPECTED = "Bye"
# "population": conversation n is POPULATION[n % 4] — half Q3, interleaved with Q1 and Q2
POPULATION = ("q3", "q1", "q3", "q2")
MIXES = ("q3", "population", "stock")


def _script(mix: str, number: int):
    """(kind, driver id or None, turns, expected words in the last reply) of conversation `number`."""
    if mix == "stock":
        return "stock", None, STOCK_TURNS, STOCK_EXPECTED
    kind = POPULATION[number % len(POPULATION)] if mix == "population" else "q3"
    # the drivers in turn; with the population mix each kind meets every driver
    driver_id = list(DRIVERS)[(number // (len(POPULATION) if mix == "population" else 1)) % len(DRIVERS)]
    name, phone, outcome = DRIVERS[driver_id]
    if kind == "q1":
        return kind, driver_id, Q1_TURNS, Q1_EXPECTED
    if kind == "q2":
        return kind, driver_id, Q2_TURNS, Q2_EXPECTED
    return kind, driver_id, (REPORT, "네 카카오요", name, phone), outcome


async def _conversation(session, url: str, number: int, secret: str, retry_for_s: float,
                        mix: str = "q3") -> Conversation:
    kind, driver_id, turns, expected = _script(mix, number)
    # an anonymous sender must be unguessable (a UUID); the tokens' conversations are named freely
    conversation = Conversation(f"load-{uuid.uuid4().hex}", driver_id, kind=kind, expected=expected)
    token = mint_driver_token(driver_id, secret) if driver_id else None
    try:
        for _ in range(MAX_RESTARTS):
            for text in turns:
                conversation.turns.append(await _turn(session, url, conversation.sender, text, token, retry_for_s))
            if LOOKUP_UNAVAILABLE not in conversation.final_text:
                break
            await asyncio.sleep(2 + random.random() * 3)  # told to try again later: the driver does
    except Exception as error:  # noqa: BLE001 (a failed conversation is a result)
        conversation.error = f"{conversation.sender}: {error}"
    return conversation


async def run(url: str, conversations: int, concurrency: int, secret: str, retry_for_s: float = 120.0,
              timeout_s: float = 60.0, mix: str = "q3") -> LoadResult:
    """`conversations` conversations of `mix` (MIXES), at most `concurrency` at a time."""
    if mix not in MIXES:
        raise ValueError(f"mix must be one of {MIXES}")
    limit = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
        async def one(number: int) -> Conversation:
            async with limit:
                return await _conversation(session, url, number, secret, retry_for_s, mix)

        started = time.monotonic()
        done = await asyncio.gather(*(one(n) for n in range(conversations)))
        return LoadResult(list(done), time.monotonic() - started)
