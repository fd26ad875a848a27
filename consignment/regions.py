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
    city_of: Dict[str, str]  # a listed city → its 시·도, which is not listed as a whole (천안 → 충남)
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

    def places_in(self, text: str, province: str) -> Tuple[Place, ...]:
        """The places of one 시·도 the text can name ("광주" in 경기: 경기 광주시), one per
        (시·도, 시·군·구); the 시·도 itself is not one of them."""
        found = self._index.get(_fold(text)) or self._index.get(_fold(short_form(text))) or ()
        unique: Dict[Tuple[str, Optional[str]], Place] = {}
        for place in found:
            if place.province == province and not (place.city is None and place.name == province):
                unique.setdefault((place.province, place.city), place)
        return tuple(unique.values())

    def coverage(self, place: Place) -> Coverage:
        # a listed city only in its own 시·도: 경기 광주시 is not the listed 광주(광역시)
        if place.city in self.listed and self.city_of.get(place.city) == place.province:
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

    def is_known(self, text: str) -> bool:
        """A spelling of a place of the gazetteer."""
        return _fold(text) in self._names

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
        city_of={entry["region"]: entry["city_of"] for entry in covered if entry.get("city_of")},
        _index=index,
        _spellings=spellings,
        _names={_fold(written): short for written, short in spellings},
    )


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def answer_lines(places: List[str]) -> List[Tuple[str, Dict[str, str]]]:
    """What to say about places named without anything around them (each one a start)."""
    return region_answer_lines([Mention(value=place, role=UNKNOWN, written=place) for place in places])


# ── a driver's message: where each place stands in the trip ────────────────────────────────

START, DESTINATION, UNKNOWN = "start", "destination", "unknown"
# What may follow a role word before the place ("목적지가 부산", "출발지는 수원"): particles only,
# so that "출발해서 부산" (출발 + a verb ending) is not read as "the start is 부산".
_ROLE_WORD_ENDINGS = ("", "가", "이", "은", "는", "도", ":", "요")
# Responses that ask the driver something back: no rating buttons under them.
ASKING_BACK = frozenset({"utter_region_unknown", "utter_region_unknown_places", "utter_region_ask_start"})


@dataclass(frozen=True)
class Mention:
    value: str  # the `region` entity's value: a place's short form, or a group (영남)
    role: str  # START, DESTINATION or UNKNOWN (answered as a start, as the article is 출발지 기준)
    written: str  # as the driver wrote it ("천안시")
    gap_before: Optional[str] = None  # the text since the previous place; None without offsets

    def follows_closely(self) -> bool:
        """Written right after the previous place, only spaces between ("김해 장유")."""
        return self.gap_before is not None and not self.gap_before.strip()


@functools.lru_cache(maxsize=None)
def _trip_role_cues() -> Dict[str, Tuple[str, ...]]:
    # content/vocabulary.yml `trip_role_cues`: words the CS team reviews
    raw = load_yaml("vocabulary.yml")["trip_role_cues"]
    return {key: tuple(_fold(str(word)) for word in words) for key, words in raw.items()}


def _role(before: str, after: str) -> str:
    """The place's role from the words right after it ("에서", "까지", "행"), else from the word
    right before it ("목적지가", "출발지는")."""
    cues = _trip_role_cues()
    following = _fold(after)
    for role, key in ((DESTINATION, "destination_after"), (START, "start_after")):
        if any(following.startswith(cue) for cue in cues[key]):
            return role
    words = before.split()
    word = words[-1] if words else ""
    for role, key in ((DESTINATION, "destination_before"), (START, "start_before")):
        if any(word.startswith(cue) and word[len(cue):] in _ROLE_WORD_ENDINGS for cue in cues[key]):
            return role
    return UNKNOWN


def _offsets(entity: dict) -> Optional[Tuple[int, int]]:
    start, end = entity.get("start"), entity.get("end")
    return (start, end) if isinstance(start, int) and isinstance(end, int) and start < end else None


def region_mentions(text: str, entities: List[dict]) -> List[Mention]:
    """The `region` entities of a message in order, each with its role in the trip, read from
    the words between it and its neighbours ("오창에서 태워서 부산 가는 콜": 오창 the start, 부산
    the destination). An entity without offsets has no role (UNKNOWN)."""
    found = [e for e in entities or [] if e.get("entity") == "region" and e.get("value")]
    placed: List[Tuple[int, int, str]] = []
    for start, end, value in sorted({(*_offsets(e), str(e["value"])) for e in found if _offsets(e)},
                                    key=lambda span: (span[0], -span[1])):
        if not placed or start >= placed[-1][1]:  # one place per stretch of text (the NLU keeps one too)
            placed.append((start, end, value))
    mentions: List[Mention] = []
    for i, (start, end, value) in enumerate(placed):
        previous_end = max([0, *(e for _, e, _ in placed[:i] if e <= start)])
        next_start = min([len(text), *(s for s, _, _ in placed[i + 1:] if s >= end)])
        mentions.append(Mention(
            value=value,
            role=_role(text[previous_end:start], text[end:next_start]),
            written=text[start:end] or value,
            gap_before=text[previous_end:start] if i else None,
        ))
    for entity in found:
        if not _offsets(entity) and all(m.value != entity["value"] for m in mentions):
            mentions.append(Mention(value=str(entity["value"]), role=UNKNOWN, written=str(entity["value"])))
    return mentions


