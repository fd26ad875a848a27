"""Phone numbers: one written form, and the masked form logs, slots and agents see."""
from __future__ import annotations

import pytest

from consignment.phone import mask_phone, mask_phone_numbers_in, normalize_phone


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


def test_an_already_masked_phone_stays_masked():
    assert mask_phone("010-****-5678") == "010-****-5678"


def test_phone_numbers_inside_free_text_are_masked():
    assert mask_phone_numbers_in("김민수 01012345678 이요") == "김민수 010-****-5678 이요"
