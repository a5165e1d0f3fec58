"""A state's bulk CSV layout, described in a YAML mapping file, checked before any data is read.

A mapping says where a file's values go in the contract: which record types one input row
yields (a filing, officers, ...), and for each contract field how its value is made from the
row. The whole format is documented in docs/mappings.md; this module only reads it and
refuses, one clear line each, what it cannot honour: an unknown key, an unknown contract
field, a required field left out, a map onto a value the contract does not allow. Each
message names the mapping file and the key path (`ny.yaml: records.officers[0].fields.role.map`),
so the person who wrote the mapping can find the spot. Columns are checked later, against the
input's header (`mapped.py`), since a mapping does not know which file it will be given.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from harborlight.contract.schema import RECORD_TYPES, Kind
from harborlight.errors import BadRequest, file_error

SHIPPED_DIR = Path(__file__).parent / "mappings"

# Record types a registry's bulk file can describe. The others (listings, tips, ...) come
# from sources a registry layout does not fit, and would only widen what must be checked.
MAPPABLE_TYPES = ("filings", "officers", "fictitious_names", "licenses")
DEDUPE_CHOICES = ("first", "last")
_TOP_KEYS = {"source", "description", "input", "records"}
_INPUT_KEYS = {"encoding", "delimiter", "header_row", "columns"}
_BLOCK_KEYS = {"fields", "when", "dedupe"}
_SOURCE_KINDS = ("column", "constant", "join", "template", "first_of")
_SPEC_KEYS = set(_SOURCE_KINDS) | {"sep", "map", "default", "date", "when"}
_WHEN_KEYS = {"present", "absent", "equals"}
_TEMPLATE_SLOT = re.compile(r"\{([^{}]+)\}")


class MappingError(BadRequest):
    """The mapping file itself is wrong; the message names the file and the key path."""

    def __init__(self, label: str, path: str, message: str):
        self.label, self.path = label, path
        super().__init__(f"{label}: {path}: {message}" if path else f"{label}: {message}")


class ValueProblem(ValueError):
    """A row's value the mapping cannot turn into a contract value (an unmapped code, a date
    in none of the formats). `column` is the source column it came from."""

    def __init__(self, message: str, column: str | None):
        super().__init__(message)
        self.column = column


Lookup = Callable[[str], str]  # a column name, as the mapping spells it -> the row's stripped value


@dataclass(frozen=True)
class Condition:
    """When a record (or one field's option) applies: every `present` column non-empty, every
    `absent` column empty, and every `equals` column holding one of its values (case ignored)."""

    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    equals: tuple[tuple[str, frozenset[str]], ...] = ()

    def holds(self, get: Lookup) -> bool:
        return (all(get(c) for c in self.present) and not any(get(c) for c in self.absent)
                and all(get(c).upper() in values for c, values in self.equals))

    @property
    def columns(self) -> tuple[str, ...]:
        return self.present + self.absent + tuple(c for c, _ in self.equals)


@dataclass(frozen=True)
class FieldSpec:
    """How one contract field's value is made from a row."""

    path: str  # key path in the mapping, for messages
    kind: str  # one of _SOURCE_KINDS
    columns: tuple[str, ...] = ()  # the columns read (column, join, template)
    constant: str = ""
    sep: str = " "
    template: tuple[tuple[str, bool], ...] = ()  # (text, is_column) pieces
    options: tuple[FieldSpec, ...] = ()  # first_of
    value_map: dict[str, str] | None = None  # keys upper-cased; "" for a code meaning unknown
    default: str | None = None  # for codes the map lacks; None: such a code is an error
    dates: tuple[str, ...] = ()
    when: Condition | None = None

    def all_columns(self) -> tuple[str, ...]:
        """Every column this spec may read, for the check against the header."""
        found = self.columns + (self.when.columns if self.when else ())
        for option in self.options:
            found += option.all_columns()
        return found

    @property
    def source_columns(self) -> tuple[str, ...]:
        """The columns a value comes from, to name in a message about it."""
        return self.columns + tuple(c for o in self.options for c in o.source_columns)

    def value(self, get: Lookup) -> str:
        """The contract value for the row `get` reads ("" for unknown); raises ValueProblem."""
        if self.when is not None and not self.when.holds(get):
            return ""
        if self.kind == "column":
            raw = get(self.columns[0])
        elif self.kind == "constant":
            raw = self.constant
        elif self.kind == "join":
            raw = self.sep.join(v for v in (get(c) for c in self.columns) if v)
        elif self.kind == "template":
            # A template with every slot empty says nothing: it gives unknown, not its literal text.
            if not any(get(text) for text, is_column in self.template if is_column):
                return ""
            raw = "".join(get(text) if is_column else text for text, is_column in self.template)
        else:
            raw = next((v for v in (o.value(get) for o in self.options) if v), "")
        if not raw:
            return ""  # an empty cell is unknown: no map or date format applies to it
        if self.value_map is not None:
            raw = self._mapped(raw)
        if self.dates and raw:
            raw = self._date(raw)
        return raw

    def _mapped(self, raw: str) -> str:
        mapped = self.value_map.get(raw.upper()) if self.value_map is not None else None
        if mapped is not None:
            return mapped
        if self.default is not None:
            return self.default
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise ValueProblem(f"{shown!r} is not in the mapping's map ({self.path}.map) and it gives no default",
                           self._column())

    def _date(self, raw: str) -> str:
        """The date `raw` is under the mapping's formats. Every format is tried, not only the
        first that matches: a mapping listing both %m/%d/%Y and %d/%m/%Y reads 03/04/2020 as two
        dates, and taking the first would write a wrong one without a word. Such a value is a
        problem naming both readings; one every matching format reads alike is not."""
        readings: dict[str, str] = {}
        for pattern in self.dates:
            try:
                readings.setdefault(datetime.strptime(raw, pattern).date().isoformat(), pattern)
            except ValueError:
                continue
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        if len(readings) > 1:
            both = " or ".join(f"{day} ({pattern})" for day, pattern in readings.items())
            raise ValueProblem(f"{shown!r} is ambiguous under the mapping's date formats: {both}", self._column())
        if readings:
            return next(iter(readings))
        raise ValueProblem(f"{shown!r} matches none of the date formats {', '.join(self.dates)}", self._column())

    def _column(self) -> str | None:
        return ", ".join(self.source_columns) or None


@dataclass(frozen=True)
class Block:
    """One record a row may yield: its contract fields and when it applies."""

    record_type: str
    path: str
    fields: dict[str, FieldSpec]
    when: Condition | None = None


@dataclass(frozen=True)
class Mapping:
    label: str  # the mapping file's name, for messages
    source: str  # the contract `source` of every record written
    encoding: str = "utf-8"
    delimiter: str = ","
    header_row: int = 1  # 1-based; 0 when the file has no header and `columns` names them
    columns: tuple[str, ...] = ()
    blocks: tuple[Block, ...] = ()
    dedupe: dict[str, str] = field(default_factory=dict)  # record type -> first | last

    @property
    def record_types(self) -> tuple[str, ...]:
        """The record types written, in the contract's order."""
        used = {b.record_type for b in self.blocks}
        return tuple(t for t in MAPPABLE_TYPES if t in used)

    def column_uses(self) -> dict[str, str]:
        """Each column the mapping reads -> the first key path reading it (for the header check)."""
        uses: dict[str, str] = {}
        for block in self.blocks:
            if block.when:
                for column in block.when.columns:
                    uses.setdefault(column, f"{block.path}.when")
            for spec in block.fields.values():
                for column in spec.all_columns():
                    uses.setdefault(column, spec.path)
        return uses


def shipped_mappings() -> list[str]:
    """The names `--mapping` accepts besides a path: the mappings shipped with harborlight."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml"))


def load_mapping(name_or_path: str | Path) -> Mapping:
    """Read and check a mapping: a path to a YAML file, or the name of a shipped one."""
    path = Path(name_or_path)
    if not path.is_file():
        shipped = SHIPPED_DIR / f"{name_or_path}.yaml"
        if re.fullmatch(r"[a-z0-9_]+", str(name_or_path)) and shipped.is_file():
            path = shipped
        elif path.exists():
            raise BadRequest(f"{path}: the mapping is not a file")
        else:
            raise BadRequest(f"{name_or_path}: no such mapping file, and not a shipped mapping "
                             f"(shipped: {', '.join(shipped_mappings())})")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise MappingError(path.name, "", "is not UTF-8 text") from None
    except OSError as exc:
        raise file_error(exc, path) from None
    return parse_mapping(text, path.name)


def parse_mapping(text: str, label: str) -> Mapping:
    """Check a mapping's YAML text; `label` names it in messages."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise MappingError(label, "", f"not valid YAML{where}: {problem}") from None
    return _Reader(label).mapping(doc)


class _Reader:
    """Walks the parsed YAML, keeping the key path for each message."""

    def __init__(self, label: str):
        self.label = label

    def fail(self, path: str, message: str) -> MappingError:
        return MappingError(self.label, path, message)

    def mapping(self, doc: object) -> Mapping:
        top = self._dict(doc, "", "the mapping must be a YAML mapping (key: value lines)")
        self._known_keys(top, _TOP_KEYS, "")
        source = top.get("source")
        if not isinstance(source, str) or not source.strip():
            raise self.fail("source", "required: the name every record's `source` field gets (e.g. ny_dos)")
        inp = self._dict(top.get("input", {}), "input", "must be a mapping of encoding, delimiter, header_row, columns")
        self._known_keys(inp, _INPUT_KEYS, "input")
        encoding = self._encoding(inp.get("encoding", "utf-8"))
        delimiter = inp.get("delimiter", ",")
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise self.fail("input.delimiter", "must be one character (write a tab as \"\\t\")")
        header_row = inp.get("header_row", 1)
        if header_row is None or header_row is False:
            header_row = 0
        if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 0:
            raise self.fail("input.header_row", "must be the header's line number (1 for the first line), or 0 for none")
        columns = self._names(inp["columns"], "input.columns") if "columns" in inp else ()
        if header_row and columns:
            raise self.fail("input.columns", "give columns only for a file without a header (header_row: 0)")
        if not header_row and not columns:
            raise self.fail("input.columns", "required when header_row is 0: the columns' names, in order")
        records = self._dict(top.get("records"), "records", "required: the record types each row yields")
        if not records:
            raise self.fail("records", "names no record type")
        blocks: list[Block] = []
        dedupe: dict[str, str] = {}
        for record_type, body in records.items():
            path = f"records.{record_type}"
            if record_type not in MAPPABLE_TYPES:
                raise self.fail(path, f"not a record type a mapping can write (one of: {', '.join(MAPPABLE_TYPES)})")
            entries = body if isinstance(body, list) else [body]
            if not entries:
                raise self.fail(path, "an empty list: give at least one record")
            for i, entry in enumerate(entries):
                block_path = f"{path}[{i}]" if isinstance(body, list) else path
                block, rule = self._block(record_type, entry, block_path)
                if rule is not None:
                    if dedupe.get(record_type, rule) != rule:
                        raise self.fail(f"{block_path}.dedupe", "differs from another block of the same record type")
                    dedupe[record_type] = rule
                blocks.append(block)
        return Mapping(self.label, source.strip(), encoding, delimiter, header_row, columns, tuple(blocks), dedupe)

    def _block(self, record_type: str, entry: object, path: str) -> tuple[Block, str | None]:
        body = self._dict(entry, path, "must be a mapping with `fields` (and optionally `when`, `dedupe`)")
        self._known_keys(body, _BLOCK_KEYS, path)
        fields_doc = self._dict(body.get("fields"), f"{path}.fields", "required: the contract fields and how each is made")
        rt = RECORD_TYPES[record_type]
        specs: dict[str, FieldSpec] = {}
        for name, spec_doc in fields_doc.items():
            fpath = f"{path}.fields.{name}"
            if name == "source":
                raise self.fail(fpath, "is set from the mapping's top-level `source`; remove it here")
            if name not in rt.field_names:
                raise self.fail(fpath, f"not a field of {record_type} (fields: {', '.join(rt.field_names)})")
            specs[name] = self._spec(spec_doc, fpath, record_type, name)
        missing = [f for f in rt.required if f != "source" and f not in specs]
        if missing:
            raise self.fail(f"{path}.fields", f"missing required contract field(s) of {record_type}: {', '.join(missing)}")
        when = self._when(body["when"], f"{path}.when") if "when" in body else None
        rule = body.get("dedupe")
        if rule is not None and rule not in DEDUPE_CHOICES:
            raise self.fail(f"{path}.dedupe", f"must be one of: {', '.join(DEDUPE_CHOICES)}")
        return Block(record_type, path, specs, when), rule

    def _spec(self, doc: object, path: str, record_type: str, name: str) -> FieldSpec:
        if isinstance(doc, str):
            doc = {"column": doc}  # a bare string names a column: the common case, written short
        body = self._dict(doc, path, "must be a column name or a mapping (column, constant, join, template, first_of, ...)")
        self._known_keys(body, _SPEC_KEYS, path)
        kinds = [k for k in _SOURCE_KINDS if k in body]
        if len(kinds) != 1:
            raise self.fail(path, f"give exactly one of: {', '.join(_SOURCE_KINDS)}")
        kind = kinds[0]
        contract_field = RECORD_TYPES[record_type].field(name)
        spec: dict[str, object] = {"path": path, "kind": kind}
        if kind == "column":
            spec["columns"] = (self._name(body["column"], f"{path}.column"),)
        elif kind == "constant":
            constant = spec["constant"] = self._scalar(body["constant"], f"{path}.constant")
            if not body.keys() & {"map", "date"}:
                self._allowed(contract_field, constant, f"{path}.constant")
        elif kind == "join":
            spec["columns"] = self._names(body["join"], f"{path}.join")
            sep = body.get("sep", " ")
            if not isinstance(sep, str):
                raise self.fail(f"{path}.sep", "must be text")
            spec["sep"] = sep
        elif kind == "template":
            spec["template"], spec["columns"] = self._template(body["template"], f"{path}.template")
        else:
            options = body["first_of"]
            if not isinstance(options, list) or not options:
                raise self.fail(f"{path}.first_of", "must be a non-empty list of field specs")
            spec["options"] = tuple(self._spec(o, f"{path}.first_of[{i}]", record_type, name)
                                    for i, o in enumerate(options))
        if "sep" in body and kind != "join":
            raise self.fail(f"{path}.sep", "applies only to join")
        if "map" in body:
            spec["value_map"] = self._value_map(body["map"], f"{path}.map", contract_field)
            if "default" in body:
                given = body["default"]
                default = spec["default"] = "" if given is None else self._scalar(given, f"{path}.default")
                self._allowed(contract_field, default, f"{path}.default")
        elif "default" in body:
            raise self.fail(f"{path}.default", "applies only with map (the value for codes the map lacks)")
        if "date" in body:
            if contract_field.kind is not Kind.DATE:
                raise self.fail(f"{path}.date", f"{name} is not a date field")
            spec["dates"] = self._dates(body["date"], f"{path}.date")
        if "when" in body:
            spec["when"] = self._when(body["when"], f"{path}.when")
        return FieldSpec(**spec)  # type: ignore[arg-type]

    def _value_map(self, doc: object, path: str, contract_field) -> dict[str, str]:
        body = self._dict(doc, path, "must be a mapping of source code: contract value")
        result: dict[str, str] = {}
        for code, value in body.items():
            key = "" if code is None else self._scalar(code, path).upper()
            target = "" if value is None else self._scalar(value, f"{path}.{code}")
            self._allowed(contract_field, target, f"{path}.{code}")
            result[key.strip()] = target
        return result

    def _allowed(self, contract_field, value: str, path: str) -> None:
        """A value the mapping writes into a choice field must be one the contract allows."""
        if contract_field.kind is Kind.CHOICE and value and value.strip().lower() not in contract_field.choices:
            raise self.fail(path, f"{value!r} is not a {contract_field.name} the contract allows "
                                  f"(one of: {', '.join(contract_field.choices)})")

    def _dates(self, doc: object, path: str) -> tuple[str, ...]:
        patterns = [doc] if isinstance(doc, str) else doc
        if not isinstance(patterns, list) or not patterns:
            raise self.fail(path, "must be a strptime pattern such as \"%m/%d/%Y\", or a list of them")
        for i, pattern in enumerate(patterns):
            if not isinstance(pattern, str) or "%" not in pattern:
                raise self.fail(f"{path}[{i}]" if len(patterns) > 1 else path,
                                "must be a strptime pattern such as \"%m/%d/%Y\"")
        return tuple(patterns)

    def _template(self, doc: object, path: str) -> tuple[tuple[tuple[str, bool], ...], tuple[str, ...]]:
        if not isinstance(doc, str):
            raise self.fail(path, "must be text with {column} slots, e.g. \"{DOS ID}-ceo\"")
        pieces: list[tuple[str, bool]] = []
        at = 0
        for match in _TEMPLATE_SLOT.finditer(doc):
            if match.start() > at:
                pieces.append((doc[at:match.start()], False))
            pieces.append((match.group(1), True))
            at = match.end()
        if at < len(doc):
            pieces.append((doc[at:], False))
        columns = tuple(text for text, is_column in pieces if is_column)
        if not columns:
            raise self.fail(path, "names no column: write each column in braces, e.g. \"{DOS ID}-ceo\"")
        return tuple(pieces), columns

    def _when(self, doc: object, path: str) -> Condition:
        body = self._dict(doc, path, "must be a mapping of present, absent, equals")
        self._known_keys(body, _WHEN_KEYS, path)
        if not body:
            raise self.fail(path, "states no condition")
        present = self._names(body["present"], f"{path}.present") if "present" in body else ()
        absent = self._names(body["absent"], f"{path}.absent") if "absent" in body else ()
        equals: list[tuple[str, frozenset[str]]] = []
        if "equals" in body:
            eq = self._dict(body["equals"], f"{path}.equals", "must be a mapping of column: value (or list of values)")
            for column, values in eq.items():
                items = values if isinstance(values, list) else [values]
                equals.append((self._name(column, f"{path}.equals"),
                               frozenset(self._scalar(v, f"{path}.equals.{column}").upper() for v in items)))
        return Condition(present, absent, tuple(equals))

    def _encoding(self, doc: object) -> str:
        if not isinstance(doc, str):
            raise self.fail("input.encoding", "must be an encoding name such as utf-8 or latin-1")
        try:
            codecs.lookup(doc)
        except LookupError:
            raise self.fail("input.encoding", f"{doc!r} is not an encoding Python knows") from None
        return doc

    def _dict(self, doc: object, path: str, message: str) -> dict:
        if not isinstance(doc, dict):
            raise self.fail(path, message)
        return doc

    def _known_keys(self, doc: dict, known: set[str], path: str) -> None:
        for key in doc:
            if key not in known:
                where = f"{path}.{key}" if path else str(key)
                raise self.fail(where, f"unknown key (known here: {', '.join(sorted(known))})")

    def _scalar(self, doc: object, path: str) -> str:
        if isinstance(doc, bool) or not isinstance(doc, (str, int, float)):
            raise self.fail(path, "must be a single value (quote codes such as \"Y\" or \"01\")")
        return str(doc)

    def _name(self, doc: object, path: str) -> str:
        if not isinstance(doc, str) or not doc.strip():
            raise self.fail(path, "must be a column name")
        return doc.strip()

    def _names(self, doc: object, path: str) -> tuple[str, ...]:
        items = [doc] if isinstance(doc, str) else doc
        if not isinstance(items, list) or not items:
            raise self.fail(path, "must be a column name or a list of them")
        return tuple(self._name(item, f"{path}[{i}]") for i, item in enumerate(items))