# ── what to say ──────────────────────────────────────────────────────────────────────────────

Line = Tuple[str, Dict[str, str]]


def _key(coverage: Coverage) -> Tuple[str, Optional[str]]:
    return coverage.place.province, coverage.place.city


@dataclass
class _Named:
    """One place the driver named (perhaps by two names: "김해 장유"), or one group."""
    mentions: List[Mention]
    coverages: List[Coverage]  # empty for an unknown place and for a group
    group: Optional[str] = None

    def keys(self) -> set:
        return {_key(c) for c in self.coverages}

    def shown(self) -> str:
        """As the driver named it: one name by its value (수원시 → 수원), two names written side
        by side as written ("천안시 서북구"), else both values ("김해 장유")."""
        if len(self.mentions) == 1:
            return self.mentions[0].value
        if all(m.follows_closely() for m in self.mentions[1:]):
            return self.mentions[0].written + "".join(m.gap_before + m.written for m in self.mentions[1:])
        return " ".join(dict.fromkeys(m.value for m in self.mentions))


def _named_starts(mentions: List[Mention]) -> List[_Named]:
    """The places and groups the calls start from, one entry per place. Two names side by side
    are one place when they can be ("청주 오창", "간성 고성": the names together say which 고성),
    and so is a 시·도 before a place in it ("충남 천안", "경기 광주": 경기도 광주시, not 광주광역시);
    a name further on joins a place only when it can be no other."""
    from consignment.vocabulary import vocabulary  # content only (vocabulary does not import regions)

    regions = service_regions()
    named: List[_Named] = []
    for mention in mentions:
        group = vocabulary().region_group(mention.value)
        if group:
            if all(entry.group != group for entry in named):
                named.append(_Named([mention], [], group=group))
            continue
        coverages = regions.resolve(mention.value)
        if not coverages:
            if all(entry.group or entry.coverages or entry.mentions[0].value != mention.value for entry in named):
                named.append(_Named([mention], []))
            continue
        keys = {_key(c) for c in coverages}
        last = named[-1] if named and not named[-1].group and named[-1].coverages else None
        if last and mention.follows_closely():
            # written side by side: "청주 오창", "간성 고성", "충남 천안", "경기 광주" (경기도 광주시)
            narrowed = [c for c in last.coverages if _key(c) in keys] or [
                regions.coverage(place) for province, city in last.keys() if city is None
                for place in regions.places_in(mention.value, province)
            ]
            if narrowed:
                last.mentions.append(mention)
                last.coverages = narrowed
                continue
        # the same place named again further on ("김해 … 장유"): only when it can be no other
        again = next((e for e in named if not e.group and e.coverages and keys <= e.keys()), None)
        if again:
            again.mentions.append(mention)
            again.coverages = [c for c in again.coverages if _key(c) in keys]
            continue
        named.append(_Named([mention], coverages))
    return named


def _since(regions: ServiceRegions, listed: Optional[str]) -> Optional[str]:
    since = regions.since.get(listed) if listed else None
    if not since:
        return None
    return regions.date_format.format(year=since.year, month=since.month, day=since.day)


def _one_place_lines(entry: _Named) -> List[Line]:
    """The single-place answers (utter_region_covered, _since, _not_covered, _unknown). A shared
    name (고성: 강원/경남) is answered for each place it can be unless the answer is the same
    everywhere (중구: all covered)."""
    regions = service_regions()
    place = entry.shown()
    coverages = entry.coverages
    if not coverages:
        return [("utter_region_unknown", {"place": place})]
    answers = {c.covered for c in coverages}
    if len(coverages) > 1 and answers == {True}:
        listed = "·".join(dict.fromkeys(c.listed_region for c in coverages))
        return [("utter_region_covered", {"place": place, "listed_region": listed})]
    if len(coverages) > 1 and answers == {False}:
        coverages = coverages[:1]
    lines: List[Line] = []
    for coverage in coverages:
        shown = coverage.place.official if len(coverages) > 1 else place
        since = _since(regions, coverage.listed_region)
        if not coverage.covered:
            lines.append(("utter_region_not_covered", {"place": shown}))
        elif since:
            lines.append(("utter_region_covered_since",
                          {"place": shown, "listed_region": coverage.listed_region, "since": since}))
        else:
            lines.append(("utter_region_covered", {"place": shown, "listed_region": coverage.listed_region}))
    return lines


