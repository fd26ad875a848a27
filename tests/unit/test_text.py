"""Phone numbers, names and jamo: the Korean text rules shared by NLU and forms."""
from __future__ import annotations

import pytest

from korean_nlu.text import (
    extract_driver_name,
    mask_phone,
    mask_phone_numbers_in,
    normalize_phone,
    to_jamo,
)


@pytest.mark.parametrize(
    "written",
    ["010-1234-5678", "01012345678", "010 1234 5678", "010.1234.5678", "번호는 010-1234-5678 입니다"],
)
def test_phone_numbers_normalise_to_hyphenated_digits(written):
    assert normalize_phone(written) == "010-1234-5678"


@pytest.mark.parametrize("written", ["1234-5678", "010-12-5678", "02-123-4567", "0101234567890", "전화번호"])
def test_what_is_not_a_mobile_number_is_refused(written):
    assert normalize_phone(written) is None


def test_masked_phone_keeps_only_the_carrier_prefix_and_last_four_digits():
    assert mask_phone("01012345678") == "010-****-5678"


def test_phone_numbers_inside_free_text_are_masked():
    assert mask_phone_numbers_in("김민수 01012345678 이요") == "김민수 010-****-5678 이요"


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
    ],
)
def test_a_name_is_taken_out_of_its_polite_wrapping(answer, name):
    assert extract_driver_name(answer) == name


@pytest.mark.parametrize(
    "answer", ["위탁콜이 뭐예요", "네", "모르겠어요", "상담원 연결해줘", "010-1234-5678", "ㅋㅋㅋ", "abc"]
)
def test_what_is_not_a_name_is_refused(answer):
    assert extract_driver_name(answer) is None


def test_jamo_spelling_makes_one_letter_typos_close():
    assert to_jamo("콜마너") == "ㅋㅗㄹㅁㅏㄴㅓ"
    assert to_jamo("콜마나")[:-1] == to_jamo("콜마너")[:-1]
