"""Where the CS-reviewable content lives, and one cached reader for it."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = PROJECT_ROOT / "content"


@functools.lru_cache(maxsize=None)
def load_yaml(name: str) -> Any:
    """Reads `content/<name>` once per process."""
    with open(CONTENT_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def message(section: str, key: str, **values: object) -> str:
    """A server message of content/messages.yml (API errors, page texts), filled in."""
    text = load_yaml("messages.yml")[section][key]
    return text.format(**values) if values else text
