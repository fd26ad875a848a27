"""본인확인 (CONTRACT §4): who the driver in a chat is, and whether they may see a record.

The driver app opens the chat with a driver token (JWT, HS256, DRIVER_TOKEN_SECRET, `sub` =
driver id, `exp` required). A suspension reason is disclosed only when, at lookup time, the
token is valid and unexpired and the name and phone given in chat match the record of the
token's driver. Every failure is the same answer to the driver: nothing from the record.

The phone number never sits in a slot: the chat keeps a keyed digest of it, compared here.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

import jwt

from consignment import settings

logger = logging.getLogger(__name__)

ALGORITHM = "HS256"
TOKEN_METADATA_KEY = "driver_token"
# Driver channels whose messages never carry a driver token (KakaoTalk: Open Builder knows no
# driver app): 본인확인 cannot succeed there, so it is not asked for — the driver is told how to
# get the answer instead (CONTRACT §4), as a tokenless REST turn is after its failed check
TOKENLESS_CHANNELS = ("kakao",)
# a JWT anywhere in a text (a driver pasting their link into the chat): never stored
# base64url only: Python's \w would take the Korean typed straight after a token ("…입니다") into the mask
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
TOKEN_MASK = "[token]"
# After this many failed 본인확인 for one driver within the window, no lookup runs for that
# driver until the window has passed (CONTRACT §4): an agent can still help.
MAX_FAILED_CHECKS = 5
FAILED_CHECKS_WINDOW = dt.timedelta(hours=1)


class IdentityNotVerified(Exception):
    """Why a driver could not be verified. For logs only: the driver hears one message."""

    NO_TOKEN = "no_token"
    INVALID_TOKEN = "invalid_token"
    EXPIRED_TOKEN = "expired_token"
    NO_SECRET = "no_secret_configured"
    UNKNOWN_DRIVER = "unknown_driver"
    MISMATCH = "name_or_phone_mismatch"

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def verify_driver_token(
    token: Optional[str], secret: Optional[str] = None, now: Optional[dt.datetime] = None
) -> str:
    """The driver id the token was issued for; raises IdentityNotVerified otherwise."""
    secret = secret if secret is not None else settings.driver_token_secret()
    if not secret:
        raise IdentityNotVerified(IdentityNotVerified.NO_SECRET)
    if not token or not isinstance(token, str):
        raise IdentityNotVerified(IdentityNotVerified.NO_TOKEN)
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],  # a token saying alg "none" or RS256 is refused here
            options={"require": ["exp", "sub"], "verify_exp": now is None},
        )
    except jwt.ExpiredSignatureError:
        raise IdentityNotVerified(IdentityNotVerified.EXPIRED_TOKEN) from None
    except jwt.PyJWTError:
        raise IdentityNotVerified(IdentityNotVerified.INVALID_TOKEN) from None
    if now is not None and claims["exp"] <= now.timestamp():
        raise IdentityNotVerified(IdentityNotVerified.EXPIRED_TOKEN)
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise IdentityNotVerified(IdentityNotVerified.INVALID_TOKEN)
    return subject


def token_holder(token: Optional[str], secret: Optional[str] = None) -> Optional[str]:
    """The driver a correctly signed token names, expired or not: who holds the chat, not
    whether a record may be disclosed (that needs an unexpired token, at lookup time)."""
    secret = secret if secret is not None else settings.driver_token_secret()
    if not secret or not token or not isinstance(token, str):
        return None
    return _signed_subject(token, secret)


# every turn asks who holds its chat, with the same token all conversation long: the signature
# check (~3 % of the Rasa process's loop under load) is remembered for the token and secret it
# was made with — the answer cannot change for them (expiry is not part of it; a new secret misses)
@functools.lru_cache(maxsize=4096)
def _signed_subject(token: str, secret: str) -> Optional[str]:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM],
                            options={"require": ["sub"], "verify_exp": False})
    except jwt.PyJWTError:
        return None
    subject = claims.get("sub")
    return subject if isinstance(subject, str) and subject else None


def token_in_force(token: Optional[str], secret: Optional[str] = None) -> bool:
    """Whether the token is valid and unexpired now: what anything personal for a driver needs
    (token_holder only says who holds a chat)."""
    try:
        verify_driver_token(token, secret)
        return True
    except IdentityNotVerified:
        return False


def mint_driver_token(
    driver_id: str, secret: str, ttl: dt.timedelta = dt.timedelta(hours=1), now: Optional[dt.datetime] = None
) -> str:
    """A driver token as the driver app would issue it (demo mode, tests, benchmarks)."""
    issued = now or dt.datetime.now(dt.timezone.utc)
    return jwt.encode(
        {"sub": driver_id, "iat": int(issued.timestamp()), "exp": int((issued + ttl).timestamp())},
        secret,
        algorithm=ALGORITHM,
    )


def mask_tokens_in(text: str) -> str:
    return _JWT.sub(TOKEN_MASK, text)


def phone_digest(phone: str, secret: Optional[str] = None) -> str:
    """Keyed digest of a normalised phone number: comparable, not reversible without the key."""
    key = (secret if secret is not None else settings.driver_token_secret()) or ""
    return hmac.new(
        hashlib.sha256(b"phone-digest:" + key.encode()).digest(), phone.encode(), hashlib.sha256
    ).hexdigest()


def driver_digest(driver_id: str, secret: Optional[str] = None) -> str:
    """Keyed digest of a verified driver's id: the conversation remembers *who* passed 본인확인
    (for a follow-up question) without holding the id itself."""
    key = (secret if secret is not None else settings.driver_token_secret()) or ""
    return hmac.new(
        hashlib.sha256(b"driver-digest:" + key.encode()).digest(), driver_id.encode(), hashlib.sha256
    ).hexdigest()


def same_name(given: str, on_record: str) -> bool:
    def norm(name: str) -> str:
        return "".join(unicodedata.normalize("NFC", name).split())

    return bool(given) and norm(given) == norm(on_record)


@dataclass(frozen=True)
class VerifiedDriver:
    driver_id: str


def match_record(
    driver_id: str,
    given_name: Optional[str],
    given_phone_digest: Optional[str],
    find_driver,
    secret: Optional[str] = None,
) -> VerifiedDriver:
    """The name and phone given in chat against the record of the token's driver."""
    driver = find_driver(driver_id)
    if driver is None:
        raise IdentityNotVerified(IdentityNotVerified.UNKNOWN_DRIVER)
    phone_ok = bool(given_phone_digest) and hmac.compare_digest(
        given_phone_digest, phone_digest(driver.phone, secret)
    )
    if not (phone_ok and same_name(given_name or "", driver.name)):
        raise IdentityNotVerified(IdentityNotVerified.MISMATCH)
    return VerifiedDriver(driver_id)
