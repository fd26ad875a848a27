"""Korean particles chosen by the last syllable of the filled-in word."""
from __future__ import annotations

import pytest

from korean_nlu.josa import attach_particles


@pytest.mark.parametrize(
    "template,expected",
    [
        ("아산은(는) 아닙니다", "아산은 아닙니다"),
        ("포항은(는) 됩니다", "포항은 됩니다"),
        ("고성이(가) 두 곳", "고성이 두 곳"),
        ("'거제'이(가) 어디", "'거제'가 어디"),
        ("티맵(으)로 문의", "티맵으로 문의"),
        ("로지(으)로 문의", "로지로 문의"),
        ("우티(으)로 문의", "우티로 문의"),
        ("VIP콜은(는)", "VIP콜은"),
        ("KT을(를)", "KT를"),
        ("TMAP(으)로", "TMAP으로"),
    ],
)
def test_the_particle_follows_the_last_syllable(template, expected):
    assert attach_particles(template) == expected


def test_text_without_markers_is_unchanged():
    assert attach_particles("위탁콜은 출발지 기준입니다.") == "위탁콜은 출발지 기준입니다."
