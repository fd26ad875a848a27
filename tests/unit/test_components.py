"""The Korean NLU components one by one, built the way Rasa builds them (model storage,
resource, execution context), on messages they would see."""
from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from korean_nlu.analyzer import pieces
from korean_nlu.components import (
    JamoCountVectorsFeaturizer,
    KiwiTokenizer,
    KoreanEntityNormalizer,
    KoreanEntityRuler,
    AnswerWithoutContentRule,
    RegionQuestionRule,
)
from tests.conftest import PROJECT_ROOT


def build(component, name: str, tmp_path, **config):
    return component.create(
        {**component.get_default_config(), **config},
        LocalModelStorage(tmp_path),
        Resource(name),
        ExecutionContext(GraphSchema({}), "test"),
    )


def ruled(tmp_path, text: str):
    ruler = build(KoreanEntityRuler, "ruler", tmp_path)
    (message,) = ruler.process([Message(data={TEXT: text})])
    return {(e["entity"], e["value"]) for e in message.get(ENTITIES, [])}


# ── KoreanEntityRuler ─────────────────────────────────────────────────────────

def test_the_ruler_finds_every_spelling_of_kakao_as_kakao_mobility(tmp_path):
    assert ("ordering_company", "카카오모빌리티") in ruled(tmp_path, "카모에서 발주한 콜이요")
    assert ("ordering_company", "카카오모빌리티") in ruled(tmp_path, "KAKAO T 라고 떠요")


def test_the_ruler_finds_a_place_glued_to_its_particle(tmp_path):
    assert ("region", "대전") in ruled(tmp_path, "대전도되나여")


@pytest.mark.parametrize("written", ["여의도", "송도국제도시", "상무지구", "영종도", "진도"])
def test_the_ruler_keeps_a_place_whose_own_name_ends_in_a_suffix_whole(tmp_path, written):
    assert ("region", written) in ruled(tmp_path, f"{written}에서도 위탁콜 돼요?")


def test_the_ruler_finds_phone_numbers_in_their_one_written_form(tmp_path):
    assert ("phone_number", "010-1234-5678") in ruled(tmp_path, "번호는 010 1234 5678 이에요")


# ── KoreanEntityNormalizer ─────────────────────────────────────────────────────

def normalized(tmp_path, entities):
    normalizer = build(KoreanEntityNormalizer, "normalizer", tmp_path)
    (message,) = normalizer.process([Message(data={TEXT: "x" * 40, ENTITIES: entities})])
    return [(e["entity"], e["value"]) for e in message.get(ENTITIES, [])]


def test_the_ruler_wins_over_diet_on_the_same_span(tmp_path):
    assert normalized(tmp_path, [
        {"entity": "region", "value": "여의", "start": 0, "end": 3, "extractor": "DIETClassifier"},
        {"entity": "region", "value": "여의도", "start": 0, "end": 3, "extractor": "KoreanEntityRuler"},
    ]) == [("region", "여의도")]


def test_a_diet_place_is_named_as_the_gazetteer_names_it(tmp_path):
    assert normalized(tmp_path, [
        {"entity": "region", "value": "서울특별시", "start": 0, "end": 5, "extractor": "DIETClassifier"},
        {"entity": "region", "value": "오이도", "start": 6, "end": 9, "extractor": "DIETClassifier"},
    ]) == [("region", "서울"), ("region", "오이도")]


def test_a_diet_name_loses_its_ending_and_a_non_name_is_dropped(tmp_path):
    assert normalized(tmp_path, [
        {"entity": "driver_name", "value": "김민수이에요", "start": 0, "end": 6, "extractor": "DIETClassifier"},
        {"entity": "driver_name", "value": "위탁콜이", "start": 7, "end": 11, "extractor": "DIETClassifier"},
    ]) == [("driver_name", "김민수")]


# ── JamoCountVectorsFeaturizer ──────────────────────────────────────────────────

def test_the_jamo_featurizer_makes_a_one_letter_typo_share_most_features(tmp_path):
    tokenizer = build(KiwiTokenizer, "tokenizer", tmp_path)
    featurizer = build(JamoCountVectorsFeaturizer, "jamo", tmp_path, analyzer="char_wb", min_ngram=2, max_ngram=3)
    messages = [Message(data={TEXT: text}) for text in ("콜마너", "콜마나", "보험")]
    data = TrainingData(messages)
    tokenizer.process_training_data(data)
    featurizer.train(data)
    vocabulary = featurizer.vectorizers[TEXT].vocabulary_
    assert "ㅋㅗ" in vocabulary and "콜" not in "".join(vocabulary)
    analyse = featurizer.vectorizers[TEXT].build_analyzer()
    right, typo, other = (set(analyse("".join(m.get("text_tokens_jamo", []) or [m.get(TEXT)]))) for m in messages)
    assert len(right & typo) > len(right & other)


