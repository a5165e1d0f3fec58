"""Florida's corporate data file (the Division of Corporations' quarterly snapshot and daily
files) into contract `filings.csv` and `officers.csv`.

The file is fixed-width: 1440 Latin-1 characters a record, one record a line. `LAYOUT` declares
every field once, as (name, first position, last position), 1-based and inclusive as the
published layout gives them; every slice is made from it, and importing this module checks that
the fields cover positions 1..1440 without a gap or an overlap.

The import reads its inputs twice, streaming both times, so memory does not grow with them:

1. *check*: every record is checked (length, Latin-1 text, document number, entity name,
   status, dates). The document number and the record's position (its ordinal across all
   inputs, in the order given, then line order) of every good record go to a temporary DuckDB
   file. Bad records are reported by file, line and field; without `skip_bad` the import stops
   here, before anything is written.
2. *write*: DuckDB returns, sorted, the ordinals of records a later record with the same
   document number replaces (a daily file updating the snapshot). The second read walks
   that sorted stream beside the records and writes every other good record through
   `ContractOutput` (all files or none).

Why this and not a dict of document numbers: 3.5 million Python strings and ints cost several
hundred megabytes; DuckDB keeps the pairs on disk under a memory limit and sorts them out of
core. Why not spill every parsed row into DuckDB: the second read costs about as much as
loading the rows into DuckDB and reading them back, and keeps rows exactly as the contract
writer checks them.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

import duckdb
import pyarrow as pa

from harborlight.errors import BadRequest, ContractError, FileRejected, file_error
from harborlight.sources.output import ContractOutput

RECORD_LENGTH = 1440
DEFAULT_SOURCE = "fl_sunbiz"
# Problems kept for the report; without --skip-bad the check stops once this many are found.
MAX_PROBLEMS = 50
OFFICER_BLOCKS = 6
OFFICER_START, OFFICER_LENGTH = 669, 128
# One officer block: (field, width), 128 characters in all.
OFFICER_BLOCK = (("title", 4), ("type", 1), ("name", 42), ("address", 42), ("city", 28),
                 ("state", 2), ("zip5", 5), ("zip4", 4))


def _officer_fields() -> list[tuple[str, int, int]]:
    fields = []
    for k in range(1, OFFICER_BLOCKS + 1):
        start = OFFICER_START + OFFICER_LENGTH * (k - 1)
        for name, width in OFFICER_BLOCK:
            fields.append((f"officer_{k}_{name}", start, start + width - 1))
            start += width
    return fields


def _annual_report_fields() -> list[tuple[str, int, int]]:
    fields = []
    for k in range(1, 4):
        start = 506 + 13 * (k - 1)
        fields += [(f"annual_report_{k}_year", start, start + 3), (f"annual_report_{k}_flag", start + 4, start + 4),
                   (f"annual_report_{k}_date", start + 5, start + 12)]
    return fields


# The layout (domain-facts.md, "Florida's corporate data file"): name, first, last position.
LAYOUT: tuple[tuple[str, int, int], ...] = tuple([
    ("document_number", 1, 12),
    ("entity_name", 13, 204),
    ("status", 205, 205),
    ("filing_type", 206, 220),
    ("principal_address_1", 221, 262), ("principal_address_2", 263, 304), ("principal_city", 305, 332),
    ("principal_state", 333, 334), ("principal_zip", 335, 344), ("principal_country", 345, 346),
    ("mailing_address_1", 347, 388), ("mailing_address_2", 389, 430), ("mailing_city", 431, 458),
    ("mailing_state", 459, 460), ("mailing_zip", 461, 470), ("mailing_country", 471, 472),
    ("file_date", 473, 480),
    ("fei_number", 481, 494),
    ("more_than_six_officers", 495, 495),
    ("last_transaction_date", 496, 503),
    ("state_or_country", 504, 505),
    *_annual_report_fields(),
    ("registered_agent_name", 545, 586),
    ("registered_agent_type", 587, 587),
    ("registered_agent_address", 588, 629), ("registered_agent_city", 630, 657),
    ("registered_agent_state", 658, 659), ("registered_agent_zip5", 660, 664), ("registered_agent_zip4", 665, 668),
    *_officer_fields(),
    ("filler", 1437, 1440),
])


def _check_layout() -> None:
    """The fields tile positions 1..1440: a typo in a position fails at import, not in a file."""
    expected = 1
    for name, start, end in LAYOUT:
        if start != expected or end < start:
            raise AssertionError(f"sunbiz layout: {name} starts at {start}, expected {expected}")
        expected = end + 1
    if expected != RECORD_LENGTH + 1:
        raise AssertionError(f"sunbiz layout ends at {expected - 1}, not {RECORD_LENGTH}")


_check_layout()
SLICES = {name: slice(start - 1, end) for name, start, end in LAYOUT}
POSITIONS = {name: (start, end) for name, start, end in LAYOUT}
# Which field each position (0-based) belongs to: a bad byte is reported in its field.
_FIELD_AT = [name for name, start, end in LAYOUT for _ in range(start, end + 1)]
DATE_FIELDS = ("file_date", "last_transaction_date", "annual_report_1_date", "annual_report_2_date",
               "annual_report_3_date")
# What makes a record bad (besides its length and bytes): the check slices only these.
CHECKED_SLICES = {name: SLICES[name] for name in ("document_number", "entity_name", "status", *DATE_FIELDS)}
# What writing slices: every field but the officer blocks (cut block by block, an empty one
# skipped whole) and those nothing is written from (the annual reports, the filler).
FILING_SLICES = {name: s for name, s in SLICES.items()
                 if not name.startswith(("officer_", "annual_report_")) and name != "filler"}


def _officer_slices() -> list[tuple[int, slice, dict[str, slice]]]:
    """Each officer block, from LAYOUT: its k, where it lies, and its fields within the block."""
    blocks = []
    for k in range(1, OFFICER_BLOCKS + 1):
        prefix = f"officer_{k}_"
        fields = [(name, start, end) for name, start, end in LAYOUT if name.startswith(prefix)]
        first, last = fields[0][1], fields[-1][2]
        inner = {name.removeprefix(prefix): slice(start - first, end - first + 1) for name, start, end in fields}
        blocks.append((k, slice(first - 1, last), inner))
    return blocks


OFFICER_SLICES = _officer_slices()


def field_label(name: str) -> str:
    """A layout field as a reader finds it in the published layout: `file date (473-480)`."""
    start, end = POSITIONS[name]
    where = f"{start}" if start == end else f"{start}-{end}"
    return f"{name.replace('_', ' ')} ({where})"


# -- codes ---------------------------------------------------------------------------------
ENTITY_TYPES = {
    "DOMP": "corporation", "FORP": "corporation",
    "DOMNP": "nonprofit", "FORNP": "nonprofit", "NPREG": "nonprofit",
    "DOMLP": "partnership", "FORLP": "partnership",
    "FLAL": "llc", "FORL": "llc",
}  # TRUST, AGENT and any other code: "other"
STATUSES = {"A": "active", "I": "inactive"}
NAME_TYPES = {"P": "person", "C": "company"}
# Whole title codes. A managing member (MGRM) or authorized member (AMBR) runs the company
# the way a manager does, and the contract's `manager` is what says "runs it" to the network
# stage (controllers.py counts managers as evidence of control), so both map to manager; a
# plain member (MBR, MEM) is a member, an owner-investor who need not run anything.
TITLE_ROLES = {
    "P": "president", "PRES": "president",
    "D": "director", "DIR": "director",
    "MGR": "manager", "MGRM": "manager", "AMBR": "manager", "MGMR": "manager",
    "MBR": "member", "MEM": "member", "M": "member",
    "T": "treasurer", "TR": "treasurer", "TRES": "treasurer", "TREA": "treasurer",
    "S": "secretary", "SEC": "secretary", "SECR": "secretary",
    "V": "officer", "VP": "officer", "VPRE": "officer",
    "C": "officer", "CEO": "officer", "CFO": "officer", "COO": "officer", "CHAI": "officer", "CHMN": "officer",
    "CHRM": "officer", "CH": "officer", "O": "officer", "OFF": "officer", "E": "officer", "EVP": "officer",
    "O/M": "owner", "OWN": "owner", "OWNR": "owner",
}
# Letters a combined code (DS, PD, PTD, PTSD) is made of.
SINGLE_LETTER_ROLES = {code: role for code, role in TITLE_ROLES.items() if len(code) == 1}


def title_roles(code: str) -> list[str]:
    """The contract roles an officer title code gives, in the code's order.

    The whole code is tried against `TITLE_ROLES` first (MGR is a manager, not member-general-
    ...). Otherwise, when every letter is a known single-letter code, the code is a combination
    (DS: director and secretary) and gives one role per letter, each once. Anything else is
    `other` (the raw code stays in the officer's `title_code`)."""
    code = code.strip().upper()
    if code in TITLE_ROLES:
        return [TITLE_ROLES[code]]
    if code and all(letter in SINGLE_LETTER_ROLES for letter in code):
        return list(dict.fromkeys(SINGLE_LETTER_ROLES[letter] for letter in code))
    return ["other"]


def iso_date(text: str) -> str | None:
    """MMDDYYYY as ISO; "" for blank or all zeros (unknown); None for an impossible date."""
    text = text.strip()
    if not text or text.strip("0") == "":
        return ""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[4:]), int(text[:2]), int(text[2:4])).isoformat()
    except ValueError:
        return None


