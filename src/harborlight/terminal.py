"""What harborlight prints to a terminal carries no control characters from the data.

Record text is written by whoever filed the record. A business name holding
`ESC ] 0 ; ... BEL` would retitle the analyst's terminal, `ESC [ 2 J` would clear it, and a
bidi override (U+202E) would show a line in another order than it is read. Every console the
CLI prints through is a `SafeConsole`, so no command can forget to strip them:

- whole escape sequences (CSI `ESC [ ... final`, OSC/DCS/APC strings up to their terminator,
  two-character `ESC x`, and their one-byte C1 forms) go first, payload and all;
- then every remaining C0 character except newline and tab, DEL, C1, and the bidi embeddings,
  overrides and isolates (U+202A-U+202E, U+2066-U+2069).

Rich's own styling and cursor movement (its progress bar) are added after this, by Rich, so
they still work. JSON printed with `json.dumps` needs nothing: it escapes control characters
as `\\u001b` and, with its default `ensure_ascii`, every non-ASCII character too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.console import Console
from rich.segment import Segment
from rich.text import Text

# A string command (OSC, DCS, SOS, PM, APC) runs to BEL or ST; an unterminated one stops at the
# end of the line, so it cannot swallow the rest of the output.
_STRING_COMMAND = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
_CSI = r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
_TWO_CHAR = r"\x1b[ -~]?"
_SEQUENCE = re.compile(f"{_STRING_COMMAND}|{_CSI}|{_TWO_CHAR}")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """`text` without escape sequences, control characters (newline and tab stay) or bidi controls."""
    if not text.isprintable():  # the common case, plain text, costs one scan
        text = _CONTROL.sub("", _SEQUENCE.sub("", text))
    return text


class SafeConsole(Console):
    """A Rich console whose every printed character has passed `strip_controls`.

    Strings are cleaned before Rich parses them (`render_str`, which `print`, tables and
    panels all call), so an escape sequence goes whole. Everything else, a `Text` built
    elsewhere included, is cleaned segment by segment just before it is written; Rich's own
    control segments (cursor movement) are left as they are.
    """

    def render_str(self, text: str, **kwargs) -> Text:
        return super().render_str(strip_controls(text), **kwargs)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(strip_controls(segment.text), segment.style)
            for segment in buffer
        )
