"""The term lexicon (`data/lexicon.csv`): which words in reviews and ads serve which indicator.

Phrases match case-insensitively as whole words; abbreviations match case-sensitively,
because buyers' abbreviations (HE, FS) are ordinary words in lower case.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class TermGroup:
    group: str
    phrases: tuple[str, ...]
    abbreviations: tuple[str, ...]
    sources: tuple[str, ...]

    def phrase_pattern(self) -> str | None:
        """An RE2 pattern for the phrases (match it case-insensitively), or None."""
        return _alternation(self.phrases)

    def abbreviation_pattern(self) -> str | None:
        return _alternation(self.abbreviations)


@lru_cache(maxsize=None)  # a few dozen groups; tip intake asks for the same patterns once a tip
def _alternation(terms: tuple[str, ...]) -> str | None:
    if not terms:
        return None
    return r"\b(" + "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in terms) + r")\b"


@lru_cache(maxsize=1)
def term_groups() -> dict[str, TermGroup]:
    text = resources.files("harborlight.indicators").joinpath("data/lexicon.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    groups: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        g = groups.setdefault(row["group"], {"phrase": [], "abbrev": [], "source": []})
        g[row["match"]].append(row["term"])
        g["source"].append(row["source"])
    return {
        name: TermGroup(name, tuple(g["phrase"]), tuple(g["abbrev"]), tuple(dict.fromkeys(g["source"])))
        for name, g in groups.items()
    }
