"""Names and jamo: the Korean text rules shared by NLU and forms."""
from __future__ import annotations

import pytest

from korean_nlu.text import extract_driver_name, to_jamo


@pytest.mark.parametrize(
    "answer,name",
    [
        ("김민수", "김민수"),
        ("김민수입니다", "김민수"),
        ("제 이름은 박지영이요", "박지영"),
        ("성함: 이영희", "이영희"),
        ("최지훈 기사입니다", "최지훈"),
        ("김 민수", "김민수"),
        ("남궁민수요", "남궁민수"),
        ("홍길동 010-1234-5678", "홍길동"),
        ("이영희", "이영희"),
        ("이름 이수진", "이수진"),
        ("김민수이고 번호는 010-1234-5678", "김민수"),
        ("임도현이에요 폰은 010 6638 2045", "임도현"),
        ("오세영이에요", "오세영"),
        ("이영희예요", "이영희"),
        ("전민혁요", "전민혁"),
        ("저 서지민인데요", "서지민"),
        ("한동욱이라고 합니다", "한동욱"),
        ("네 제 이름은 박철수입니다", "박철수"),
        ("정수진이구요 01056789012", "정수진"),
        ("황보영희요", "황보영희"),
        ("김소이요", "김소이"),
        ("이수이에요", "이수이"),
        ("김하나이에요", "김하나"),
    ],
)
def test_a_name_is_taken_out_of_its_polite_wrapping(answer, name):
    assert extract_driver_name(answer) == name


@pytest.mark.parametrize(
    "answer",
    ["위탁콜이 뭐예요", "네", "모르겠어요", "상담원 연결해줘", "010-1234-5678", "ㅋㅋㅋ", "abc",
     "서울이요", "카모요", "잘 모르겠는데요", "기억이 안 나요", "위탁콜이요",
     "서귀포는요", "경주는?", "제천도요"],  # a place with its particle reads like a four-syllable name
)
def test_what_is_not_a_name_is_refused(answer):
    assert extract_driver_name(answer) is None


@pytest.mark.parametrize("answer,name", [("안성은입니다", "안성은"), ("홍성은이요", "홍성은"), ("고성은", "고성은")])
def test_a_name_that_starts_like_a_place_is_still_a_name(answer, name):
    assert extract_driver_name(answer) == name


def test_jamo_spelling_makes_one_letter_typos_close():
    assert to_jamo("콜마너") == "ㅋㅗㄹㅁㅏㄴㅓ"
    assert to_jamo("콜마나")[:-1] == to_jamo("콜마너")[:-1]