def _zip(zip5: str, zip4: str) -> str:
    zip5, zip4 = zip5.strip(), zip4.strip()
    return f"{zip5}-{zip4}" if zip5 and zip4 and zip4.strip("0") else zip5


def _address(first: str, second: str) -> str:
    return ", ".join(p for p in (first.strip(), second.strip()) if p)


# -- reading -------------------------------------------------------------------------------
# C0 and C1 control characters: Latin-1 decodes any byte, so "not Latin-1 text" is a record
# holding bytes no text in the file holds (binary data, another encoding's multibyte runs).
_NOT_TEXT = re.compile(rb"[\x00-\x1f\x7f-\x9f]")
# A record and \r\n, with room for one written as UTF-8 (up to 4 bytes a character), so that
# such a line is kept and can be told apart (_problems); a longer line is only measured.
_READ_LIMIT = RECORD_LENGTH * 4 + 2


@dataclass
class Line:
    label: str  # the file, or `archive.zip:member.txt`
    number: int  # 1-based physical line
    raw: bytes | None  # without its line ending; None when the line runs past _READ_LIMIT
    length: int  # characters in the line, without its ending


Progress = Callable[[str, int, int], None]


def _lines(stream: IO[bytes], label: str, size: int, step: str, progress: Progress | None) -> Iterator[Line]:
    """The lines of `stream`, each read with a limit: a file with no line breaks (binary
    garbage) is read in bounded pieces, never whole."""
    number = done = 0
    while True:
        raw = stream.readline(_READ_LIMIT)
        if not raw:
            break
        number += 1
        done += len(raw)
        if not raw.endswith(b"\n") and len(raw) == _READ_LIMIT:
            length = len(raw)
            while True:  # skip to the line's end
                more = stream.readline(1 << 16)
                done += len(more)
                length += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield Line(label, number, None, length - (1 if more.endswith(b"\n") else 0))
            continue
        if raw.endswith(b"\r\n"):
            raw = raw[:-2]
        elif raw.endswith(b"\n"):
            raw = raw[:-1]
        if not raw:
            continue  # a blank line (a trailing one, most often) holds no record
        yield Line(label, number, raw, len(raw))
        if progress and number % 8192 == 0:
            progress(f"{step} {label}", done, size)
    if progress:
        progress(f"{step} {label}", size, size)


