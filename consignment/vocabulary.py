"""Closed vocabularies (content/vocabulary.yml): call types, ordering companies, the partner app.

Every spelling a driver uses maps to one canonical value (CONTRACT §2). Matching folds case and
spaces so that "카카오 T", "카카오t" and "KAKAO T" are one alias.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

from consignment.content import load_yaml

KAKAO_MOBILITY = "카카오모빌리티"
CONSIGNMENT_CALL = "위탁콜"
PARTNER_CALL = "제휴콜"


def fold(text: str) -> str:
    """The key aliases are compared by: no spaces, lower case."""
    return "".join(text.split()).lower()


@dataclass(frozen=True)
class Vocabulary:
    call_type_aliases: Dict[str, str]
    consultation_types: Dict[str, str]
    other_consultation_type: str
    company_aliases: Dict[str, str]
    partner_app_aliases: Dict[str, str]
    restriction_message_signals: Tuple[str, ...]
    consignment_topics: Dict[str, Tuple[str, ...]]
    topic_responses: Dict[str, str]
    other_company_phrases: Tuple[str, ...]
    unsure_phrases: Tuple[str, ...]
    region_question_cues: Tuple[str, ...]
    definition_cues: Tuple[str, ...]
    uncovered_topics: Dict[str, Tuple[str, ...]]
    english_words: Dict[str, str]
    landmark_words: Tuple[str, ...]
    region_groups: Dict[str, Tuple[str, ...]]  # group → its members (gazetteer keys)
    region_group_aliases: Dict[str, str]  # a way of naming a group (folded) → the group
    region_group_written: Dict[str, Tuple[str, ...]]  # the group → its spellings as written
    restriction_followup_cues: Dict[str, Tuple[str, ...]]  # Q3 follow-up topic → its cue words

    def aliases(self, entity: str) -> Iterable[Tuple[str, str]]:
        """(alias as written in the content file, canonical value) for one entity type."""
        table = {
            "call_type": self.call_type_aliases,
            "ordering_company": self.company_aliases,
            "partner_app": self.partner_app_aliases,
        }[entity]
        return table.items()

    def canonical_call_type(self, text: str) -> Optional[str]:
        return _lookup(self.call_type_aliases, text)

    def canonical_company(self, text: str) -> str:
        """Kakao in any spelling → 카카오모빌리티; another company stays as the driver said it."""
        known = _lookup(self.company_aliases, text)
        if known == KAKAO_MOBILITY:
            return known
        return text.strip()

    def companies_in(self, text: str) -> List[str]:
        """Every ordering company a free-text answer names: 카카오모빌리티 for Kakao in any
        spelling, another company as written ("카카오 아니고 티맵이요" → 카카오모빌리티, 티맵)."""
        folded = fold(text)
        found: List[str] = []
        # longest aliases first, so that 카카오모빌리티 is not also counted as 카카오
        for alias in sorted(self.company_aliases, key=lambda a: -len(fold(a))):
            if fold(alias) in folded:
                folded = folded.replace(fold(alias), " ")
                company = self.canonical_company(alias)
                if company not in found:
                    found.append(company)
        return found

    def says_other_company(self, text: str) -> bool:
        """"아니요 다른 업체예요", "카카오 아니에요": another company, maybe unnamed."""
        folded = fold(text)
        return any(fold(phrase) in folded for phrase in self.other_company_phrases)

    def is_kakao(self, company: Optional[str]) -> bool:
        return bool(company) and _lookup(self.company_aliases, company) == KAKAO_MOBILITY

    def canonical_partner_app(self, text: str) -> Optional[str]:
        return _lookup(self.partner_app_aliases, text)

    def consultation_type(self, call_type: Optional[str]) -> str:
        """The article's 상담 유형 label for a call type (일반콜 → 자사콜(일반), unknown → 기타)."""
        return self.consultation_types.get(call_type or "", self.other_consultation_type)

    def quotes_restriction_message(self, text: str) -> bool:
        """True when the message quotes (part of) 콜마너's "발주사의 정책에 따라…" message."""
        folded = fold(text)
        return any(fold(signal) in folded for signal in self.restriction_message_signals)

    def consignment_topic_responses(self, text: str) -> List[str]:
        """The responses for the Q1 follow-up topics (structure, 제휴 기사, insurance) a
        question names, in the content file's order."""
        folded = fold(text)
        return [
            self.topic_responses[topic]
            for topic, words in self.consignment_topics.items()
            if any(fold(word) in folded for word in words)
        ]

    def says_unsure(self, text: str) -> bool:
        """"잘 모르겠어요", "확인 안 해봤어요", "기억이 안 나요": the driver does not know."""
        folded = fold(text)
        return any(fold(phrase) in folded for phrase in self.unsure_phrases)

    def asks_where(self, text: str) -> bool:
        """Asks whether 위탁콜 is available somewhere, not what a 위탁콜 is."""
        folded = fold(text)
        return (
            any(fold(cue) in folded for cue in self.region_question_cues)
            and not any(fold(cue) in folded for cue in self.definition_cues)
            and not self.consignment_topic_responses(text)  # 구조, 제휴 기사, 보험: Q1's topics
        )

    def uncovered_topic(self, text: str) -> Optional[str]:
        """The topic the article does not cover that the message asks about (수수료, 정산,
        벌점, …), or None."""
        folded = fold(text)
        for topic, words in self.uncovered_topics.items():
            if any(fold(word) in folded for word in words):
                return topic
        return None

    def english_gloss(self, word: str) -> Optional[str]:
        """The Korean word an English word in a Korean message stands for ("insurance" → 보험)."""
        return self.english_words.get(word.lower())

    def region_group(self, text: str) -> Optional[str]:
        """The region group a place name means (영남권 → 영남, 수도권 → 수도권), or None."""
        return self.region_group_aliases.get(fold(text))

    def region_group_spellings(self) -> List[Tuple[str, str]]:
        """(a way of writing a group, the group): the NLU's patterns for region groups."""
        return [(alias, group) for group, aliases in self.region_group_written.items() for alias in aliases]

    def without_landmark(self, text: str) -> Optional[str]:
        """The place before a landmark word ("광명역" → "광명", "나주 혁신도시" → "나주"), or None
        when the text does not end with one."""
        folded = fold(text)
        for word in sorted(self.landmark_words, key=lambda w: -len(fold(w))):
            if folded.endswith(fold(word)) and len(folded) > len(fold(word)):
                return folded[: -len(fold(word))]
        return None

    def is_landmark_fragment(self, text: str) -> bool:
        """A piece of a landmark word taken for a place ("혁신도" of 혁신도시, "국제" of 국제도시)."""
        folded = fold(text)
        return any(fold(word).startswith(folded) for word in self.landmark_words if len(fold(word)) > 2) \
            and len(folded) >= 2

    def has_restriction_followup_cue(self, text: str) -> bool:
        folded = fold(text)
        return any(fold(cue) in folded for cues in self.restriction_followup_cues.values() for cue in cues)

    def restriction_followup_topic(self, text: str) -> str:
        """What a follow-up to the Q3 answer asks (who / other_calls / ends / why), by the first
        topic of the content file whose cue the message has; none: "why"."""
        folded = fold(text)
        for topic, cues in self.restriction_followup_cues.items():
            if any(fold(cue) in folded for cue in cues):
                return topic
        return "why"

    def mentions_partner_app(self, text: str) -> bool:
        folded = fold(text)
        return any(fold(alias) in folded for alias in self.partner_app_aliases)


