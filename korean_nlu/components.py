"""Rasa graph components of the Korean NLU pipeline (config.yml names them).

- KiwiTokenizer: morpheme tokens with exact offsets, normalised forms as lemmas.
- JamoCountVectorsFeaturizer: character n-grams over jamo, so that a typo (콜마나/콜마너,
  안되여/안돼요) shares most features with the right spelling.
- KoreanEntityRuler: closed vocabularies through spaCy's EntityRuler, plus phone numbers.
- KoreanEntityNormalizer: one value per thing (CONTRACT §2) whichever extractor found it.
- RegionQuestionRule: a place and an availability cue make a region question (Q2).
- UncoveredTopicRule: the article's words about a topic it does not cover are out of scope.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from korean_nlu import analyzer
from consignment.phone import find_phone_numbers
from korean_nlu.text import extract_driver_name, to_jamo


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class KiwiTokenizer(Tokenizer):
    """Tokenizes Korean with Kiwi; tokens index the original message text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Rasa's Tokenizer base class reads these two
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KiwiTokenizer:
        analyzer.kiwi()  # load the model now, not on the first message
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        from consignment.vocabulary import vocabulary

        text = message.get(attribute)
        # an English word in a Korean message is featurised as the Korean word it stands for
        gloss = vocabulary().english_gloss
        tokens = [
            Token(piece.text, piece.start, end=piece.end, lemma=gloss(piece.text) or piece.lemma)
            for piece in analyzer.pieces(text)
        ]
        if not tokens:  # Rasa expects at least one token (e.g. a message of only spaces)
            tokens = [Token(text, 0, end=len(text), lemma=text)]
        return self._apply_token_pattern(tokens)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class JamoCountVectorsFeaturizer(CountVectorsFeaturizer):
    """CountVectorsFeaturizer over the jamo spelling of each token's text."""

    def _process_tokens(self, tokens: List[Text], attribute: Text = TEXT) -> List[Text]:
        tokens = super()._process_tokens(tokens, attribute)
        if attribute != TEXT:
            return tokens
        return [to_jamo(token) for token in tokens]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class KoreanEntityRuler(GraphComponent, EntityExtractorMixin):
    """Call types, ordering companies, the partner app and places from the content files
    (spaCy EntityRuler over Kiwi tokens), mobile phone numbers (pattern), and a name given as
    an answer (korean_nlu.text)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KoreanEntityRuler:
        from korean_nlu.spacy_pipeline import korean_nlp

        korean_nlp()  # build the patterns once, at start-up
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        from korean_nlu.spacy_pipeline import ruled_entities

        for message in messages:
            text = message.get(TEXT) or ""
            found = ruled_entities(text) + [
                {"entity": "phone_number", "start": start, "end": end, "value": number}
                for start, end, number in find_phone_numbers(text)
            ] + _name_answer(text)
            found = self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


def _name_answer(text: str) -> List[Dict[Text, Any]]:
    """A message that is a name in its polite wrapping ("성함은 기동연이요", "나윤호 010-…"):
    the name, whatever DIET makes of a name it never saw (korean_nlu.text decides)."""
    name = extract_driver_name(text)
    if not name or analyzer.is_common_word(name):  # "감사요", "오늘요" are answers, not names
        return []
    # "김 민수": the name may be written with a space after the surname
    match = re.search(r"\s?".join(map(re.escape, name)), text)
    if not match:
        return []
    return [{"entity": "driver_name", "start": match.start(), "end": match.end(), "value": name}]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class KoreanEntityNormalizer(GraphComponent, EntityExtractorMixin):
    """Normalises entity values and keeps one entity per span.

    Where DIET and the ruler found the same thing, the ruler's (exact, normalised) entity wins;
    DIET still contributes what the closed vocabularies cannot know: names, unlisted companies,
    places spelled in ways the gazetteer lacks.
    """

    PREFERRED_EXTRACTOR = "KoreanEntityRuler"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KoreanEntityNormalizer:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            entities = message.get(ENTITIES, [])
            if entities:
                message.set(ENTITIES, normalize_entities(entities), add_to_output=True)
        return messages


def normalize_entities(entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    ranked = sorted(
        entities,
        key=lambda e: (
            e.get("extractor") != KoreanEntityNormalizer.PREFERRED_EXTRACTOR,
            -(e["end"] - e["start"]),
        ),
    )
    kept: List[Dict[Text, Any]] = []
    for entity in ranked:
        if any(_overlaps(entity, other) for other in kept):
            continue
        if entity.get("extractor") == KoreanEntityNormalizer.PREFERRED_EXTRACTOR:
            value = entity.get("value")  # the ruler's values are the contract's already
        else:
            value = normalized_value(entity["entity"], str(entity.get("value", "")))
        if value is None:
            continue
        kept.append({**entity, "value": value})
    return sorted(kept, key=lambda e: e["start"])


def normalized_value(entity: Text, value: Text) -> Optional[Text]:
    """The contract's value for an entity (None: not a valid one, drop it)."""
    from consignment.regions import service_regions
    from consignment.vocabulary import vocabulary

    vocab = vocabulary()
    if entity == "phone_number":
        numbers = list(find_phone_numbers(value))
        return numbers[0][2] if numbers else None
    if entity == "ordering_company":
        return vocab.canonical_company(value)
    if entity == "call_type":
        return vocab.canonical_call_type(value)
    if entity == "partner_app":
        return vocab.canonical_partner_app(value) or value
    if entity == "region":
        regions = service_regions()
        group = vocab.region_group(value)
        if group:  # 영남권 → 영남: the dialogue says which listed regions it holds
            return group
        if not regions.is_known(value):
            place = vocab.without_landmark(value)  # 광명역 → 광명, 제주공항 → 제주
            if place and regions.is_known(place):
                return regions.canonical_name(place)
            if vocab.is_landmark_fragment(value):  # 혁신도 of 혁신도시: part of a landmark, no place
                return None
        return regions.canonical_name(value)
    if entity == "driver_name":
        return extract_driver_name(value)
    return value


