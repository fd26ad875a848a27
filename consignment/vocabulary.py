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
PARTNER_APP = "콜마너"


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
    )