def _group_lines(group: str) -> List[Line]:
    """Which of the article's listed regions lie inside a group (영남: 부산·대구·울산·경북) and
    which of its members do not (경남); a listed city covers its part of its province (충청:
    천안(충남) is covered, 충남(천안 외 지역) is not). From the coverage data, in the group's order."""
    from consignment.vocabulary import vocabulary

    regions = service_regions()
    covered: List[str] = []
    not_covered: List[str] = []
    since_lines: List[Line] = []
    for member in vocabulary().region_groups[group]:
        if member in regions.listed:
            covered.append(member)
            listed_here = [member]
        else:
            listed_here = [city for city in regions.listed if regions.city_of.get(city) == member]
            covered.extend(f"{city}({member})" for city in listed_here)
            not_covered.append(f"{member}({'·'.join(listed_here)} 외 지역)" if listed_here else member)
        for listed in listed_here:
            since = _since(regions, listed)
            if since:
                since_lines.append(("utter_region_since", {"listed_region": listed, "since": since}))
    if not not_covered:
        line = ("utter_region_group_covered", {"group": group, "covered": "·".join(covered)})
    elif not covered:
        line = ("utter_region_group_not_covered", {"group": group, "not_covered": "·".join(not_covered)})
    else:
        line = ("utter_region_group",
                {"group": group, "covered": "·".join(covered), "not_covered": "·".join(not_covered)})
    return [line, *since_lines]


def _several_places_lines(entries: List[_Named]) -> List[Line]:
    """Several places at once: one line for the covered ones (each with its listed region), one
    for the others, one for the unknown; the caller adds the article's list once."""
    regions = service_regions()
    covered: List[str] = []
    not_covered: List[str] = []
    unknown: List[str] = []
    since_lines: List[Line] = []
    for entry in entries:
        place = entry.shown()
        coverages = entry.coverages
        if not coverages:
            unknown.append(f"'{place}'")
            continue
        answers = {c.covered for c in coverages}
        if len(coverages) > 1 and answers == {True}:  # 중구: covered wherever it is
            covered.append(f"{place}({'·'.join(dict.fromkeys(c.listed_region for c in coverages))})")
            continue
        if len(coverages) > 1 and answers == {False}:
            coverages = coverages[:1]
        for coverage in coverages:
            shown = coverage.place.official if len(coverages) > 1 else place
            if not coverage.covered:
                not_covered.append(shown)
                continue
            listed = coverage.listed_region
            covered.append(shown if shown == listed else f"{shown}({listed})")
            since = _since(regions, listed)
            if since:
                since_lines.append(("utter_region_since", {"listed_region": listed, "since": since}))
    lines: List[Line] = []
    if covered:
        lines.append(("utter_region_covered_places", {"places": "·".join(dict.fromkeys(covered))}))
        lines.extend(since_lines)
    if not_covered:
        lines.append(("utter_region_not_covered_places", {"places": "·".join(dict.fromkeys(not_covered))}))
    if unknown:
        lines.append(("utter_region_unknown_places", {"places": "·".join(dict.fromkeys(unknown))}))
    return lines


def _once(lines: List[Line]) -> List[Line]:
    """Each line once (대전's start date for 충청 and for 대전 named beside it)."""
    seen: set = set()
    kept: List[Line] = []
    for name, values in lines:
        key = (name, tuple(sorted(values.items())))
        if key not in seen:
            seen.add(key)
            kept.append((name, values))
    return kept


def region_answer_lines(mentions: List[Mention]) -> List[Line]:
    """What to say about the places of a driver's message: (response name, its values) in order.

    The article is 출발지 기준: a call's start decides. The places that are starts (or whose role
    is not said) are answered; a destination never is: beside a start the driver hears that the
    destination does not decide; alone, the driver is asked where the call starts. No place →
    the article's list. One place or group → its own answer; several → one grouped answer and
    the list once.
    """
    if not mentions:
        return [("utter_service_regions", {})]
    starts = [m for m in mentions if m.role != DESTINATION]
    destination = "·".join(dict.fromkeys(m.value for m in mentions if m.role == DESTINATION))
    if not starts:
        return [("utter_region_ask_start", {"destination": destination})]
    named = _named_starts(starts)
    if len(named) == 1:
        entry = named[0]
        lines = _group_lines(entry.group) if entry.group else _one_place_lines(entry)
    else:
        lines = [line for entry in named if entry.group for line in _group_lines(entry.group)]
        places = [entry for entry in named if not entry.group]
        if places:
            lines += _several_places_lines(places) + [("utter_service_regions", {})]
        lines = _once(lines)
    if destination:
        lines.append(("utter_region_destination_not_deciding", {"destination": destination}))
    return lines
