"""What every response in domain.yml must be: the article's policy only, one register for
apologies, particles that resolve, and one domain file where Rasa's CLI looks for it."""
from __future__ import annotations

import re

import pytest
import yaml
from rasa.shared.core.domain import Domain

from server.nlg import KoreanResponseGenerator
from tests.conftest import PROJECT_ROOT

DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
RESPONSES = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["responses"]
TEXTS = [(name, variant["text"]) for name, variants in RESPONSES.items() for variant in variants]
RAW_PARTICLE = re.compile(r"은\(는\)|이\(가\)|을\(를\)|\(으\)로|과\(와\)")


def test_one_domain_file_at_the_top_where_the_rasa_cli_looks():
    assert not (PROJECT_ROOT / "domain").exists()
    assert Domain.load(str(DOMAIN_FILE)).responses


@pytest.mark.parametrize("name,text", [t for t in TEXTS if "죄송" in t[1]])
def test_every_apology_is_in_the_articles_register(name, text):
    assert "죄송해요" not in text and "죄송합니다" in text


def test_no_response_says_a_partner_marked_call_is_kakaos():
    """The article does not say which company a (제휴) call comes from (issue 7)."""
    for name, text in TEXTS:
        if "(제휴)" in text:
            assert "카카오" not in text, name


@pytest.mark.parametrize("word", ["아산", "포항", "티맵", "로지", "서울"])
def test_every_particle_marker_resolves_whatever_the_word(word):
    generator = KoreanResponseGenerator(domain=Domain.load(str(DOMAIN_FILE)))
    for name, text in TEXTS:
        values = {key: word for key in re.findall(r"\{(\w+)\}", text)}
        filled = generator.generate_from_slots(name, {}, "rest", **values)["text"]
        assert not RAW_PARTICLE.search(filled), (name, filled)
