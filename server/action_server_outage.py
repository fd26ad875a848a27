"""When the action server cannot be reached, the driver hears an apology, not silence or a guess.

Rasa 3.6 logs a failed custom action and carries on predicting with the action's events lost,
which can leave the driver without a reply or walk a rule on to an unrelated answer. Wrapping
RemoteAction.run turns "could not run the action" into one apology with the agent button, and
waits for the driver. ActionExecutionRejection (a form rejecting a message) passes unchanged.
"""
from __future__ import annotations

import logging
from typing import Any, List

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, FollowupAction
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

APOLOGY = (
    "죄송합니다. 지금 일시적인 문제로 답변을 드리기 어렵습니다. "
    "잠시 후 다시 말씀해 주시거나 상담원 연결을 요청해 주세요."
)
AGENT_BUTTON = [{"title": "상담원 연결", "payload": "/request_human"}]

_original_run = RemoteAction.run


async def _run_or_apologise(self: RemoteAction, *args: Any, **kwargs: Any) -> List[Event]:
    try:
        return await _original_run(self, *args, **kwargs)
    except ActionExecutionRejection:
        raise
    except RasaException as error:
        logger.error("action server unavailable for '%s': %s", self.name(), str(error).splitlines()[0])
        return [
            BotUttered(APOLOGY, {"buttons": AGENT_BUTTON}, {"utter_action": "action_server_unavailable"}),
            ActiveLoop(None),
            FollowupAction("action_listen"),
        ]


def install() -> None:
    if RemoteAction.run is not _run_or_apologise:
        RemoteAction.run = _run_or_apologise
