"""본인확인 (CONTRACT §4): only a valid token whose driver matches the name and phone passes."""
from __future__ import annotations

import base64
import datetime as dt
import json

import jwt
import pytest

from consignment.assist_store import AssistStore
from consignment.identity import (
    IdentityNotVerified,
    mint_driver_token,
    phone_digest,
    verify_driver_token,
)
from consignment.restriction import RestrictionAnswer, answer_restriction_inquiry
from tests.conftest import TEST_SECRET


def token_for(driver_id="D-1001", **changes):
    now = dt.datetime.now(dt.timezone.utc)
    claims = {"sub": driver_id, "iat": int(now.timestamp()), "exp": int((now + dt.timedelta(hours=1)).timestamp())}
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, TEST_SECRET, algorithm="HS256")


def refusal(callable_, *args, **kwargs) -> str:
    with pytest.raises(IdentityNotVerified) as raised:
        callable_(*args, **kwargs)
    return raised.value.code


def test_a_valid_token_names_its_driver():
    assert verify_driver_token(mint_driver_token("D-1001", TEST_SECRET)) == "D-1001"


def test_no_token_is_refused():
    assert refusal(verify_driver_token, None) == IdentityNotVerified.NO_TOKEN


def test_a_token_signed_with_another_secret_is_refused():
    forged = jwt.encode({"sub": "D-1001", "exp": 4102444800}, "another-secret-of-enough-length!!", algorithm="HS256")
    assert refusal(verify_driver_token, forged) == IdentityNotVerified.INVALID_TOKEN


def test_an_unsigned_alg_none_token_is_refused():
    def b64(part: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'sub': 'D-1001', 'exp': 4102444800})}."
    assert refusal(verify_driver_token, unsigned) == IdentityNotVerified.INVALID_TOKEN


def test_an_expired_token_is_refused():
    expired = token_for(exp=int((dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)).timestamp()))
    assert refusal(verify_driver_token, expired) == IdentityNotVerified.EXPIRED_TOKEN


def test_a_token_without_exp_is_refused():
    assert refusal(verify_driver_token, token_for(exp=None)) == IdentityNotVerified.INVALID_TOKEN


def test_a_token_without_sub_is_refused():
    assert refusal(verify_driver_token, token_for(sub=None)) == IdentityNotVerified.INVALID_TOKEN


def test_nothing_verifies_when_no_secret_is_configured(monkeypatch):
    monkeypatch.delenv("DRIVER_TOKEN_SECRET")
    assert refusal(verify_driver_token, token_for()) == IdentityNotVerified.NO_SECRET


# 본인확인 as the Q3 answer runs it (consignment.restriction.answer_restriction_inquiry): the token,
# then the name and phone against the token's driver; nothing from the record unless both match.
@pytest.fixture
def check(sqlite_repository, tmp_path):
    store = AssistStore(f"sqlite:///{tmp_path / 'assist.db'}")

    def run(token: str, name: str, phone: str) -> str:
        return answer_restriction_inquiry(token, name, phone_digest(phone), sqlite_repository, store).kind

    return run


def test_the_tokens_driver_with_matching_name_and_phone_hears_the_record(check):
    assert check(token_for("D-1001"), "김민수", "010-1234-5678") == RestrictionAnswer.SUSPENDED


def test_a_name_given_with_spaces_still_matches(check):
    assert check(token_for("D-1001"), "김 민수", "010-1234-5678") == RestrictionAnswer.SUSPENDED


def test_another_drivers_name_and_phone_with_my_token_are_refused(check):
    assert check(token_for("D-1003"), "김민수", "010-1234-5678") == RestrictionAnswer.NOT_VERIFIED


def test_the_right_name_with_a_wrong_phone_is_refused(check):
    assert check(token_for("D-1001"), "김민수", "010-9999-9999") == RestrictionAnswer.NOT_VERIFIED


def test_the_right_phone_with_a_wrong_name_is_refused(check):
    assert check(token_for("D-1001"), "김민준", "010-1234-5678") == RestrictionAnswer.NOT_VERIFIED


def test_a_token_for_a_driver_not_on_record_is_refused(check):
    assert check(token_for("D-9999"), "김민수", "010-1234-5678") == RestrictionAnswer.NOT_VERIFIED


def test_a_token_that_expired_before_the_lookup_is_refused_with_the_right_details(check):
    expired = token_for(exp=int((dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)).timestamp()))
    assert check(expired, "김민수", "010-1234-5678") == RestrictionAnswer.NOT_VERIFIED


def test_the_phone_digest_does_not_contain_the_number():
    digest = phone_digest("010-1234-5678")
    assert "1234" not in digest and "5678" not in digest and len(digest) == 64


def test_an_agent_token_living_longer_than_revocations_are_kept_is_refused(monkeypatch):
    import datetime as dt_

    from consignment.agent_auth import AgentAuthError, mint_agent_token, verify_agent_authorization

    monkeypatch.setenv("RETENTION_REVOKED_TOKENS_DAYS", "30")
    long_lived = mint_agent_token("A-1", "agent-secret", ttl=dt_.timedelta(days=365), role="lead")
    with pytest.raises(AgentAuthError) as refused:
        verify_agent_authorization(f"Bearer {long_lived}", secret="agent-secret", required_role="lead")
    assert refused.value.status == 401
    assert verify_agent_authorization(f"Bearer {mint_agent_token('A-1', 'agent-secret')}", secret="agent-secret").agent_id == "A-1"


@pytest.mark.parametrize("name", ["RETENTION_REVOKED_TOKENS_DAYS", "RETENTION_IDENTITY_FAILURES_DAYS", "RETENTION_CONVERSATIONS_DAYS"])
def test_a_retention_of_zero_days_stops_the_start(monkeypatch, name):
    from consignment import settings

    monkeypatch.setenv(name, "0")
    with pytest.raises(SystemExit):
        settings.retention()


def test_the_holder_of_a_chat_is_the_signed_tokens_driver_expired_or_not_and_asking_again_says_the_same():
    from consignment.identity import token_holder

    expired = token_for("D-1002", exp=1)
    assert [token_holder(expired, TEST_SECRET) for _ in range(3)] == ["D-1002"] * 3
    assert token_holder(token_for("D-1003"), TEST_SECRET) == "D-1003"


def test_a_token_that_was_a_holder_under_one_secret_is_nobody_under_another():
    from consignment.identity import token_holder

    token = token_for("D-1001")
    assert token_holder(token, TEST_SECRET) == "D-1001"
    assert token_holder(token, "another-secret-after-rotation-0123456789") is None
    assert token_holder(token[:-2] + "xx", TEST_SECRET) is None  # a forged signature, asked twice
    assert token_holder(token[:-2] + "xx", TEST_SECRET) is None
