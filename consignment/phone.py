"""Mobile phone numbers: personal data rules (CONTRACT §4).

What counts as a phone number, its one written form (`010-1234-5678`), and the masked form
(`010-****-5678`) that logs, slots, stored conversations and agents may see. The NLU finds
numbers with the same pattern, so "a phone number" means one thing everywhere.
"""
from __future__ import annotations

import re
from typing import Iterator, Optional, Tuple

# Korean mobile numbers: 010 (and the old 011/016/017/018/019) + 3–4 + 4 digits, written with
# hyphens, dots, spaces or nothing. The look-arounds stop a match inside a longer digit run.
MOBILE = re.compile(r"(?<!\d)(01[016789])[\s.\-]*(\d{3,4})[\s.\-]*(\d{4})(?!\d)")


def find_phone_numbers(text: str) -> Iterator[Tuple[int, int, str]]:
    """Yields (start, end, normalised) for each mobile number in the text."""
    for match in MOBILE.finditer(text):
        yield match.start(), match.end(), "-".join(match.groups())


def normalize_phone(text: str) -> Optional[str]:
    """'01012345678', '010 1234 5678', '010.1234.5678' → '010-1234-5678'; None if not a mobile."""
    for _, _, number in find_phone_numbers(text):
        return number
    return None


def mask_phone(phone: str) -> str:
    """'010-1234-5678' → '010-****-5678'; an already masked number stays as it is."""
    normalized = normalize_phone(phone)
    if not normalized:
        return phone if is_masked(phone) else "***"
    head, _, tail = normalized.split("-")
    return f"{head}-****-{tail}"


_MASKED = re.compile(r"^01[016789]-\*{4}-\d{4}$")


def is_masked(phone: str) -> bool:
    return bool(_MASKED.match(phone or ""))


def mask_phone_numbers_in(text: str) -> str:
    """Masks every mobile number inside free text (a stored message, a log line)."""
    return MOBILE.sub(lambda m: f"{m.group(1)}-****-{m.group(3)}", text)
