"""The page shell and building blocks every harborlight HTML file shares.

Pages are self-contained: one file, styles inline, no scripts, fonts, images or links
to anything outside it, so they open offline, print, and can be attached to a case
file as they are. Every value is escaped here, never by callers.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from harborlight.terminal import strip_controls

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:64em;padding:0 1em;color:#1a1a1a}
h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}
td,th{border:1px solid #aaa;padding:4px 6px;text-align:left;vertical-align:top}
td ul{margin:0;padding-left:1.1em}
th{background:#f1f1f1}td.n{text-align:right;font-variant-numeric:tabular-nums}td.nw{white-space:nowrap}
td span.note{white-space:nowrap}.shows{color:#555}td p.shows{margin:0 0 .3em}
.instructions{border:3px solid #b00;padding:0 1em}.instructions h2{margin-top:.6em}
.headline{font-size:1.15em;font-weight:600;border-left:6px solid #b00;padding:.4em .8em;background:#fff4f4}
.flag{color:#b00;font-weight:700}tr.flagged td{background:#fff4f4}tr.flagged td:first-child{border-left:5px solid #b00}.pass{color:#07600f;font-weight:700}.fail{color:#b00;font-weight:700}
.note{color:#555}figure{margin:1em 0 2em}figcaption{color:#444}
svg text{font:11px system-ui,sans-serif}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}figure,table{break-inside:avoid}}
"""


class Html(str):
    """Text that is HTML already, made by the helpers here from escaped parts: not escaped again."""


def escape(value: object) -> str:
    """Text as HTML, without control characters: record text may carry terminal escape codes,
    and a page someone `cat`s or `head`s must not rewrite their terminal."""
    if isinstance(value, Html):
        return value
    return html.escape(strip_controls("" if value is None else str(value)))


def table(
    headers: Iterable[str],
    rows: Iterable[Iterable[object]],
    numeric: Iterable[int] = (),
    id: str | None = None,
    nowrap: Iterable[int] = (),
    row_classes: Iterable[str | None] | None = None,
) -> str:
    """An HTML table; columns whose index is in `numeric` are right-aligned, those in `nowrap` never
    break (dates, ids, phone numbers), and `row_classes` gives each row a class (or None)."""
    right, keep = set(numeric), set(nowrap)

    def cell(i: int, value: object) -> str:
        classes = " ".join(c for c, on in (("n", i in right), ("nw", i in keep)) if on)
        return f"<td class='{classes}'>{escape(value)}</td>" if classes else f"<td>{escape(value)}</td>"

    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    rows = list(rows)
    classes = list(row_classes) if row_classes is not None else [None] * len(rows)
    body = "".join(
        (f"<tr class='{escape(cls)}'>" if cls else "<tr>") + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>"
        for row, cls in zip(rows, classes)
    )
    ident = f" id='{escape(id)}'" if id else ""
    return Html(f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """ "1 controller", "3 controllers": a count with its noun."""
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"


def lines(*parts: object, note: Iterable[int] = ()) -> Html:
    """Short lines in one cell, one under the other; those whose index is in `note` in the quieter colour."""
    quiet = set(note)
    return Html("<br>".join(
        f"<span class='note'>{escape(p)}</span>" if i in quiet else escape(p)
        for i, p in enumerate(parts) if p not in (None, "")
    ))


def items(values: Iterable[object], cls: str | None = None) -> Html:
    """A bulleted list (which may sit in a table cell), empty when there is nothing to list."""
    values = list(values)
    if not values:
        return Html("")
    attr = f" class='{escape(cls)}'" if cls else ""
    return Html(f"<ul{attr}>" + "".join(f"<li>{escape(v)}</li>" for v in values) + "</ul>")


def document(title: str, body: Iterable[str]) -> str:
    """A whole page: `body` parts are HTML already escaped by the helpers here."""
    return "\n".join([
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        *body,
        "</body></html>",
    ])
