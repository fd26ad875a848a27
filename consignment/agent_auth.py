"""Agent tokens for the agent-assist API (issue 3).

`Authorization: Bearer <JWT>`, HS256 with AGENT_TOKEN_SECRET, claims `sub` (agent id),
`role: "agent"`, `exp`. A driver token is never an agent token: it is signed with another
secret and carries no agent role.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Optional

import jwt

ALGORITHM = "HS256"
AGENT_ROLE = "agent"


class AgentAuthError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def agent_token_secret() -> Optional[str]:
    return os.environ.get("AGENT_TOKEN_SECRET") or None


def verify_agent_authorization(header: Optional[str], secret: Optional[str] = None) -> str:
    """The agent id of a valid agent token; AgentAuthError(401|403) otherwise."""
    secret = secret if secret is not None else agent_token_secret()
    if not header or not header.startswith("Bearer "):
        raise AgentAuthError(401, "상담사 토큰이 필요합니다 (Authorization: Bearer …).")
    if not secret:
        raise AgentAuthError(401, "상담사 인증이 설정되지 않았습니다 (AGENT_TOKEN_SECRET).")
    token = header[len("Bearer ") :].strip()
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise AgentAuthError(401, "상담사 토큰이 만료되었습니다.") from None
    except jwt.PyJWTError:
        raise AgentAuthError(401, "유효하지 않은 상담사 토큰입니다.") from None
    if claims.get("role") != AGENT_ROLE:
        raise AgentAuthError(403, "상담사 권한이 없는 토큰입니다.")
    return str(claims["sub"])


def mint_agent_token(agent_id: str, secret: str, ttl: dt.timedelta = dt.timedelta(hours=8), role: str = AGENT_ROLE) -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return jwt.encode(
        {"sub": agent_id, "role": role, "iat": int(now.timestamp()), "exp": int((now + ttl).timestamp())},
        secret,
        algorithm=ALGORITHM,
    )


if __name__ == "__main__":  # python -m consignment.agent_auth A-01   (demo mode only)
    if os.environ.get("ASSISTANT_DEMO_MODE") != "1" or not agent_token_secret():
        sys.exit("[데모 전용] ASSISTANT_DEMO_MODE=1 과 AGENT_TOKEN_SECRET 이 있어야 상담사 토큰을 만들 수 있습니다.")
    agent = sys.argv[1] if len(sys.argv) > 1 else "A-DEMO"
    print(f"# [DEMO] agent token for {agent}, valid 8 h", file=sys.stderr)
    print(mint_agent_token(agent, agent_token_secret()))