# ── RegionQuestionRule ──────────────────────────────────────────────────────────

def region_rule(tmp_path, text, intent, entities):
    rule = build(RegionQuestionRule, "region_rule", tmp_path)
    message = Message(data={TEXT: text, INTENT: {"name": intent, "confidence": 0.6}, ENTITIES: entities,
                            "intent_ranking": [{"name": intent, "confidence": 0.6}]})
    (message,) = rule.process([message])
    return message.get(INTENT)["name"]


def test_a_place_with_an_availability_cue_is_a_region_question(tmp_path):
    place = [{"entity": "region", "value": "창원", "start": 0, "end": 2}]
    assert region_rule(tmp_path, "창원에서도 위탁콜 받을 수 있나요", "ask_consignment_call", place) == "ask_service_regions"


def test_a_definition_question_that_names_a_place_stays_a_definition_question(tmp_path):
    place = [{"entity": "region", "value": "부산", "start": 0, "end": 2}]
    assert region_rule(tmp_path, "부산 사는데 위탁콜이 뭔지 설명해 주세요", "ask_consignment_call", place) == "ask_consignment_call"


def test_a_restriction_report_that_names_a_place_is_left_alone(tmp_path):
    place = [{"entity": "region", "value": "부산", "start": 0, "end": 2}]
    assert region_rule(tmp_path, "부산에서 콜 수락이 안 돼요", "report_acceptance_blocked", place) == "report_acceptance_blocked"


# ── AnswerWithoutContentRule ───────────────────────────────────────────────────

def answer_rule(tmp_path, text, entities=(), second=("out_of_scope", 0.2)):
    rule = build(AnswerWithoutContentRule, "answer_rule", tmp_path)
    ranking = [{"name": "inform", "confidence": 0.7}, {"name": second[0], "confidence": second[1]},
               {"name": "greet", "confidence": 0.05}]
    message = Message(data={TEXT: text, INTENT: dict(ranking[0]), ENTITIES: list(entities), "intent_ranking": ranking})
    (message,) = rule.process([message])
    return message.get(INTENT)["name"], [r["name"] for r in message.get("intent_ranking")]


def test_an_inform_that_answers_nothing_takes_a_sure_next_guess_and_leaves_the_ranking(tmp_path):
    assert answer_rule(tmp_path, "그 고객이 누구예요", second=("ask_restriction_followup", 0.6)) == (
        "ask_restriction_followup", ["ask_restriction_followup", "greet"])


def test_an_inform_that_answers_nothing_with_no_sure_next_guess_is_out_of_scope(tmp_path):
    assert answer_rule(tmp_path, "오늘 기분이 별로에요", second=("greet", 0.2))[0] == "out_of_scope"


@pytest.mark.parametrize("text", ["오세영", "다른 대리업체 콜이었어요", "잘 모르겠어요", "0102345", "카카오T요"])
def test_a_name_another_company_or_not_knowing_stays_an_answer(tmp_path, text):
    assert answer_rule(tmp_path, text)[0] == "inform"


def test_an_inform_with_an_entity_stays_an_answer(tmp_path):
    company = [{"entity": "ordering_company", "value": "카카오모빌리티", "start": 0, "end": 3}]
    assert answer_rule(tmp_path, "카카오요", company)[0] == "inform"


# ── training data ──────────────────────────────────────────────────────────────

@pytest.mark.parametrize("path", ["data/nlu", "tests/nlu/heldout.yml"])
def test_every_annotated_entity_starts_and_ends_on_a_token_boundary(path):
    """Else `rasa train` warns "Misaligned entity annotation" and DIET never learns it."""
    misaligned = []
    for example in load_data(str(PROJECT_ROOT / path)).training_examples:
        tokens = pieces(example.get(TEXT))
        starts, ends = {t.start for t in tokens}, {t.end for t in tokens}
        for entity in example.get(ENTITIES) or []:
            if entity["start"] not in starts or entity["end"] not in ends:
                misaligned.append((example.get(TEXT), entity["entity"]))
    assert misaligned == []