def _lookup(table: Dict[str, str], text: str) -> Optional[str]:
    folded = fold(text)
    for alias, value in table.items():
        if fold(alias) == folded:
            return value
    return None


def _alias_table(section: Dict[str, dict]) -> Dict[str, str]:
    table: Dict[str, str] = {}
    for value, spec in section.items():
        table[value] = value
        for alias in spec.get("aliases", []):
            table[str(alias)] = value
    return table


@functools.lru_cache(maxsize=None)
def vocabulary() -> Vocabulary:
    raw = load_yaml("vocabulary.yml")
    return Vocabulary(
        call_type_aliases=_alias_table(raw["call_types"]),
        consultation_types={
            name: spec["consultation_type"] for name, spec in raw["call_types"].items()
        },
        other_consultation_type=raw["other_consultation_type"],
        company_aliases=_alias_table(raw["ordering_companies"]),
        partner_app_aliases=_alias_table(raw["partner_apps"]),
        restriction_message_signals=tuple(raw["restriction_message_signals"]),
        consignment_topics={
            topic: tuple(spec["words"]) for topic, spec in raw["consignment_topics"].items()
        },
        topic_responses={topic: spec["response"] for topic, spec in raw["consignment_topics"].items()},
        other_company_phrases=tuple(raw["other_company_phrases"]),
        unsure_phrases=tuple(raw["unsure_phrases"]),
        region_question_cues=tuple(raw["region_question_cues"]),
        definition_cues=tuple(raw["definition_cues"]),
        uncovered_topics={topic: tuple(words) for topic, words in raw["uncovered_topics"].items()},
        english_words={str(k).lower(): str(v) for k, v in raw["english_words"].items()},
        landmark_words=tuple(raw["landmark_words"]),
        region_groups={group: tuple(spec["members"]) for group, spec in raw["region_groups"].items()},
        region_group_aliases={
            fold(alias): group for group, spec in raw["region_groups"].items() for alias in [group, *spec["aliases"]]
        },
        region_group_written={
            group: tuple(dict.fromkeys([group, *spec["aliases"]])) for group, spec in raw["region_groups"].items()
        },
        restriction_followup_cues={
            topic: tuple(cues) for topic, cues in raw["restriction_followup_cues"].items()
        },
    )

