"""Terminal chat with the running assistant, over its REST channel (as the driver app would).

    python scripts/chat.py [--driver D-1001] [--url http://localhost:5005]

With --driver (demo mode), a driver token for that demo driver is minted with
DRIVER_TOKEN_SECRET and sent as metadata with every message, as the driver app does
(CONTRACT §4). Without it the chat is anonymous: suspension reasons are never shown.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from consignment.identity import mint_driver_token  # noqa: E402


def send(url: str, sender: str, text: str, token: str | None) -> list:
    body = {"sender": sender, "message": text}
    if token:
        body["metadata"] = {"driver_token": token}
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode() or "[]")


def show(replies: list) -> None:
    if not replies:
        print("봇 > (답변이 없어요.)")
    for reply in replies:
        if reply.get("text"):
            print("봇 > " + reply["text"].replace("\n", "\n      "))
        for button in reply.get("buttons") or []:
            print(f"      [{button['title']}]  → 입력: {button['payload']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("RASA_URL", "http://localhost:5005"))
    parser.add_argument("--driver", help="demo driver id (D-1001 … D-1007); demo mode only")
    args = parser.parse_args()

    token = None
    if args.driver:
        secret = os.environ.get("DRIVER_TOKEN_SECRET")
        if os.environ.get("ASSISTANT_DEMO_MODE") != "1" or not secret:
            print("데모 모드가 아니어서 기사 토큰을 만들 수 없어요 (ASSISTANT_DEMO_MODE=1, DRIVER_TOKEN_SECRET 필요).")
            return 2
        token = mint_driver_token(args.driver, secret)
        print(f"[데모] {args.driver} 기사 앱에서 연 채팅처럼 토큰을 함께 보냅니다.")
    else:
        print("[익명] 기사 토큰 없이 대화합니다: 배차 제한 사유는 안내되지 않아요.")
    sender = f"terminal-{uuid.uuid4().hex}"
    print("종료: /quit · 버튼은 → 뒤의 값을 입력하세요.\n")
    while True:
        try:
            text = input("나 > ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text in ("/quit", "/exit", "종료"):
            return 0
        if not text:
            continue
        try:
            show(send(args.url, sender, text, token))
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            print("봇 > 지금 상담 도우미에 연결할 수 없어요. 잠시 후 다시 시도해 주세요.")


if __name__ == "__main__":
    sys.exit(main())
