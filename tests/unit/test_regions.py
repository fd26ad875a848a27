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


# ── a driver's message: where each place stands in the trip, groups, several places ──────────

from consignment.regions import answer_lines, region_answer_lines, region_mentions  # noqa: E402


def mentions(text: str, *values: str):
    """The region entities of `text` as the NLU gives them: each value at its place in the text."""
    entities, start = [], 0
    for written, value in (v.split("=") if "=" in v else (v, v) for v in values):
        start = text.index(written, start)
        entities.append({"entity": "region", "value": value, "start": start, "end": start + len(written)})
        start += len(written)
    return region_mentions(text, entities)


def responses(lines):
    return [name for name, _ in lines]


@pytest.mark.parametrize(
    "text,place,role",
    [("오창에서 태워서 부산 가는 콜", "오창", "start"), ("오창에서 태워서 부산 가는 콜", "부산", "destination"),
     ("목적지가 부산이면요?", "부산", "destination"), ("부산까지 가는 콜도 돼요?", "부산", "destination"),
     ("도착지가 대전인데", "대전", "destination"), ("대전으로 가는 콜", "대전", "destination"),
     ("부산발 서울행", "부산", "start"), ("부산발 서울행", "서울", "destination"),
     ("출발지는 수원이고요", "수원", "start"), ("수원도 돼요?", "수원", "unknown")],
)
def test_the_words_around_a_place_say_whether_the_call_starts_or_ends_there(text, place, role):
    values = [v for v in ("오창", "부산", "서울", "대전", "수원") if v in text]
    (found,) = [m for m in mentions(text, *values) if m.value == place]
    assert found.role == role


def test_a_destination_alone_gets_no_verdict_but_the_question_where_the_call_starts():
    lines = region_answer_lines(mentions("목적지가 부산이면요?", "부산"))
    assert lines == [("utter_region_ask_start", {"destination": "부산"})]


def test_with_a_start_and_a_destination_the_start_is_answered_and_the_destination_set_aside():
    lines = region_answer_lines(mentions("오창에서 태워서 부산 가는 콜", "오창", "부산"))
    assert lines == [("utter_region_not_covered", {"place": "오창"}),
                     ("utter_region_destination_not_deciding", {"destination": "부산"})]


def test_a_group_names_its_covered_and_uncovered_members():
    lines = region_answer_lines(mentions("영남권도 되나요", "영남권=영남"))
    assert lines == [("utter_region_group", {"group": "영남", "covered": "부산·대구·울산·경북", "not_covered": "경남"})]


def test_a_group_counts_a_listed_city_of_an_unlisted_province():
    (line, since) = region_answer_lines(mentions("충청도는요", "충청도=충청"))
    assert line == ("utter_region_group", {"group": "충청", "covered": "대전·천안(충남)", "not_covered": "세종·충북·충남(천안 외 지역)"})
    assert since == ("utter_region_since", {"listed_region": "대전", "since": "2022년 4월 25일"})


def test_a_group_of_listed_regions_only_is_covered_as_a_whole():
    lines = region_answer_lines(mentions("수도권 돼요?", "수도권"))
    assert lines == [("utter_region_group_covered", {"group": "수도권", "covered": "서울·인천·경기"})]


@pytest.mark.parametrize(
    "text,values,line",
    [("김해 장유 돼요?", ("김해", "장유"), ("utter_region_not_covered", {"place": "김해 장유"})),
     ("청주 오창 되나요", ("청주", "오창"), ("utter_region_not_covered", {"place": "청주 오창"})),
     ("천안시 서북구 되나요", ("천안시=천안", "서북구=서북"),
      ("utter_region_covered", {"place": "천안시 서북구", "listed_region": "천안"}))],
)
def test_two_names_of_one_place_get_one_answer_naming_it_as_the_driver_did(text, values, line):
    assert region_answer_lines(mentions(text, *values)) == [line]


def test_several_places_get_one_grouped_answer_and_the_region_list_once():
    lines = region_answer_lines(mentions("수원 포항 아산 다 돼요?", "수원", "포항", "아산"))
    assert lines == [
        ("utter_region_covered_places", {"places": "수원(경기)·포항(경북)"}),
        ("utter_region_not_covered_places", {"places": "아산"}),
        ("utter_service_regions", {}),
    ]


def test_several_unknown_places_are_asked_back_in_one_line():
    lines = region_answer_lines(mentions("무릉도원 아틀란티스 돼요", "무릉도원", "아틀란티스"))
    assert lines == [("utter_region_unknown_places", {"places": "'무릉도원'·'아틀란티스'"}), ("utter_service_regions", {})]


def test_one_place_keeps_the_single_place_answer():
    assert answer_lines(["아산"]) == [("utter_region_not_covered", {"place": "아산"})]


def test_a_city_named_like_a_listed_region_falls_under_its_own_province():
    assert coverage_of("광주시").listed_region == "경기"  # 경기도 광주시, not the listed 광주광역시


@pytest.mark.parametrize(
    "text,values,line",
    [("경기 광주 돼요?", ("경기", "광주"), ("utter_region_covered", {"place": "경기 광주", "listed_region": "경기"})),
     ("충남 천안 되나요", ("충남", "천안"), ("utter_region_covered", {"place": "충남 천안", "listed_region": "천안"}))],
)
def test_a_province_written_before_a_place_in_it_names_that_place(text, values, line):
    assert region_answer_lines(mentions(text, *values)) == [line]


def test_a_shared_name_beside_its_province_is_that_provinces_place():
    lines = region_answer_lines(mentions("서울 중구 부산 중구 돼요?", "서울", "중구", "부산", "중구"))
    assert lines[0] == ("utter_region_covered_places", {"places": "서울 중구(서울)·부산 중구(부산)"})
