"""One Kiwi analyser per process, with the domain's user dictionary.

Kiwi morphemes can overlap (돼요 → 되/VV + 어요/EF on one span) and carry normalised forms
(됬 → 되+었). Rasa needs non-overlapping tokens that index the *original* text, so morphemes whose
spans overlap are grouped into one token: its text is the original substring (from Kiwi's
start/length, never found again by searching) and its lemma the concatenated normalised forms.
"""
from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from typing import Iterator, List, Tuple

from consignment.content import CONTENT_DIR
from korean_nlu.text import NAME_ENDINGS, split_name_ending

USER_DICTIONARY = CONTENT_DIR / "kiwi_user_dict.tsv"
# Kiwi prefers dictionary words with a higher score; domain words must beat its guesses
# (대전도되나여 as one proper noun, 콜마나 as a common noun).
_VOCABULARY_SCORE = 5.0


@dataclass(frozen=True)
class Piece:
    """A token: a run of overlapping morphemes, as a span of the original text."""

    start: int
    end: int
    text: str
    lemma: str
    tags: Tuple[str, ...]


@functools.lru_cache(maxsize=1)
def kiwi():
    from kiwipiepy import Kiwi  # imported lazily: loading the model takes a second

    # Without Kiwi's multi-word proper-noun dictionary (load_multi_dict): ~200 MB less once warm
    # (505 → 308 MB). It names multi-eojeol entities this assistant never reads as one token
    # (places, companies and call types are our own user words); every message of the
    # training, held-out, blind and test data tokenizes the same without it.
    analyser = Kiwi(load_multi_dict=False)
    analyser.load_user_dictionary(str(USER_DICTIONARY))
    for word in _vocabulary_words():
        analyser.add_user_word(word, "NNP", _VOCABULARY_SCORE)
    return analyser


def _vocabulary_words() -> List[str]:
    """Place names, call types, company and app aliases: each must stay one token."""
    from consignment.regions import service_regions
    from consignment.vocabulary import vocabulary

    vocab = vocabulary()
    words = set()
    for entity in ("call_type", "ordering_company", "partner_app"):
        for alias, _ in vocab.aliases(entity):
            words.add(alias)
    for written, short in service_regions().spellings():
        words.update((written, short))
    # Kiwi's user words are single eojeol of Hangul; multi-word aliases are matched as phrases
    return sorted(w for w in words if " " not in w and len(w) >= 2 and _is_hangul(w))


def _is_hangul(word: str) -> bool:
    return all("가" <= ch <= "힣" for ch in word)


_lock = threading.Lock()


# Parsing runs on Rasa's event loop, so one message must not hold it: Kiwi needs ~100 ms for
# 2,000 characters of a repeated syllable ("가가가…"), and more on one long run without spaces.
# Only the start of a message is analysed (a driver's question is in its first sentences), in
# chunks of whole words, and a word longer than any real one is cut.
MAX_ANALYSED_CHARS = 600
_CHUNK_CHARS = 256
_LONGEST_WORD = 48


def _chunks(text: str) -> Iterator[Tuple[int, str]]:
    """(offset, chunk) covering the text: runs of whole words, long words cut."""
    start = 0
    for match in re.finditer(r"\S+", text):
        word_start, word_end = match.span()
        if word_end - word_start > _LONGEST_WORD:
            if word_start > start:
                yield start, text[start:word_start]
            for cut in range(word_start, word_end, _LONGEST_WORD):
                yield cut, text[cut : min(cut + _LONGEST_WORD, word_end)]
            start = word_end
        elif word_end - start > _CHUNK_CHARS:
            yield start, text[start:word_start]
            start = word_start
    if start < len(text):
        yield start, text[start:]


def pieces(text: str) -> List[Piece]:
    """Non-overlapping tokens of (the first MAX_ANALYSED_CHARS of) `text`, with exact offsets
    into it."""
    return list(_pieces(text[:MAX_ANALYSED_CHARS]))


@functools.lru_cache(maxsize=512)
def _pieces(text: str) -> Tuple[Piece, ...]:
    # cached: the tokenizer and the entity ruler analyse the same message in one parse
    if not text.strip():
        return ()
    morphemes = []
    with _lock:  # Kiwi objects are not documented as thread-safe
        for offset, chunk in _chunks(text):
            if chunk.strip():
                morphemes += [
                    (offset + m.start, offset + m.start + m.len, m)
                    for m in kiwi().tokenize(chunk, normalize_coda=True)
                ]
    groups: List[list] = []
    for start, end, morpheme in morphemes:
        # join the previous group when spans overlap, or when the previous one has no width of
        # its own (Kiwi's implied 이/VCP in 얼마에요 sits at 0 length before 에요)
        if groups and (start < groups[-1][1] or groups[-1][0] == groups[-1][1]):
            group = groups[-1]
            group[0] = min(group[0], start)
            group[1] = max(group[1], end)
            group[2].append(morpheme)
        elif groups and start == end:  # zero-length morpheme after a token: part of it
            groups[-1][2].append(morpheme)
        else:
            groups.append([start, end, [morpheme]])
    groups = [group for group in groups if group[0] < group[1]]
    result: List[Piece] = []
    for start, end, members in groups:
        piece = Piece(
            start=start,
            end=end,
            text=text[start:end],
            lemma="".join(m.form for m in members),
            tags=tuple(m.tag for m in members),
        )
        unknown_noun = len(members) == 1 and members[0].score < _UNKNOWN_WORD_SCORE
        result.extend(_split_fused_ending(piece, unknown_noun))
    return tuple(result)


_NOUN_TAGS = {("NNG",), ("NNP",)}
# Kiwi scores words it does not know (an unlisted name or company) far below real nouns
# (강요 −11.7, 소요 −12.4; 타다요 −23.5, 전민혁요 ≈ −25).
_UNKNOWN_WORD_SCORE = -18.0


def _split_fused_ending(piece: Piece, unknown_noun: bool) -> List[Piece]:
    """Kiwi reads an unknown word and its polite ending as one noun ("전민혁요", "임도현이에요",
    "타다요"): split the ending off, so that the name or company has token boundaries of its own
    (an entity must start and end on token boundaries, or DIET never learns it)."""
    if piece.tags not in _NOUN_TAGS or not _is_hangul(piece.text):
        return [piece]
    stem = split_name_ending(piece.text)
    if (not stem or stem == piece.text) and unknown_noun:
        stem = next(
            (piece.text[: -len(e)] for e in NAME_ENDINGS
             if piece.text.endswith(e) and len(piece.text) - len(e) >= 2),
            None,
        )
    if not stem or stem == piece.text:
        return [piece]
    cut = piece.start + len(stem)
    ending = piece.text[len(stem):]
    return [
        Piece(piece.start, cut, stem, stem, piece.tags),
        Piece(cut, piece.end, ending, ending, ("E",)),
    ]


def is_common_word(word: str) -> bool:
    """Kiwi knows the word as one everyday word (감사, 전화, 지금, 오늘), not a proper noun:
    a message made of it is no name, whatever its first syllable looks like."""
    with _lock:
        morphemes = kiwi().tokenize(word)
    return (
        len(morphemes) == 1 and morphemes[0].tag != "NNP"
        and morphemes[0].score > _COMMON_WORD_SCORE
    )


# everyday words score −6 … −11 (감사 −9.0, 오늘 −7.8); names Kiwi does not know far lower
_COMMON_WORD_SCORE = -12.0
