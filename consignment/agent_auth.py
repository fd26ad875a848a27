"""Agent tokens for the agent-assist API (issue 3).

`Authorization: Bearer <JWT>`, HS256 with AGENT_TOKEN_SECRET, claims `sub` (agent id),
`role` ("agent", or "lead" for the CS lead's numbers), `exp`, and `jti` (the token's id, which
a revocation names). A driver token is never an agent token: it is signed with another secret
and carries no agent role.
"""
from __future__ import annotations

import datetime as dt
import sys
import uuid
from dataclasses import dataclass
from typing import Optional

import jwt

from consignment import settings
from consignment.content import message

ALGORITHM = "HS256"
AGENT_ROLE = "agent"
LEAD_ROLE = "lead"
# what each role may do: a lead is also an agent
ROLES = {AGENT_ROLE: {AGENT_ROLE}, LEAD_ROLE: {AGENT_ROLE, LEAD_ROLE}}


class AgentAuthError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Agent:
    agent_id: str
    role: str
    token_id: str
    expires_at: int

    def may(self, role: str) -> bool:
        return role in ROLES.get(self.role, set())


def verify_agent_authorization(
    header: Optional[str],
    secret: Optional[str] = None,
    required_role: str = AGENT_ROLE,
) -> Agent:
    """The agent of a valid agent token with the role; AgentAuthError(401|403). Whether the
    token was revoked is the store's to say (server/assist_channel.py asks it by `jti`)."""
    secret = secret if secret is not None else settings.agent_token_secret()
    if not header or not header.startswith("Bearer "):
        raise AgentAuthError(401, message("agent_auth", "token_required"))
    if not secret:
        raise AgentAuthError(401, message("agent_auth", "not_configured"))
    token = header[len("Bearer ") :].strip()
    try:
        # a token without an id could never be revoked: refused
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "iat", "sub", "jti"]})
    except jwt.ExpiredSignatureError:
        raise AgentAuthError(401, message("agent_auth", "expired")) from None
    except jwt.PyJWTError:
        raise AgentAuthError(401, message("agent_auth", "invalid")) from None
    # a revocation is remembered RETENTION_REVOKED_TOKENS_DAYS (then purged): a token that lives
    # longer could outlive its revocation, so it is refused outright
    try:
        lifetime_s = int(claims["exp"]) - int(claims["iat"])
    except (TypeError, ValueError):
        raise AgentAuthError(401, message("agent_auth", "invalid")) from None
    if lifetime_s > settings.retention().revoked_tokens_days * 86400:
        raise AgentAuthError(401, message("agent_auth", "lives_too_long"))
    agent = Agent(str(claims["sub"]), str(claims.get("role")), str(claims["jti"]), int(claims["exp"]))
    if agent.role not in ROLES or not agent.may(required_role):
        raise AgentAuthError(403, message("agent_auth", "wrong_role"))
    return agent


def mint_agent_token(agent_id: str, secret: str, ttl: dt.timedelta = dt.timedelta(hours=8), role: str = AGENT_ROLE) -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return jwt.encode(
        {"sub": agent_id, "role": role, "jti": uuid.uuid4().hex,
         "iat": int(now.timestamp()), "exp": int((now + ttl).timestamp())},
        secret,
        algorithm=ALGORITHM,
    )


if __name__ == "__main__":  # python -m consignment.agent_auth A-01 [lead]   (demo mode only)
    if not settings.demo_mode() or not settings.agent_token_secret():
        sys.exit(message("agent_auth", "demo_only"))
    agent = sys.argv[1] if len(sys.argv) > 1 else "A-DEMO"
    role = sys.argv[2] if len(sys.argv) > 2 else AGENT_ROLE
    print(f"# [DEMO] {role} token for {agent}, valid 8 h", file=sys.stderr)
    print(mint_agent_token(agent, settings.agent_token_secret(), role=role))
