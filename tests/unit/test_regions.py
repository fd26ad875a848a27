"""Q2: a named place → covered or not, under which of the article's listed regions."""
from __future__ import annotations

import datetime as dt

import pytest

from consignment.regions import service_regions, short_form


def coverage_of(place: str):
    (coverage,) = service_regions().resolve(place)
    return coverage


def test_the_listed_regions_are_the_articles_in_its_order():
    assert service_regions().listed == (
        "서울", "부산", "인천", "광주", "울산", "경기", "강원", "천안", "제주", "대구", "경북", "목포", "대전",
    )


@pytest.mark.parametrize(
    "place,listed",
    [("수원", "경기"), ("포항", "경북"), ("강남", "서울"), ("해운대", "부산"), ("춘천", "강원"),
     ("천안", "천안"), ("천안시 서북구", "천안"), ("목포", "목포"), ("서귀포", "제주"), ("여의도", "서울")],
)
def test_a_place_in_a_listed_region_is_covered_under_that_region(place, listed):
    coverage = coverage_of(place)
    assert coverage.covered and coverage.listed_region == listed


@pytest.mark.parametrize("place", ["아산", "창원", "전주", "청주", "세종", "여수", "순천", "충청남도"])
def test_a_place_outside_the_listed_regions_is_not_covered(place):
    assert not coverage_of(place).covered


def test_asan_is_not_covered_although_its_neighbour_cheonan_is():
    assert coverage_of("천안").covered and not coverage_of("아산").covered


def test_daejeon_carries_its_start_date():
    assert coverage_of("대전").since == dt.date(2022, 4, 25)


def test_gwangju_means_the_metropolitan_city():
    assert coverage_of("광주").place.official == "광주광역시"


def test_a_name_shared_by_two_provinces_is_answered_for_each():
    coverages = service_regions().resolve("고성")
    assert {(c.place.province, c.covered) for c in coverages} == {("강원", True), ("경남", False)}


def test_an_unknown_place_resolves_to_nothing():
    assert service_regions().resolve("아틀란티스") == []


@pytest.mark.parametrize(
    "written,short",
    [("서울특별시", "서울"), ("수원시", "수원"), ("제주도", "제주"), ("강남구", "강남"), ("중구", "중구"),
     ("동안구", "동안구")],
)
def test_short_forms_follow_the_contract(written, short):
    assert short_form(written) == short