def _decide(message: Message, intent_name: Text, confidence: float) -> None:
    """A rule's verdict: the intent at the rule's confidence; the others share what is left,
    so that the fallback sees one clear winner."""
    message.set(INTENT, {"name": intent_name, "confidence": confidence}, add_to_output=True)
    ranking = [
        {**r, "confidence": float(r.get("confidence") or 0.0) * (1.0 - confidence)}
        for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent_name
    ]
    message.set(INTENT_RANKING_KEY, [{"name": intent_name, "confidence": confidence}, *ranking], add_to_output=True)


def _outside_entities(message: Message) -> Text:
    """The message's text with every entity blanked out: a topic word inside a place's name
    (정산 of 정산면) is no topic."""
    text = message.get(TEXT) or ""
    for entity in message.get(ENTITIES, []):
        text = text[: entity["start"]] + " " * (entity["end"] - entity["start"]) + text[entity["end"]:]
    return text


def _overlaps(a: Dict[Text, Any], b: Dict[Text, Any]) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


class _IntentRule(GraphComponent):
    """An intent decided by what the message says (content cues), after DIET: nothing to
    train, no settings."""

    # above the FallbackClassifier's threshold: a rule is sure when it fires
    RULE_CONFIDENCE = 0.9

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "_IntentRule":
        return cls()


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class RegionQuestionRule(_IntentRule):
    """A message that names a place and asks whether 위탁콜 is available there is a region
    question (Q2), whatever DIET made of it: "부산에서도 위탁콜 받을 수 있나요?" reads much like
    "위탁콜이 뭔가요?" to a classifier. The cues are content (content/vocabulary.yml)."""

    REGION_INTENT = "ask_service_regions"
    # what DIET says of such questions when it gets them wrong; other intents keep their say
    # (a place in "부산에서 콜 수락이 안 돼요" does not make it a region question). Out of scope
    # is overridden too ("목적지가 부산이면요?"): what the article does not cover is decided by
    # topic right after (UncoveredTopicRule: "서울에서 수수료 정산 돼요?" stays out of scope)
    OVERRIDDEN = ("ask_consignment_call", "inform", "out_of_scope")

    def process(self, messages: List[Message]) -> List[Message]:
        from consignment.vocabulary import vocabulary

        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get("name") not in self.OVERRIDDEN:
                continue
            if not any(e.get("entity") == "region" for e in message.get(ENTITIES, [])):
                continue
            if not vocabulary().asks_where(message.get(TEXT) or ""):
                continue
            _decide(message, self.REGION_INTENT, max(float(intent.get("confidence") or 0.0), self.RULE_CONFIDENCE))
        return messages


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class UncoveredTopicRule(_IntentRule):
    """A question in the article's words about what the article does not cover is out of
    scope: "위탁콜 수수료 얼마예요?" shares 위탁콜 with Q1 and "제 차 보험 갱신은요?" shares 보험
    with the insurance line, but neither is answered by them. Only the article's question
    intents are overruled (a driver reporting a blocked call keeps Q3); the topics are content
    (content/vocabulary.yml `uncovered_topics`)."""

    OUT_OF_SCOPE = "out_of_scope"
    OVERRULED = ("ask_consignment_call", "ask_consignment_insurance", "ask_service_regions", "inform")

    def process(self, messages: List[Message]) -> List[Message]:
        from consignment.vocabulary import vocabulary

        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get("name") not in self.OVERRULED:
                continue
            if not vocabulary().uncovered_topic(_outside_entities(message)):
                continue
            _decide(message, self.OUT_OF_SCOPE, max(float(intent.get("confidence") or 0.0), self.RULE_CONFIDENCE))
        return messages


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class AnswerWithoutContentRule(_IntentRule):
    """`inform` answers a question with what it asks for — an ordering company, a name, a phone
    number, a place, a call type (CONTRACT §2) — or says it is another company or that the driver
    does not know. A message DIET calls `inform` with none of that answers nothing: it takes the
    next intent DIET ranked when DIET is sure enough of it, else it is out of scope ("오늘 기분이
    별로에요"). A bare name the entity extractor missed stays an answer
    (korean_nlu.text.extract_driver_name), so the form still takes it."""

    INFORM = "inform"
    OUT_OF_SCOPE = "out_of_scope"
    NOT_AN_ANSWER = (INFORM, "nlu_fallback")
    # the FallbackClassifier's threshold (config.yml): a next guess below it is no guess
    SURE_ENOUGH = 0.45

    def process(self, messages: List[Message]) -> List[Message]:
        from consignment.vocabulary import vocabulary
        from korean_nlu.text import extract_driver_name

        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get("name") != self.INFORM or message.get(ENTITIES):
                continue
            text = message.get(TEXT) or ""
            vocab = vocabulary()
            if extract_driver_name(text) or vocab.says_other_company(text) or vocab.says_unsure(text):
                continue
            if vocab.companies_in(text):  # a company in one of its content spellings is an answer
                continue
            if sum(ch.isdigit() for ch in text) >= 3:  # a number, however mistyped ("0102345"): the form checks it
                continue
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") not in self.NOT_AN_ANSWER]
            nxt = ranking[0] if ranking else None
            if nxt is not None and float(nxt.get("confidence") or 0.0) >= self.SURE_ENOUGH:
                # DIET's next guess, sure enough on its own ("그 고객이 누구예요" misread as an answer)
                message.set(INTENT, {"name": nxt["name"], "confidence": float(nxt["confidence"])}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            else:
                # answers nothing and asks nothing the article covers ("오늘 기분이 별로에요"): out of
                # scope, with its way forward — not "please rephrase" for a message that was clear
                _decide(message, self.OUT_OF_SCOPE, self.RULE_CONFIDENCE)
        return messages