def _rejected_file(label: str, message: str) -> FileRejected:
    return FileRejected(label, [ContractError(label, 0, None, message)], 1)


def _is_zip(path: Path) -> bool:
    """A zip by name or by its first bytes: a truncated archive has lost the directory at its end
    that `zipfile.is_zipfile` looks for, and must be reported as damaged, not read as text."""
    if path.suffix.lower() == ".zip":
        return True
    with path.open("rb") as head:
        return head.read(4) == b"PK\x03\x04"


def _read(path: Path, step: str, progress: Progress | None) -> Iterator[Line]:
    """Every line of one input: a text file, or each `.txt` member of a zip in archive order,
    streamed from the archive (members are never extracted)."""
    label = str(path)
    try:
        if _is_zip(path):
            try:
                archive = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise _rejected_file(label, f"not a readable zip archive ({exc})") from None
            with archive:
                members = [m for m in archive.infolist() if not m.is_dir() and m.filename.lower().endswith(".txt")]
                if not members:
                    raise _rejected_file(label, "the zip archive holds no .txt file")
                for member in members:
                    member_label = f"{label}:{member.filename}"
                    if member.flag_bits & 0x1:
                        # zipfile would raise a bare RuntimeError asking for a password: say it here.
                        raise _rejected_file(member_label, "the member is encrypted (password-protected); "
                                                           "extract it and import the .txt file")
                    try:
                        with archive.open(member) as raw_member:
                            stream = io.BufferedReader(raw_member, 1 << 20)  # type: ignore[arg-type]
                            yield from _lines(stream, member_label, member.file_size, step, progress)
                    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                        raise _rejected_file(member_label, f"the archive is damaged or truncated ({exc})") from None
        else:
            with path.open("rb") as stream:
                yield from _lines(stream, label, path.stat().st_size, step, progress)
    except OSError as exc:
        raise file_error(exc, path, "read") from None


