"""Where 위탁콜 runs (article Q2), and which listed region a named place falls under.

The article lists regions at two levels: 시·도 (서울, 경기, 경북 …) and two cities (천안 in 충남,
목포 in 전남). A place is covered when a call *starting* there starts in a listed region. Places are
resolved through the gazetteer (content/regions_gazetteer.yml): 시·도 → 시·군·구 → well-known areas.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from consignment.content import load_yaml

# Longest first, so that 특별자치도 is stripped before 도.
_SUFFIXES = ("특별자치시", "특별자치도", "특별시", "광역시", "시", "군", "구", "도")


# Short forms that are everyday words ("10분 동안", "수정", "상당히"): those districts keep
# their full name (동안구, 수정구, 상당구) so that they are not found in ordinary sentences.
_NOT_SHORTENED = {"동안", "수정", "상당", "중원", "완산", "덕진", "흥덕", "청원", "서원"}


def short_form(name: str) -> str:
    """서울특별시 → 서울, 수원시 → 수원, 제주도 → 제주, 강남구 → 강남; 중구 stays 중구."""
    name = "".join(name.split())
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            short = name[: -len(suffix)]
            return name if short in _NOT_SHORTENED else short
    return name


def _area_short_form(area: str) -> str:
    """Areas inside a city keep their name (여의도, 상무지구, 오이도); only 구 are shortened
    (영통구 → 영통), as drivers say them."""
    return short_form(area) if area.endswith("구") and not area.endswith("지구") else area


def _fold(text: str) -> str:
    return "".join(text.split()).lower()


@dataclass(frozen=True)
class Place:
    name: str  # short common form, as the contract's `region` entity value
    province: str  # gazetteer key of its 시·도
    city: Optional[str]  # short form of its 시·군·구, None for a 시·도 itself
    official: str  # the official name, for answers ("충청남도 아산시")


@dataclass(frozen=True)
class Coverage:
    place: Place
    covered: bool
    listed_region: Optional[str]  # the article's region the place falls under
    since: Optional[dt.date]
    note: Optional[str]


@dataclass(frozen=True)
class ServiceRegions:
    basis: str
    date_format: str
    listed: Tuple[str, ...]  # in the article's order
    since: Dict[str, dt.date]
    notes: Dict[str, str]
    _index: Dict[str, Tuple[Place, ...]]
    _spellings: Tuple[Tuple[str, str], ...]
    _names: Dict[str, str]

    def places_named(self, text: str) -> Tuple[Place, ...]:
        """Every place the text can name; more than one when a name is shared (중구, 고성)."""
        key = _fold(text)
        found = self._index.get(key) or self._index.get(_fold(short_form(text))) or ()
        if not found and len(text.split()) > 1:
            # "천안시 서북구", "구미 인동": the most specific word that is known
            for word in reversed(text.split()):
                found = self.places_named(word)
                if found:
                    return found
        # 광주 is both 광주광역시 and 경기 광주시: a driver saying 광주 means the 시·도.
        provinces = tuple(p for p in found if p.city is None and p.name == p.province)
        if provinces:
            return provinces
        # 해운대 is both 해운대구 and an area of it: one place per (시·도, 시·군·구)
        unique: Dict[Tuple[str, Optional[str]], Place] = {}
        for place in found:
            unique.setdefault((place.province, place.city), place)
        return tuple(unique.values())

    def coverage(self, place: Place) -> Coverage:
        if place.city in self.listed:
            listed = place.city
        elif place.province in self.listed:
            listed = place.province
        else:
            listed = None
        return Coverage(
            place=place,
            covered=listed is not None,
            listed_region=listed,
            since=self.since.get(listed) if listed else None,
            note=self.notes.get(listed) if listed else None,
        )

    def resolve(self, text: str) -> List[Coverage]:
        """Coverage for each place the text can name; empty when the place is unknown."""
        return [self.coverage(place) for place in self.places_named(text)]

    def canonical_name(self, text: str) -> str:
        """The contract's `region` value for a place as written: a known spelling keeps the
        gazetteer's short form as it is (여의도, 송도국제도시, 상무지구 are not cut again);
        an unknown one loses its 시·군·구 suffix (CONTRACT §2)."""
        known = self._names.get(_fold(text))
        return known if known else short_form(text)

    def spellings(self) -> List[Tuple[str, str]]:
        """(spelling, short form) for every spelling of a place: the NLU's region patterns.

        A spelling shared by several places (중구) still names *a* place: the value is the
        spelling's own short form and the dialogue asks or answers for each.
        """
        return list(self._spellings)


def _build_index(
    gazetteer: dict,
) -> Tuple[Dict[str, Tuple[Place, ...]], Tuple[Tuple[str, str], ...]]:
    index: Dict[str, List[Place]] = defaultdict(list)
    spellings: Dict[str, str] = {}

    def add(spelling: str, place: Place) -> None:
        key = _fold(spelling)
        if len(key) >= 2 and place not in index[key]:
            index[key].append(place)
            spellings.setdefault(spelling, place.name)

    for province, spec in gazetteer["provinces"].items():
        official = spec.get("official", province)
        whole = Place(name=province, province=province, city=None, official=official)
        for spelling in [province, official, *(spec.get("aliases") or [])]:
            add(str(spelling), whole)
        for area in spec.get("places") or []:  # 세종: areas directly under the 시·도
            area_place = Place(name=str(area), province=province, city=None, official=f"{official} {area}")
            add(str(area), area_place)
        for city_official, areas in (spec.get("cities") or {}).items():
            city = short_form(city_official)
            city_place = Place(
                name=city, province=province, city=city, official=f"{official} {city_official}"
            )
            add(city_official, city_place)
            add(city, city_place)
            for area in areas or []:
                area = str(area)
                area_place = Place(
                    name=_area_short_form(area),
                    province=province,
                    city=city,
                    official=f"{official} {city_official} {area}",
                )
                add(area, area_place)
                add(_area_short_form(area), area_place)
    return {key: tuple(places) for key, places in index.items()}, tuple(spellings.items())


@functools.lru_cache(maxsize=None)
def service_regions() -> ServiceRegions:
    policy = load_yaml("service_regions.yml")
    covered = policy["covered"]
    index, spellings = _build_index(load_yaml("regions_gazetteer.yml"))
    return ServiceRegions(
        basis=policy["basis"],
        date_format=policy["date_format"],
        listed=tuple(entry["region"] for entry in covered),
        since={
            entry["region"]: _as_date(entry["since"]) for entry in covered if entry.get("since")
        },
        notes={entry["region"]: entry["note"] for entry in covered if entry.get("note")},
        _index=index,
        _spellings=spellings,
        _names={_fold(written): short for written, short in spellings},
    )


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def answer_lines(places: List[str]) -> List[Tuple[str, Dict[str, str]]]:
    """What to say about the places a driver named: (response name, its values) in order.

    No place → the article's list. A shared name (고성: 강원/경남) is answered for each place it
    can be unless the answer is the same everywhere (중구: all covered).
    """
    if not places:
        return [("utter_service_regions", {})]
    regions = service_regions()
    lines: List[Tuple[str, Dict[str, str]]] = []
    answered = set()
    for place in places:
        resolved = regions.resolve(place)
        if not resolved:
            lines.append(("utter_region_unknown", {"place": place}))
            continue
        coverages = [c for c in resolved if c.place not in answered]
        answered.update(c.place for c in coverages)
        if not coverages:
            continue
        covered = {c.covered for c in coverages}
        if len(coverages) > 1 and covered == {True}:
            listed = "·".join(dict.fromkeys(c.listed_region for c in coverages))
            lines.append(("utter_region_covered", {"place": place, "listed_region": listed}))
            continue
        if len(coverages) > 1 and covered == {False}:
            coverages = coverages[:1]
        for coverage in coverages:
            shown = coverage.place.official if len(coverages) > 1 else place
            if not coverage.covered:
                lines.append(("utter_region_not_covered", {"place": shown}))
            elif coverage.since:
                since = regions.date_format.format(
                    year=coverage.since.year, month=coverage.since.month, day=coverage.since.day)
                lines.append(("utter_region_covered_since", {"place": shown, "listed_region": coverage.listed_region, "since": since}))
            else:
                lines.append(("utter_region_covered", {"place": shown, "listed_region": coverage.listed_region}))
    return lines
