"""Read opening hours and prices out of the free text that listings carry.

`parse_hours("10am-2am")` and `parse_price("40 for 60 min")` return what could be read, or
None. Both are deliberately forgiving: listings write hours and prices in every way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_TIME = re.compile(
    r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ap>a\.?m\.?|p\.?m\.?)?(?![\d/])|(?P<word>midnight|noon)",
    re.IGNORECASE,
)
_ALWAYS = re.compile(r"24\s*/\s*7|24\s*hours|open\s+24|always open", re.IGNORECASE)
_ON_CALL = re.compile(r"by appointment|appointment only|call for hours|on call|open late|late night|outcall", re.IGNORECASE)


@dataclass(frozen=True)
class Hours:
    closes: int | None  # minutes after the opening day's midnight; past 24h means after midnight
    always_open: bool = False
    on_call: bool = False


def _minutes(match: re.Match, after_noon_hint: bool) -> int | None:
    word = (match.group("word") or "").lower()
    if word:
        return 24 * 60 if word == "midnight" else 12 * 60
    hour, minute = int(match.group("h")), int(match.group("m") or 0)
    if hour > 24 or minute > 59:
        return None
    ampm = (match.group("ap") or "").lower().replace(".", "")
    if ampm == "am":
        hour = 0 if hour == 12 else hour
    elif ampm == "pm":
        hour = hour if hour == 12 else hour + 12
    elif after_noon_hint and hour < 12:
        hour += 12
    return hour * 60 + minute


@lru_cache(maxsize=50_000)
def parse_hours(text: str | None) -> Hours | None:
    if not text or not text.strip():
        return None
    if _ALWAYS.search(text):
        return Hours(None, always_open=True)
    times = [m for m in _TIME.finditer(text) if m.group("word") or m.group("ap") or m.group("m") or "-" in text]
    # Day ranges (Mon-Sat) carry no digits, so digits are times; the last two are open and close.
    if len(times) >= 2:
        opens = _minutes(times[-2], False)
        closes = _minutes(times[-1], False)
        if opens is None or closes is None:
            return None
        if times[-1].group("ap") is None and times[-1].group("word") is None and closes <= opens and closes < 12 * 60:
            closes += 12 * 60  # "9-9" and "10:00-7:00": the second is in the evening
        if closes <= opens:
            closes += 24 * 60  # "10am-2am" closes after midnight
        return Hours(closes)
    if _ON_CALL.search(text):
        return Hours(None, on_call=True)
    return None


_NUMBER = r"\$?\s*(\d{2,4}(?:\.\d{1,2})?)"
_PRICE_FOR_MINUTES = re.compile(_NUMBER + r"\s*(?:/|per|for)\s*(\d{2,3})\s*min", re.IGNORECASE)
_MINUTES_THEN_PRICE = re.compile(r"(\d{2,3})\s*min\w*\s*(?:[a-z]+\s+)?" + _NUMBER, re.IGNORECASE)
_PER_HOUR = re.compile(_NUMBER + r"\s*(?:/|per)?\s*(?:hr|hour)\b", re.IGNORECASE)
_HALF_HOUR = re.compile(_NUMBER + r"\s*(?:/|per)?\s*(?:hh|half\s*hour|half-hour)\b", re.IGNORECASE)
_DOLLARS = re.compile(r"\$\s*(\d{2,4}(?:\.\d{1,2})?)")


@lru_cache(maxsize=50_000)
def parse_price(text: str | None) -> float | None:
    """Dollars per hour, or None when no price can be read."""
    if not text or not text.strip():
        return None
    if m := _PER_HOUR.search(text):
        return float(m.group(1))
    if m := _PRICE_FOR_MINUTES.search(text):
        return float(m.group(1)) * 60 / int(m.group(2))
    if m := _MINUTES_THEN_PRICE.search(text):
        return float(m.group(2)) * 60 / int(m.group(1))
    if m := _HALF_HOUR.search(text):
        return float(m.group(1)) * 2
    if m := _DOLLARS.search(text):
        return float(m.group(1))  # a bare price is read as the hour's
    return None
