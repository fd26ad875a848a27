"""A spaCy pipeline around the Kiwi tokenizer, with an EntityRuler for closed vocabularies.

spaCy's blank Korean pipeline needs MeCab; here its tokenizer is replaced by a registered one
built on the same Kiwi analysis the Rasa tokenizer uses, so that the two agree on boundaries.
The EntityRuler's phrase patterns come from the content files (call types, ordering companies,
the partner app, every place of the gazetteer); each pattern's id is the normalised value.
"""
from __future__ import annotations

import functools
from typing import List

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from korean_nlu.analyzer import pieces

class KiwiSpacyTokenizer:
    """Doc whose tokens are Kiwi pieces; the text between them becomes spaces or tokens."""

    def __init__(self, vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words: List[str] = []
        spaces: List[bool] = []
        cursor = 0
        for piece in pieces(text):
            gap = text[cursor : piece.start]
            if gap:
                if gap == " " and words:
                    spaces[-1] = True
                else:  # leading, multiple or odd whitespace: keep it as a token
                    words.append(gap)
                    spaces.append(False)
            words.append(piece.text)
            spaces.append(False)
            cursor = piece.end
        if cursor < len(text):
            words.append(text[cursor:])
            spaces.append(False)
        return Doc(self.vocab, words=words, spaces=spaces)


@spacy.registry.tokenizers("korean_nlu.KiwiTokenizer.v1")
def create_kiwi_tokenizer():
    def make(nlp: Language) -> KiwiSpacyTokenizer:
        return KiwiSpacyTokenizer(nlp.vocab)

    return make


def _patterns() -> List[dict]:
    from consignment.regions import service_regions
    from consignment.vocabulary import vocabulary

    vocab = vocabulary()
    patterns = []
    for entity in ("call_type", "ordering_company", "partner_app"):
        for alias, value in vocab.aliases(entity):
            if entity == "ordering_company":
                value = vocab.canonical_company(alias)  # only Kakao is normalised
            patterns.append({"label": entity, "pattern": alias, "id": value})
    for written, short in service_regions().spellings():
        patterns.append({"label": "region", "pattern": written, "id": short})
    for alias, group in vocab.region_group_spellings():  # 수도권, 영남권, 충청도 …
        patterns.append({"label": "region", "pattern": alias, "id": group})
    return patterns


@functools.lru_cache(maxsize=1)
def korean_nlp() -> Language:
    nlp = spacy.blank(
        "ko", config={"nlp": {"tokenizer": {"@tokenizers": "korean_nlu.KiwiTokenizer.v1"}}}
    )
    ruler = nlp.add_pipe(
        "entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True}
    )
    ruler.add_patterns(_patterns())
    return nlp


def ruled_entities(text: str) -> List[dict]:
    """Entities of the closed vocabularies, as Rasa entity dicts with normalised values."""
    doc = korean_nlp()(text)
    return [
        {
            "entity": ent.label_,
            "start": ent.start_char,
            "end": ent.end_char,
            "value": ent.ent_id_ or ent.text,
        }
        for ent in doc.ents
    ]
