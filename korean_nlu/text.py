"""Korean text handling that needs no model: phone numbers, names, jamo.

Pure functions, shared by the NLU pipeline (entity normalisation, features) and the actions
(form validation), so that "what counts as a phone number" is decided in one place.
"""
from __future__ import annotations

import re
from typing import Optional

# Korean mobile numbers: 010 (and the old 011/016/017/018/019) + 3–4 + 4 digits, written with
# hyphens, dots, spaces or nothing. The look-arounds stop a match inside a longer digit run.
_MOBILE = re.compile(r"(?<!\d)(01[016789])[\s.\-]*(\d{3,4})[\s.\-]*(\d{4})(?!\d)")


def find_phone_numbers(text: str):
    """Yields (start, end, normalised) for each mobile number in the text."""
    for match in _MOBILE.finditer(text):
        yield match.start(), match.end(), "-".join(match.groups())


def normalize_phone(text: str) -> Optional[str]:
    """'01012345678', '010 1234 5678', '010.1234.5678' → '010-1234-5678'; None if not a mobile."""
    for _, _, number in find_phone_numbers(text):
        return number
    return None


def mask_phone(phone: str) -> str:
    """'010-1234-5678' → '010-****-5678': what logs, slots and agents may see."""
    normalized = normalize_phone(phone)
    if not normalized:
        return "***"
    head, _, tail = normalized.split("-")
    return f"{head}-****-{tail}"


def mask_phone_numbers_in(text: str) -> str:
    """Masks every mobile number inside free text (a stored message, a log line)."""
    return _MOBILE.sub(lambda m: f"{m.group(1)}-****-{m.group(3)}", text)


# Endings drivers put after their name: 김민수입니다, 김민수요, 김민수예요, 김민수 이에요 …
_NAME_ENDINGS = re.compile(
    r"\s*(입니다|이구요|이고요|인데요|이에요|이예요|예요|에요|이요|요|임|입니당|이라고\s*합니다|라고\s*합니다)$"
)
# "제 이름은", "성함:", "이름 " before the name; 은/는/이 only after 이름/성함 (이영희 keeps its 이)
_NAME_PREFIXES = re.compile(r"^(제\s*)?((이름|성함)\s*(:\s*|(은|는|이)\s+|\s+))?")
_HANGUL_NAME = re.compile(r"^[가-힣]{2,5}$")
# "모르겠어요" loses its 요 and looks like 모+르겠어: a name does not end like a verb.
_VERB_ENDINGS = set("어다죠까냐데네게래됨함음")
_TITLE = re.compile(r"\s*(기사|기사님)$")
# Surnames in use in Korea (the common single-syllable ones and the compound ones). A reply to
# "성함을 알려주세요" that does not start with one is not taken as a name.
_COMPOUND_SURNAMES = ("남궁", "선우", "제갈", "황보", "독고", "사공", "서문", "동방")
_SURNAMES = set(
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범좌팽승간상시갈단견당"
)


def extract_driver_name(text: str) -> Optional[str]:
    """A Korean full name from an answer to "성함을 알려주세요", or None.

    '김민수입니다' → '김민수', '제 이름은 박지영이요' → '박지영', '홍길동 010-…' → '홍길동'.
    Anything that is not a surname + given name once the polite wrapping is removed is refused,
    so that a question asked mid-form is never stored as a name.
    """
    text = _MOBILE.sub(" ", text)
    text = re.sub(r"[^\w\s:]", " ", text).strip()
    text = _NAME_PREFIXES.sub("", text)
    for _ in range(3):
        text = _TITLE.sub("", _NAME_ENDINGS.sub("", text).strip()).strip()
    words = text.split()
    if len(words) == 1:
        candidate = words[0]
    elif len(words) == 2 and len(words[0]) <= 2:
        candidate = "".join(words)  # "김 민수" → "김민수"
    else:
        return None
    if not _HANGUL_NAME.match(candidate) or candidate[-1] in _VERB_ENDINGS:
        return None
    if candidate[:2] in _COMPOUND_SURNAMES:
        return candidate if 3 <= len(candidate) <= 5 else None
    if candidate[0] in _SURNAMES and 2 <= len(candidate) <= 4:
        return candidate
    return None


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
