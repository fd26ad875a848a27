"""One Kiwi analyser per process, with the domain's user dictionary.

Kiwi morphemes can overlap (돼요 → 되/VV + 어요/EF on one span) and carry normalised forms
(됬 → 되+었). Rasa needs non-overlapping tokens that index the *original* text, so morphemes whose
spans overlap are grouped into one token: its text is the original substring (from Kiwi's
start/length, never found again by searching) and its lemma the concatenated normalised forms.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import List, Tuple

from consignment.content import CONTENT_DIR

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

    analyser = Kiwi()
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


def pieces(text: str) -> List[Piece]:
    """Non-overlapping tokens of `text` with exact offsets into it."""
    if not text.strip():
        return []
    with _lock:  # Kiwi objects are not documented as thread-safe
        morphemes = kiwi().tokenize(text, normalize_coda=True)
    groups: List[list] = []
    for morpheme in morphemes:
        start, end = morpheme.start, morpheme.start + morpheme.len
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
    return [
        Piece(
            start=start,
            end=end,
            text=text[start:end],
            lemma="".join(m.form for m in members),
            tags=tuple(m.tag for m in members),
        )
        for start, end, members in groups
    ]
