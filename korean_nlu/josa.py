"""Korean particles (조사) after a filled-in word: 아산은 / 대전은, 고성이 / 포항이, 티맵으로 / 로지로.

The CS team writes responses the way Korean templates are usually written — "{place}은(는)",
"{ordering_company}(으)로" — and `attach_particles` picks the right form from the last
syllable before the marker once the word is filled in, so a driver never reads "은(는)".
"""
from __future__ import annotations

import re

# marker → (after a final consonant, after a vowel)
_PAIRS = {
    "은(는)": ("은", "는"), "는(은)": ("은", "는"),
    "이(가)": ("이", "가"), "가(이)": ("이", "가"),
    "을(를)": ("을", "를"), "를(을)": ("을", "를"),
    "과(와)": ("과", "와"), "와(과)": ("과", "와"),
    "아(야)": ("아", "야"), "야(아)": ("아", "야"),
    "(이)나": ("이나", "나"), "(이)라고": ("이라고", "라고"), "(이)에요": ("이에요", "예요"),
    "(으)로": ("으로", "로"),
}
_MARKER = re.compile("(" + "|".join(re.escape(m) for m in sorted(_PAIRS, key=len, reverse=True)) + ")")
# What may stand between the word and its particle: closing quotes and brackets ('고성'이)
_TRANSPARENT = "'\"’”」』)]›»"
# Letters and digits as they are read aloud: does the reading end in a consonant, and is it ㄹ?
_DIGIT_FINAL = {"0": "ㅇ", "1": "ㄹ", "2": "", "3": "ㅁ", "4": "", "5": "", "6": "ㄱ", "7": "ㄹ", "8": "ㄹ", "9": ""}
# read letter by letter (KT 케이티, VIP 브이아이피): the letter name's final
_LETTER_FINAL = {"l": "ㄹ", "m": "ㅁ", "n": "ㄴ", "r": "ㄹ"}
# read as a word (TMAP 티맵, Kakao 카카오): the last letter's sound
_WORD_FINAL = {"b": "ㅂ", "p": "ㅂ", "c": "ㄱ", "k": "ㄱ", "g": "ㄱ", "d": "ㅅ", "t": "ㅅ", "m": "ㅁ", "n": "ㄴ", "l": "ㄹ"}
_FINALS = " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"


def final_consonant(word: str) -> str:
    """The final consonant (받침) the word is read with: '' after a vowel; '?' if unknown."""
    for char in reversed(word):
        if char in _TRANSPARENT or char.isspace():
            continue
        code = ord(char) - 0xAC00
        if 0 <= code < 11172:
            return _FINALS[code % 28].strip()
        if char in _DIGIT_FINAL:
            return _DIGIT_FINAL[char]
        if char.isascii() and char.isalpha():
            word = re.search(r"[A-Za-z]+$", word.rstrip(_TRANSPARENT + " ")).group(0).lower()
            if len(word) >= 4 and re.search("[aeiou]", word):
                return _WORD_FINAL.get(word[-1], "")
            return _LETTER_FINAL.get(word[-1], "")
        return "?"
    return "?"


def particle(word: str, marker: str) -> str:
    """The form of `marker` ("은(는)", "(으)로" …) that follows `word`."""
    with_final, without = _PAIRS[marker]
    final = final_consonant(word)
    if final == "?":
        return marker  # nothing to read it by (an emoji, an empty value): keep both forms
    if marker == "(으)로" and final == "ㄹ":
        return without  # 서울로, 로지로: ㄹ takes 로
    return with_final if final else without


def attach_particles(text: str) -> str:
    """Resolves every particle marker in `text` by what precedes it."""
    def resolve(match: re.Match) -> str:
        return particle(text[: match.start()], match.group(1))

    return _MARKER.sub(resolve, text)
