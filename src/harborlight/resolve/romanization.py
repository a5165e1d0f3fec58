"""Family names that are one name in several romanizations (Zhang/Chang, Park/Pak, Lee/Yi/Rhee).

The table ships in `data/romanization.csv`. Some spellings belong to more than one
family name (CHANG is Pinyin ZHANG's Wade-Giles spelling and Korean JANG's
McCune-Reischauer one), so spellings are grouped into classes: two spellings are
equivalent when a chain of table rows connects them. A class is named by its
alphabetically first spelling, so the key is stable whatever the row order.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def _classes() -> dict[str, str]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    text = resources.files("harborlight.resolve").joinpath("data/romanization.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    for row in rows:
        a, b = find(row["canonical"].upper()), find(row["variant"].upper())
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {spelling: find(spelling) for spelling in parent}


def family_class(family: str) -> str:
    """The romanization class of an upper-case family name; the name itself when it has none."""
    return _classes().get(family, family)


def known_family_names() -> frozenset[str]:
    """Every spelling in the table: used to recognise family-name-first order."""
    return frozenset(_classes())
