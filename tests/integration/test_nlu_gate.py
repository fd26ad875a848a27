"""The NLU gate: every held-out and blind message through the live server's `/model/parse`.

Below a floor the suite fails, so that a model that understands drivers worse cannot land.
Two sets, never trained on (docs/nlu.md):
- tests/nlu/heldout.yml — written by the developers, whose failure kinds earlier rounds trained on
  (an upper bound);
- tests/nlu/blind/ — written by someone who never read the training data, frozen (its README):
  the honest figure. Its failures are never turned into training examples.

The floors sit a little under what `make evaluate` measured for the model of this commit, so
that noise between trainings (fixed seeds, but two cores and TensorFlow's threads) does not
fail the suite while a real regression does. `partner_app` is this project's own entity, not the
contract's: it is not scored.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Set, Tuple

import pytest
import requests
from rasa.shared.nlu.training_data.loading import load_data

from tests.conftest import PROJECT_ROOT
from tests.live_servers import API_TOKEN

pytestmark = pytest.mark.live

OUT_OF_SCOPE, FALLBACK = "out_of_scope", "nlu_fallback"
UNSCORED_ENTITIES = {"partner_app"}
SETS = {
    "heldout": PROJECT_ROOT / "tests" / "nlu" / "heldout.yml",
    "blind": PROJECT_ROOT / "tests" / "nlu" / "blind" / "blind_2026_12.yml",
    "blind2": PROJECT_ROOT / "tests" / "nlu" / "blind" / "blind_2026_12b.yml",
}
# (intent accuracy, out-of-scope recall, in-scope recall, messages with all entities right)
FLOORS: Dict[str, Tuple[float, float, float, float]] = {
    # measured 2026-12-02, round 2's end (development set and call-type answers): 97.9 %, 97.9 %
    # (47 of 48: one more miss would sit on a 0.97 floor), 99.6 %, 98.9 %; round 1's end: 98.5 %, 100 %, 99.3 %, 99.5 %
    "heldout": (0.97, 0.95, 0.97, 0.97),
    # measured then: 95.4 %, 96.3 %, 99.2 %, 97.6 % (round 1's end: 94.5 %, 96.3 %, 98.8 %, 97.1 %)
    "blind": (0.94, 0.95, 0.97, 0.94),
    # the second blind set (round 2, frozen before that round's changes): 95.2 %, 92.2 %, 97.7 %, 93.8 %
    # at round 2's end; its first reading, with round 1's model: 94.9 %, 92.2 %, 97.7 %, 93.8 %
    "blind2": (0.94, 0.90, 0.96, 0.92),
}


@dataclass
class Parsed:
    text: str
    gold_intent: str
    intent: str
    gold_entities: Set[Tuple[str, str]]
    entities: Set[Tuple[str, str]]


def _pairs(entities) -> Set[Tuple[str, str]]:
    return {(e["entity"], str(e["value"])) for e in entities or [] if e["entity"] not in UNSCORED_ENTITIES}


@pytest.fixture(scope="module")
def parsed(assistant) -> Dict[str, List[Parsed]]:
    results: Dict[str, List[Parsed]] = {}
    with requests.Session() as session:
        for name, path in SETS.items():
            results[name] = []
            for example in load_data(str(path)).intent_examples:
                answer = session.post(f"{assistant.url}/model/parse", params={"token": API_TOKEN},
                                      json={"text": example.get("text")}, timeout=30)
                answer.raise_for_status()
                body = answer.json()
                results[name].append(Parsed(
                    example.get("text"), example.get("intent"), (body.get("intent") or {}).get("name"),
                    _pairs(example.get("entities")), _pairs(body.get("entities")),
                ))
    return results


def _share(rows: List[Parsed], hit) -> float:
    assert rows, "no messages to score"
    return sum(1 for row in rows if hit(row)) / len(rows)


def _misses(rows: List[Parsed], hit) -> str:
    return "\n".join(f"  {r.gold_intent} → {r.intent}: {r.text}" for r in rows if not hit(r))[:3000]


@pytest.mark.parametrize("name", SETS)
def test_intent_accuracy_stays_above_its_floor(parsed, name):
    rows, hit = parsed[name], (lambda r: r.intent == r.gold_intent)
    assert _share(rows, hit) >= FLOORS[name][0], _misses(rows, hit)


@pytest.mark.parametrize("name", SETS)
def test_out_of_scope_questions_are_recognised(parsed, name):
    rows, hit = [r for r in parsed[name] if r.gold_intent == OUT_OF_SCOPE], (lambda r: r.intent == OUT_OF_SCOPE)
    assert _share(rows, hit) >= FLOORS[name][1], _misses(rows, hit)


@pytest.mark.parametrize("name", SETS)
def test_questions_the_article_answers_are_not_turned_away(parsed, name):
    rows = [r for r in parsed[name] if r.gold_intent != OUT_OF_SCOPE]
    hit = lambda r: r.intent not in (OUT_OF_SCOPE, FALLBACK)  # noqa: E731
    assert _share(rows, hit) >= FLOORS[name][2], _misses(rows, hit)


@pytest.mark.parametrize("name", SETS)
def test_entities_are_found_with_their_contract_values(parsed, name):
    rows = [r for r in parsed[name] if r.gold_entities]
    hit = lambda r: r.entities == r.gold_entities  # noqa: E731
    assert _share(rows, hit) >= FLOORS[name][3], "\n".join(
        f"  {r.text}: want {sorted(r.gold_entities)}, got {sorted(r.entities)}" for r in rows if not hit(r))[:3000]
