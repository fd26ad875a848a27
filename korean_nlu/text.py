"""Korean text handling that needs no model: names, endings, jamo.

Pure functions, shared by the NLU pipeline (entity normalisation, features, tokens) and the
actions (form validation), so that "what counts as a name" is decided in one place. Phone
numbers are personal-data rules and live in `consignment.phone`.
"""
from __future__ import annotations

import functools
import re
from typing import FrozenSet, List, Optional, Tuple

from consignment.phone import MOBILE
from korean_nlu.josa import final_consonant

# What drivers put right after a name, longest first: 김민수이고 번호는…, 김민수이에요, 김민수예요,
# 김민수입니다, 김민수요, 김민수라고 합니다. Kiwi often makes one token of an unknown name and its
# ending ("전민혁요"), so the tokenizer splits these off too (korean_nlu.analyzer).
NAME_ENDINGS = (
    "이라고합니다", "라고합니다", "이라고해요", "라고해요", "이라고요", "라고요", "이라고", "라고",
    "입니당", "입니다", "이에요", "이예요", "인데요", "이구요", "이고요", "이거든요", "이요",
    "예요", "에요", "인데", "이고", "고요", "구요", "이야", "이다", "임다", "이랑", "임", "요", "고",
)
# Words around a name that are not part of it: "네 제 이름은 …", "… 기사입니다", "… 번호는 010…"
_BEFORE_NAME = re.compile(
    r"^(네|예|넵|넹|아|음|저|제|전|난|나|저는|나는|본인|제이름|제이름은|이름|이름은|이름이|"
    r"성함|성함은|성함이|기사|기사님|대리기사)$"
)
_AFTER_NAME = re.compile(
    r"^(그리고|제|저|번호|휴대폰|핸드폰|폰|전화|전번|연락처|휴대폰번호|핸드폰번호|전화번호|폰번호)?"
    r"(은|는|이|가|도)?$|"
    r"^(기사|기사님)?(입니다|이에요|예요|에요|이요|요|이고요|이구요|이고|고요|구요|임|이야|야)?$|"
    r"^(합니다|해요|하구요|하고요|했어요)$|"
    r"^[ㅎㅋㅠㅜ^.~!]+$"
)
_HANGUL_NAME = re.compile(r"^[가-힣]{2,5}$")
# "모르겠어요" loses its 요 and looks like 모+르겠어: a name does not end like a verb.
_VERB_ENDINGS = set("어다죠까냐데네게래됨함음해요워와세시")
# Surnames in use in Korea (the common single-syllable ones and the compound ones). A reply to
# "성함을 알려주세요" that does not start with one is not taken as a name.
_COMPOUND_SURNAMES = ("남궁", "선우", "제갈", "황보", "독고", "사공", "서문", "동방")
_SURNAMES = set(
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범좌팽승간상시갈단견당나라"
)


def split_name_ending(word: str) -> Optional[str]:
    """The name inside one word with its ending ("김민수이고" → "김민수"), or None."""
    for ending in NAME_ENDINGS:
        stem = word[: -len(ending)]
        # the 이 of 이요/이에요/이고 follows a final consonant (김민준이요). After a vowel drivers
        # write it too (김민수이고), but a two-syllable stem is more likely a name ending in 이
        # (김소이요 → 김소이, not 김소)
        if ending.startswith("이") and stem and not final_consonant(stem) and len(stem) < 3:
            continue
        if word.endswith(ending) and _is_name(stem):
            return stem
    # Kiwi glues the 이 of "주영훈이요" to the name: a three-syllable name plus 이
    if len(word) == 4 and word.endswith("이") and word[0] in _SURNAMES and _is_name(word[:-1]):
        return word[:-1]
    return word if _is_name(word) else None


def _is_name(candidate: str) -> bool:
    if not _HANGUL_NAME.match(candidate) or candidate[-1] in _VERB_ENDINGS:
        return False
    if candidate[:2] in _COMPOUND_SURNAMES:
        return 3 <= len(candidate) <= 5
    return candidate[0] in _SURNAMES and 2 <= len(candidate) <= 4


def extract_driver_name(text: str) -> Optional[str]:
    """A Korean full name from an answer to "성함을 알려주세요", or None.

    '김민수입니다' → '김민수', '제 이름은 박지영이요' → '박지영', '김민수이고 번호는 010-…' → '김민수',
    '김 민수요' → '김민수'. Anything else around the name must be polite wrapping or the phone
    number, so that a question asked mid-form is never stored as a name. The domain's words
    that look like names (위탁콜, 서울, 카모) are never one.
    """
    text = MOBILE.sub(" ", text or "")
    words = re.sub(r"[^\w\sㄱ-ㅎㅏ-ㅣ^~]", " ", text).split()
    while words and _BEFORE_NAME.match(words[0]):
        words.pop(0)
    if not words:
        return None
    name, used = _name_at_start(words)
    if name is None or _is_domain_word(name):
        return None
    if not all(_AFTER_NAME.match(word) for word in words[used:]):
        return None
    return name


def _name_at_start(words: List[str]):
    """(name, how many words it used) for the name the words start with."""
    # "김 민수요": a surname written apart from the given name
    if len(words) >= 2 and (len(words[0]) == 1 or words[0] in _COMPOUND_SURNAMES):
        joined = split_name_ending(words[0] + words[1])
        if joined and len(words[0]) < len(joined):
            return joined, 2
    return split_name_ending(words[0]), 1


def _is_domain_word(word: str) -> bool:
    """위탁콜, 카모, 콜마너 (and 위탁콜이, 카모요: with a particle), or a place (서울, 강남)."""
    vocabulary_words, places = _domain_words()
    # "서귀포는요", "경주는?": a place with its topic particle reads like a four-syllable name
    bare = word[:-1] if len(word) > 2 and word[-1] in _PLACE_PARTICLES else word
    return word in places or bare in places or any(word.startswith(known) for known in vocabulary_words)


# not 은 or 이: given names end in them (안성은, 하남이), and a name must never be refused
_PLACE_PARTICLES = "는가도만"


@functools.lru_cache(maxsize=1)
def _domain_words() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """(call types, companies and partner-app aliases; every place spelling), without spaces."""
    from consignment.regions import service_regions
    from consignment.vocabulary import vocabulary

    vocab = vocabulary()
    aliases = {alias for entity in ("call_type", "ordering_company", "partner_app") for alias, _ in vocab.aliases(entity)}
    places = {spelling for pair in service_regions().spellings() for spelling in pair}
    return (
        frozenset("".join(a.split()) for a in aliases if len("".join(a.split())) >= 2),
        frozenset("".join(p.split()) for p in places),
    )


# Hangul syllable decomposition (Unicode: 0xAC00 + (initial*21 + medial)*28 + final)
_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_MEDIALS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_FINALS = " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"


def to_jamo(text: str) -> str:
    """'콜마너' → 'ㅋㅗㄹㅁㅏㄴㅓ': typos usually change one jamo, not a whole syllable."""
    out = []
    for char in text:
        code = ord(char) - 0xAC00
        if 0 <= code < 11172:
            initial, rest = divmod(code, 588)
            medial, final = divmod(rest, 28)
            out.append(_INITIALS[initial] + _MEDIALS[medial] + (_FINALS[final] if final else ""))
        else:
            out.append(char)
    return "".join(out)
