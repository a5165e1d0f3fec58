"""Check one raw row against its record type and turn it into typed values.

Each field kind has one converter. A converter returns the typed value (None for
unknown) or raises `_Invalid` with a message for the user. Messages echo a value
only for coded fields (choices, dates, numbers, booleans), and only a short,
escaped excerpt of it: free text may carry personal data and must not reach logs.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, timezone

from harborlight.contract.readers import Row
from harborlight.contract.schema import Field, Kind, RecordType
from harborlight.errors import ContractError

_LANGUAGE_CODE = re.compile(r"^[a-z]{2}(-[a-z0-9]{2,8})?$")
_ECHO_CHARS = 40


class _Invalid(ValueError):
    pass


def _echo(value: object) -> str:
    """A short, escaped rendering of a coded value for an error message."""
    text = value if isinstance(value, str) else json.dumps(value)
    shown = repr(text[:_ECHO_CHARS])
    return shown + ("..." if len(text) > _ECHO_CHARS else "")


def _scalar_text(value: object) -> str | None:
    """A JSON scalar or CSV cell as text; None for empty or null."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = repr(value)
    elif isinstance(value, str):
        text = value
    else:
        raise _Invalid(f"must be a single value, not a JSON {type(value).__name__}")
    return text if text.strip() else None


def _to_text(f: Field, value: object) -> str | None:
    return _scalar_text(value)


def _to_choice(f: Field, value: object) -> str | None:
    text = _scalar_text(value)
    if text is None:
        return None
    choice = text.strip().lower()
    if choice not in f.choices:
        raise _Invalid(f"{_echo(text)} is not one of: {', '.join(f.choices)}")
    return choice


def _list_items(value: object) -> list[str]:
    if isinstance(value, list):
        items = [_scalar_text(v) for v in value]
        return [i.strip().lower() for i in items if i is not None and i.strip()]
    text = _scalar_text(value)
    if text is None:
        return []
    return [part.strip().lower() for part in text.split(";") if part.strip()]


def _to_choice_list(f: Field, value: object) -> list[str] | None:
    items = _list_items(value)
    for item in items:
        if item not in f.choices:
            raise _Invalid(f"{_echo(item)} is not one of: {', '.join(f.choices)}")
    return items or None


def _to_code_list(f: Field, value: object) -> list[str] | None:
    items = _list_items(value)
    for item in items:
        if not _LANGUAGE_CODE.match(item):
            raise _Invalid(f"{_echo(item)} is not an ISO 639-1 language code (such as en, zh, ko)")
    return items or None


def _parse_iso(text: str) -> date | datetime:
    text = text.strip()
    try:
        if len(text) <= 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise _Invalid(f"{_echo(text)} is not an ISO 8601 date (2019-02-22 or 2019-02-22T14:05:00Z)") from None


def _to_date(f: Field, value: object) -> date | None:
    text = _scalar_text(value)
    if text is None:
        return None
    parsed = _parse_iso(text)
    return parsed.date() if isinstance(parsed, datetime) else parsed


def _to_timestamp(f: Field, value: object) -> datetime | None:
    text = _scalar_text(value)
    if text is None:
        return None
    parsed = _parse_iso(text)
    if not isinstance(parsed, datetime):
        return datetime(parsed.year, parsed.month, parsed.day)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _to_bool(f: Field, value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _scalar_text(value)
    if text is None:
        return None
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise _Invalid(f"{_echo(text)} is not true or false")
    return lowered == "true"


def _to_number(f: Field, value: object) -> float | None:
    text = _scalar_text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise _Invalid(f"{_echo(text)} is not a number") from None
    if not math.isfinite(number):
        raise _Invalid(f"{_echo(text)} is not a finite number")
    if (f.low is not None and number < f.low) or (f.high is not None and number > f.high):
        raise _Invalid(f"{_echo(text)} is outside {f.low:g}..{f.high:g}")
    return number


_CONVERTERS = {
    Kind.TEXT: _to_text,
    Kind.CHOICE: _to_choice,
    Kind.CHOICE_LIST: _to_choice_list,
    Kind.CODE_LIST: _to_code_list,
    Kind.DATE: _to_date,
    Kind.TIMESTAMP: _to_timestamp,
    Kind.BOOL: _to_bool,
    Kind.NUMBER: _to_number,
}

# Keys are compared after trimming, so " 17" and "17" are one record.
_TRIMMED = {"source", "record_id"}


class RowValidator:
    """Validates rows of one record type read from one file."""

    def __init__(self, record_type: RecordType, label: str):
        self.record_type = record_type
        self.label = label
        # Plain text fields take a fast path: most cells of most files are plain text.
        self._plan = [
            (f, None if f.kind is Kind.TEXT else _CONVERTERS[f.kind], f.required, f.name in _TRIMMED)
            for f in record_type.fields
        ]
        self._names = set(record_type.field_names)

    def check(self, row: Row) -> tuple[list[object], str | None] | list[ContractError]:
        """The typed values in field order and the extra columns as JSON, or the problems."""
        values: list[object] = []
        problems: list[ContractError] = []
        raw = row.values
        for f, convert, required, trim in self._plan:
            value = raw.get(f.name)
            if convert is None and value.__class__ is str:
                if not value or value.isspace():
                    value = None
            else:
                try:
                    value = (convert or _to_text)(f, value)
                except _Invalid as exc:
                    problems.append(ContractError(self.label, row.line, f.name, str(exc)))
                    continue
            if value is None:
                if required:
                    problems.append(ContractError(self.label, row.line, f.name, "required field is empty"))
            elif trim:
                value = value.strip()  # type: ignore[union-attr]
            values.append(value)
        if problems:
            return problems
        if len(raw) == len(values) and raw.keys() <= self._names:
            return values, None
        extra = {k: v for k, v in raw.items() if k not in self._names}
        return values, (json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None)
