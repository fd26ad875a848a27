"""The Kiwi tokenizer gives Rasa tokens that index the original text exactly."""
from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from korean_nlu.components import KiwiTokenizer


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory) -> KiwiTokenizer:
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    return KiwiTokenizer.create(
        {**KiwiTokenizer.get_default_config()},
        storage,
        Resource("tokenizer"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def tokens_of(tokenizer: KiwiTokenizer, text: str):
    return tokenizer.tokenize(Message(data={TEXT: text}), TEXT)


@pytest.mark.parametrize(
    "text",
    [
        "콜마너에서콜수락이안돼요ㅠㅠ",  # no spaces, 되+어요 overlap on 돼요
        "😭 콜마나에서 됬어요??",  # emoji before Hangul, 됬 → 되+었 on one character
        "  앞에 공백이 두 칸  뒤에도  ",
        "[발주사의 정책에 따라 현재 해당 콜은 배차 진행이 어렵습니다] 이게 뭐임;;",
        "김민수 010-1234-5678 callmaner KAKAO T",
        "뭔가요 ㅡㅡ 위탁꼴??",
        "콜마너 수수료는 얼마에요?",  # Kiwi's implied 이/VCP has zero length
    ],
)
def test_every_token_is_the_original_substring_at_its_offsets(tokenizer, text):
    for token in tokens_of(tokenizer, text):
        assert text[token.start : token.end] == token.text


@pytest.mark.parametrize("text", ["콜마너에서콜수락이안돼요", "수락이 안 돼요 ㅠㅠ 😭"])
def test_tokens_do_not_overlap_and_are_in_order(tokenizer, text):
    tokens = tokens_of(tokenizer, text)
    for left, right in zip(tokens, tokens[1:]):
        assert left.end <= right.start


def test_overlapping_morphemes_become_one_token_with_the_normalised_forms_as_lemma(tokenizer):
    tokens = tokens_of(tokenizer, "안돼요")
    dwae = next(t for t in tokens if t.text == "돼요")
    assert dwae.lemma == "되어요"


def test_domain_words_from_the_user_dictionary_stay_one_token(tokenizer):
    texts = [t.text for t in tokens_of(tokenizer, "위탁콜이랑제휴콜은 콜마너에서 카모가 발주사")]
    for word in ("위탁콜", "제휴콜", "콜마너", "카모", "발주사"):
        assert word in texts


def test_place_names_split_from_their_particles_without_spaces(tokenizer):
    texts = [t.text for t in tokens_of(tokenizer, "대전도되나여")]
    assert texts[0] == "대전"


@pytest.mark.parametrize("text", ["얼마에요", "오늘 기분이 별로에요", "첫차 몇시에요"])
def test_no_token_is_empty(tokenizer, text):
    assert all(token.text for token in tokens_of(tokenizer, text))


def test_whitespace_only_message_still_gives_one_token(tokenizer):
    tokens = tokens_of(tokenizer, "   ")
    assert len(tokens) == 1


def test_default_config_has_the_keys_rasas_tokenizer_base_reads():
    config = KiwiTokenizer.get_default_config()
    assert {"intent_tokenization_flag", "intent_split_symbol"} <= set(config)