def _records(paths: list[Path], step: str, progress: Progress | None) -> Iterator[tuple[int, Line]]:
    """Every line of every input with its ordinal: the order a later record replaces an earlier."""
    ordinal = 0
    for path in paths:
        for line in _read(path, step, progress):
            ordinal += 1
            yield ordinal, line


def _utf8_length(raw: bytes) -> int | None:
    """Characters in `raw` read as UTF-8; None when it is not UTF-8."""
    try:
        return len(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def _problems(line: Line) -> list[ContractError]:
    """What is wrong with the record (nothing when it is good): its length, its bytes, and the
    checked fields (`CHECKED_SLICES`)."""
    def problem(name: str | None, message: str) -> ContractError:
        return ContractError(line.label, line.number, field_label(name) if name else None, message)

    if line.raw is None or line.length != RECORD_LENGTH:
        if line.raw is not None and _utf8_length(line.raw) == RECORD_LENGTH:
            # The user's editor counts 1440 characters: say why we count more.
            return [problem(None, f"a record is {RECORD_LENGTH} Latin-1 bytes; this line has {line.length} bytes, "
                                  f"{RECORD_LENGTH} characters as UTF-8: save the file as Latin-1")]
        return [problem(None, f"a record is {RECORD_LENGTH} characters; this line has {line.length}")]
    bad = _NOT_TEXT.search(line.raw)
    if bad:
        return [problem(_FIELD_AT[bad.start()], f"not Latin-1 text (byte 0x{bad.group()[0]:02x} at position "
                                                f"{bad.start() + 1})")]
    text = line.raw.decode("latin-1")
    values = {name: text[s].strip() for name, s in CHECKED_SLICES.items()}
    found = []
    if not values["document_number"]:
        found.append(problem("document_number", "required field is empty"))
    if not values["entity_name"]:
        found.append(problem("entity_name", "required field is empty"))
    if values["status"] not in STATUSES:
        found.append(problem("status", f"{values['status']!r} is not A (active) or I (inactive)"))
    for name in DATE_FIELDS:
        if iso_date(values[name]) is None:
            found.append(problem(name, f"{values[name]!r} is not a date (MMDDYYYY)"))
    return found


def record_fields(raw: bytes) -> dict[str, str]:
    """A checked record's filing fields, trimmed, dates as ISO, and `officers`: one dict per
    officer block that is not blank, with its `k`."""
    text = raw.decode("latin-1")
    values: dict = {name: text[s].strip() for name, s in FILING_SLICES.items()}
    for name in ("file_date", "last_transaction_date"):
        values[name] = iso_date(values[name])
    officers = []
    for k, where, inner in OFFICER_SLICES:
        block = text[where]
        if not block.isspace():
            officers.append({"k": k} | {name: block[s].strip() for name, s in inner.items()})
    values["officers"] = officers
    return values


# -- rows ----------------------------------------------------------------------------------
# The more-than-six-officers flag says the officer rows are not the whole list: an analyst
# reading a filing's officers needs to know that some are missing from the file.
FILING_EXTRAS = ("filing_type", "last_transaction_date", "state_or_country", "principal_country", "mailing_country",
                 "more_than_six_officers")
OFFICER_EXTRAS = ("title_code",)


def filing_row(values: dict, source: str) -> dict[str, str]:
    """A checked record's contract filing; the registry's own codes ride along as extra columns."""
    return {
        "source": source, "record_id": values["document_number"], "entity_name": values["entity_name"],
        "entity_type": ENTITY_TYPES.get(values["filing_type"].upper(), "other"),
        "status": STATUSES[values["status"]], "filed_date": values["file_date"],
        "principal_address": _address(values["principal_address_1"], values["principal_address_2"]),
        "principal_city": values["principal_city"], "principal_state": values["principal_state"],
        "principal_zip": values["principal_zip"],
        "mailing_address": _address(values["mailing_address_1"], values["mailing_address_2"]),
        "mailing_city": values["mailing_city"], "mailing_state": values["mailing_state"],
        "mailing_zip": values["mailing_zip"], "ein": values["fei_number"],
        "registered_agent_name": values["registered_agent_name"],
        "registered_agent_type": NAME_TYPES.get(values["registered_agent_type"].upper(), ""),
        "registered_agent_address": values["registered_agent_address"],
        "registered_agent_city": values["registered_agent_city"],
        "registered_agent_state": values["registered_agent_state"],
        "registered_agent_zip": _zip(values["registered_agent_zip5"], values["registered_agent_zip4"]),
        "filing_type": values["filing_type"], "last_transaction_date": values["last_transaction_date"],
        "state_or_country": values["state_or_country"], "principal_country": values["principal_country"],
        "mailing_country": values["mailing_country"], "more_than_six_officers": values["more_than_six_officers"],
    }


def officer_rows(values: dict, source: str) -> Iterator[dict[str, str]]:
    """One row per officer block with a name, and per role of a combined title code.

    record_id is `<doc>-<k>` (k the block, 1..6) when the code gives one role, and
    `<doc>-<k>-<role>` for each role of a combined code (DS: `<doc>-1-director`,
    `<doc>-1-secretary`): stable for the same record, unique within the filing."""
    doc = values["document_number"]
    for block in values["officers"]:
        k = block["k"]
        if not block["name"]:
            continue  # a block naming nobody is not an officer
        roles = title_roles(block["title"])
        row = {
            "source": source, "filing_record_id": doc, "name": block["name"],
            "name_type": NAME_TYPES.get(block["type"].upper(), ""), "address": block["address"],
            "city": block["city"], "state": block["state"], "zip": _zip(block["zip5"], block["zip4"]),
            "title_code": block["title"],
        }
        for role in roles:
            record_id = f"{doc}-{k}" if len(roles) == 1 else f"{doc}-{k}-{role}"
            yield row | {"record_id": record_id, "role": role}


# -- the import ----------------------------------------------------------------------------
@dataclass
class ImportSummary:
    records_read: int = 0
    filings: int = 0
    officers: int = 0
    skipped: int = 0  # bad records left out (--skip-bad)
    replaced: int = 0  # records a later record with the same document number replaced
    # Filings written from an earlier record because the document's last record was bad (--skip-bad):
    # what the registry says now about them is not in the output.
    kept_earlier: int = 0
    problems: list[ContractError] = field(default_factory=list)  # the first MAX_PROBLEMS
    files: dict[str, int] = field(default_factory=dict)  # file written -> rows


class ImportRejected(FileRejected):
    """Bad records in the inputs, and nothing written."""

    def __str__(self) -> str:
        shown = len(self.errors)
        more = f" ({self.total - shown} more not shown)" if self.total > shown else ""
        return f"{self.file}: nothing written: {self.total} problem(s) in bad records{more}; --skip-bad leaves them out"


class _Seen:
    """Document numbers and ordinals of good records, in a temporary DuckDB file, appended in
    batches through Arrow (a row at a time would be the slowest part of the import)."""

    BATCH = 100_000

    def __init__(self, folder: str):
        self.con = duckdb.connect(str(Path(folder) / "seen.duckdb"))
        # Bounded: DuckDB sorts beyond this on disk, in the same temporary folder (3.5 million
        # (document number, ordinal) pairs are about 100 MB).
        self.con.execute("SET memory_limit = '128MB'")
        self.con.execute("SET threads = 1")  # one sort at a time keeps the peak low; the work is Python's
        self.con.execute("SET temp_directory = ?", [str(Path(folder) / "spill")])
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")  # DuckDB would draw its own over our output
        self.con.execute("CREATE TABLE seen (doc VARCHAR, ordinal BIGINT)")
        self.con.execute("CREATE TABLE bad (doc VARCHAR, ordinal BIGINT)")
        self.docs: list[str] = []
        self.ordinals: list[int] = []
        self.bad: list[tuple[str | None, int]] = []

    def add(self, doc: str, ordinal: int) -> None:
        self.docs.append(doc)
        self.ordinals.append(ordinal)
        if len(self.docs) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if self.docs:
            batch = pa.table({"doc": self.docs, "ordinal": pa.array(self.ordinals, pa.int64())})  # noqa: F841
            self.con.execute("INSERT INTO seen SELECT doc, ordinal FROM batch")
            self.docs, self.ordinals = [], []
        if self.bad:
            bad_batch = pa.table({"doc": [d for d, _ in self.bad],  # noqa: F841 (read by DuckDB by name)
                                  "ordinal": pa.array([o for _, o in self.bad], pa.int64())})
            self.con.execute("INSERT INTO bad SELECT doc, ordinal FROM bad_batch")
            self.bad = []

    def add_bad(self, doc: str | None, ordinal: int) -> None:
        """A bad record, with its document number where one could be read."""
        self.bad.append((doc, ordinal))
        if len(self.bad) >= self.BATCH:
            self.flush()

    def kept_earlier(self) -> int:
        """Document numbers whose last record is bad: the filing written is an earlier record's."""
        self.flush()
        return self.con.execute(
            "SELECT count(*) FROM (SELECT doc, max(ordinal) AS last FROM bad WHERE doc <> '' GROUP BY doc) b "
            "JOIN (SELECT doc, max(ordinal) AS last FROM seen GROUP BY doc) g USING (doc) WHERE b.last > g.last"
        ).fetchone()[0]

    def left_out(self) -> Iterator[tuple[int, bool]]:
        """Ordinals the write leaves out, ascending, each with True when a later record with the
        same document number replaces it (False: a bad record). Writing never checks again."""
        self.flush()
        result = self.con.execute(
            "SELECT ordinal, TRUE FROM (SELECT ordinal, row_number() OVER (PARTITION BY doc ORDER BY ordinal DESC) AS n "
            "FROM seen) WHERE n > 1 UNION ALL SELECT ordinal, FALSE FROM bad ORDER BY 1")
        while chunk := result.fetchmany(10_000):
            yield from chunk

    def close(self) -> None:
        self.con.close()


def _document_number(raw: bytes | None) -> str | None:
    """The document number of a record, good or bad (Latin-1 decodes any bytes; a line too long
    to read has none)."""
    return (raw[SLICES["document_number"]].decode("latin-1").strip() or None) if raw else None  # type: ignore[index]


def _check_inputs(paths: list[Path]) -> None:
    for path in paths:
        if not path.exists():
            raise BadRequest(f"{path}: no such file")
        if path.is_dir():
            raise BadRequest(f"{path}: is a folder; name the data files (or zip archives) to import")


def import_sunbiz(paths: list[Path], out: Path, *, skip_bad: bool = False, source: str = DEFAULT_SOURCE,
                  progress: Progress | None = None) -> ImportSummary:
    """Import Florida corporate data files (in order: the snapshot, then daily files) into
    contract `filings.csv` and `officers.csv` in `out`: both written, or neither.

    When one document number appears in several records, the last (inputs in the order given,
    then line order) is the filing, once, with that record's officers only. Without `skip_bad`
    a bad record raises `ImportRejected` listing the first MAX_PROBLEMS and nothing is written;
    with it bad records are left out and counted. A damaged archive always rejects the import.
    """
    _check_inputs(paths)
    if not source.strip():
        raise BadRequest("--source must not be empty")
    summary = ImportSummary()
    total_problems = 0
    bad_files: dict[str, None] = {}
    with tempfile.TemporaryDirectory(prefix="harborlight-sunbiz-") as scratch:
        seen = _Seen(scratch)
        try:
            for ordinal, line in _records(paths, "check", progress):
                summary.records_read += 1
                found = _problems(line)
                if found:
                    seen.add_bad(_document_number(line.raw), ordinal)
                    summary.skipped += 1
                    bad_files.setdefault(line.label)
                    total_problems += len(found)
                    room = MAX_PROBLEMS - len(summary.problems)
                    summary.problems += found[:max(room, 0)]
                    if not skip_bad and total_problems >= MAX_PROBLEMS:
                        break  # enough to show, and nothing will be written: reading on would only cost
                    continue
                seen.add(line.raw[SLICES["document_number"]].decode("latin-1").strip(), ordinal)  # type: ignore[index]
            if summary.skipped and not skip_bad:
                raise ImportRejected(", ".join(bad_files), summary.problems, total_problems, summary.records_read)
            summary.kept_earlier = seen.kept_earlier()
            left_out = seen.left_out()
            next_out, was_replaced = next(left_out, (None, False))
            with ContractOutput(out, ("filings", "officers"),
                                {"filings": FILING_EXTRAS, "officers": OFFICER_EXTRAS}, inputs=paths) as output:
                for ordinal, line in _records(paths, "write", progress):
                    if ordinal == next_out:
                        summary.replaced += was_replaced
                        next_out, was_replaced = next(left_out, (None, False))
                        continue
                    values = record_fields(line.raw)  # type: ignore[arg-type]
                    objections = output.add("filings", filing_row(values, source), line.label, line.number)
                    for row in officer_rows(values, source):
                        objections += output.add("officers", row, line.label, line.number)
                    if objections:  # the rows above never break the contract; kept honest anyway
                        raise ImportRejected(line.label, objections, len(objections), summary.records_read)
                summary.files = output.commit()
        finally:
            seen.close()
    summary.filings = summary.files.get("filings.csv", 0)
    summary.officers = summary.files.get("officers.csv", 0)
    return summary
