"""What server/ assumes of Rasa's private code, checked once when the Rasa server starts.

server/ patches Rasa 3.6 and leans on attributes Rasa does not promise to keep: a patch release
that renames one (FailSafeTrackerStore's `_tracker_store`, SQLTrackerStore's `_event_query`, the
widget channel's `sio`…) would not break the import — the redaction, the pause, the outage
apology or the store's "never from memory" would just stop working, or fail every turn. So each
module that relies on an internal declares it here, next to the code that uses it:

    self_check.requires(__name__, "rasa.core.actions.action.RemoteAction", "run",
                        signature=("self", "output_channel", "nlg", "tracker", "domain"))
    self_check.requires_on_instance(__name__, "FailSafeTrackerStore", make_one, "_tracker_store")

and `verify()` (run by server/__init__.py once every patching module is imported) refuses the
start with StartupCheckFailed — a RasaException: `rasa run` prints it and exits 1 — naming every
assumption that no longer holds. Nothing here patches anything.
"""
from __future__ import annotations

import importlib
import inspect
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Sequence, Tuple

from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)


class StartupCheckFailed(RasaException):
    """A Rasa internal that server/ relies on is gone: the server must not start."""


@dataclass(frozen=True)
class Assumption:
    """`attributes` (dotted paths) exist on `target` — a dotted import path, or, with `make`, on
    the object `make()` returns (attributes that Rasa sets in `__init__`); `signature`: the
    parameter names of the callable `target` (a patch replacing it takes exactly these)."""

    owner: str
    target: str
    attributes: Tuple[str, ...] = ()
    signature: Optional[Tuple[str, ...]] = None
    make: Optional[Callable[[], Any]] = field(default=None, compare=False)


_registered: List[Assumption] = []


def requires(owner: str, target: str, *attributes: str, signature: Optional[Sequence[str]] = None) -> None:
    """`owner` (a module's __name__) relies on `target` (e.g. "rasa.core.tracker_store.SQLTrackerStore")
    having `attributes` (dotted: "SQLEvent.__table__.c.sender_id"), and, with `signature`, on the
    callable `target` taking exactly those parameters."""
    _register(Assumption(owner, target, tuple(attributes), tuple(signature) if signature is not None else None))


def requires_on_instance(owner: str, target: str, make: Callable[[], Any], *attributes: str) -> None:
    """`owner` relies on the object `make()` builds (one of `target`, described by its name)
    having `attributes` — for attributes Rasa sets in `__init__`, which no class lookup sees."""
    _register(Assumption(owner, target, tuple(attributes), None, make))


def _register(assumption: Assumption) -> None:
    if assumption not in _registered:  # a module imported twice (tests) declares once
        _registered.append(assumption)


def registered() -> List[Assumption]:
    return list(_registered)


def _resolve(path: str) -> Any:
    """The object at a dotted path: the longest importable module, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)  # AttributeError: reported by the caller
        return found
    raise ImportError(f"no module in {path!r}")


def _missing(obj: Any, dotted: str) -> Optional[str]:
    for name in dotted.split("."):
        if not hasattr(obj, name):
            return name
        obj = getattr(obj, name)
    return None


def problems(assumptions: Optional[Sequence[Assumption]] = None) -> List[str]:
    """One sentence for each assumption that does not hold (all registered ones by default)."""
    found: List[str] = []
    for each in registered() if assumptions is None else assumptions:
        where = f"{each.owner} relies on {each.target}"
        try:
            obj = each.make() if each.make is not None else _resolve(each.target)
        except Exception as error:  # noqa: BLE001 - whatever Rasa changed, it is reported, not raised
            found.append(f"{where}, which cannot be {'built' if each.make else 'imported'}: "
                         f"{type(error).__name__}: {error}")
            continue
        for attribute in each.attributes:
            gone = _missing(obj, attribute)
            if gone is not None:
                found.append(f"{where} having `{attribute}`, and `{gone}` is gone")
        if each.signature is not None:
            try:
                parameters = tuple(inspect.signature(obj).parameters)
            except (TypeError, ValueError) as error:
                found.append(f"{where} being callable: {error}")
                continue
            if parameters != each.signature:
                found.append(f"{where} taking ({', '.join(each.signature)}), "
                             f"but it takes ({', '.join(parameters)})")
    return found


def verify(assumptions: Optional[Sequence[Assumption]] = None) -> None:
    """Raises StartupCheckFailed naming every broken assumption; logs how many held."""
    broken = problems(assumptions)
    if broken:
        raise StartupCheckFailed(
            "this Rasa version lacks what server/ patches or relies on — the server does not start "
            "(see server/self_check.py):\n  - " + "\n  - ".join(broken)
        )
    logger.debug("start-up self-check: %d assumptions about Rasa hold", len(registered() if assumptions is None else assumptions))
