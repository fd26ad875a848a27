"""Rasa 3.6's action calls, as a current rasa_sdk must read them (docs/platform.md).

rasa_sdk 3.14 and newer (the first that run on Python 3.12+) expect Rasa Pro's protocol: the
domain comes once with a `domain_digest`, later calls carry only the digest, and a call the SDK
has no domain for is answered 449 so that Rasa sends it again. Rasa 3.6 sends no digest and, with
selective domain (endpoints.yml), no domain to actions that do not ask for one (domain.yml
`send_domain`), and it does not understand 449: every such action would fail. A call with neither
a domain nor a digest runs with an empty domain, as rasa_sdk 3.6 ran it; a digest (Rasa Pro) keeps
the SDK's own handling. rasa_sdk 3.6 (`.venv/bin/rasa run actions`) has no digest: nothing changes.
"""
from __future__ import annotations

from rasa_sdk.executor import ActionExecutor

_digest_aware = getattr(ActionExecutor, "update_and_return_domain", None)


def _domain_of_call(executor: ActionExecutor, payload: dict, action_name: str) -> dict:
    if payload.get("domain") is None and payload.get("domain_digest") is None:
        return {}
    return _digest_aware(executor, payload, action_name)


if _digest_aware is not None:
    ActionExecutor.update_and_return_domain = _domain_of_call
