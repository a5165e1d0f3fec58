"""Read a synthetic world's ground truth, and the CSV files an evaluation reads, with clear errors.

The truth folder (`WORLD/truth/`, written by `harborlight synth`) holds three files:
- `records.csv`: source, record_id, record_type, true_entity_id;
- `businesses.csv`: true_entity_id, is_imb, network_id, category, owner_group, premises_id;
- `persons.csv`: true_entity_id, role, network_id, is_nominee.

Only the evaluation and the fairness audit read it; harborlight's stages never do.
Every reader here checks the columns it needs and the values it interprets, and
reports a problem as one `ContractError` naming the file (and line), or a
`UsageError` when a file is missing.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harborlight.errors import ContractError, UsageError

RecordKey = tuple[str, str, str]  # (record_type, source, record_id)

TRUTH_COLUMNS = {
    "records.csv": ("source", "record_id", "record_type", "true_entity_id"),
    "businesses.csv": ("true_entity_id", "is_imb", "network_id", "category", "owner_group"),
    "persons.csv": ("true_entity_id", "role", "is_nominee"),
}
PROTECTED_ROLES = ("worker", "nominee")  # presumed potential victims, and probable nominees


class Row(dict):
    """One CSV row (column -> stripped text) that knows the physical line it starts on."""

    line: int = 0


def read_checked_csv(path: Path, columns: Iterable[str]) -> list[Row]:
    """All rows of a UTF-8 CSV file that must have `columns`; values are stripped strings.

    A missing file is a UsageError; a file without the columns, with a short row or not
    in UTF-8 is a ContractError naming it.
    """
    needed = list(columns)
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            missing = [c for c in needed if c not in header]
            if missing:
                raise ContractError(str(path), 1, None, f"needs the column(s) {', '.join(missing)}")
            rows = []
            start = reader.line_num + 1
            for cells in reader:
                if None in cells.values() or None in cells:
                    raise ContractError(str(path), start, None, "has a different number of cells than the header")
                row = Row((k, v.strip()) for k, v in cells.items())
                row.line = start
                rows.append(row)
                start = reader.line_num + 1
            return rows
    except UnicodeDecodeError:
        raise ContractError(str(path), 0, None, "is not valid UTF-8") from None
    except csv.Error as exc:
        raise ContractError(str(path), 0, None, f"is not readable CSV: {exc}") from None
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from None


def majority(votes: Counter) -> str:
    """The value with the most votes; a tie goes to the smallest value, so the answer never depends on order."""
    return min(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def truth_folder(world: Path) -> Path:
    """The truth folder of a world: WORLD/truth, or WORLD itself when it is the truth folder."""
    if (world / "truth").is_dir():
        return world / "truth"
    if (world / "records.csv").exists() and (world / "businesses.csv").exists():
        return world
    if not world.exists():
        raise UsageError(f"{world}: no such folder")
    raise UsageError(f"{world}: no truth/ folder (records.csv, businesses.csv, persons.csv of a synthetic world)")


def _flag(path: Path, line: int, column: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise ContractError(str(path), line, column, f"{value[:20]!r} is not true or false")
    return value == "true"


@dataclass(frozen=True)
class TrueBusiness:
    id: str
    is_imb: bool
    network_id: str  # empty for a business in no network
    category: str
    owner_group: str

    @property
    def storefront(self) -> bool:
        """A business a customer can walk into: not a holding company or a franchisor."""
        return self.category not in ("holding", "franchisor")


@dataclass(frozen=True)
class TruePerson:
    id: str
    role: str
    is_nominee: bool

    @property
    def protected(self) -> bool:
        """A worker or a nominee: presumed a potential victim, never to be named or ranked."""
        return self.role in PROTECTED_ROLES or self.is_nominee


@dataclass(frozen=True)
class Truth:
    records: dict[RecordKey, str]  # record -> true entity id
    businesses: dict[str, TrueBusiness]
    persons: dict[str, TruePerson]


def read_truth(world: Path) -> Truth:
    """The whole truth of a world folder (or of its truth/ folder), checked."""
    folder = truth_folder(world)
    records = {
        (r["record_type"], r["source"], r["record_id"]): r["true_entity_id"]
        for r in read_checked_csv(folder / "records.csv", TRUTH_COLUMNS["records.csv"])
    }
    path = folder / "businesses.csv"
    businesses = {}
    for r in read_checked_csv(path, TRUTH_COLUMNS["businesses.csv"]):
        businesses[r["true_entity_id"]] = TrueBusiness(
            r["true_entity_id"], _flag(path, r.line, "is_imb", r["is_imb"]), r["network_id"], r["category"], r["owner_group"]
        )
    path = folder / "persons.csv"
    persons = {}
    for r in read_checked_csv(path, TRUTH_COLUMNS["persons.csv"]):
        persons[r["true_entity_id"]] = TruePerson(r["true_entity_id"], r["role"], _flag(path, r.line, "is_nominee", r["is_nominee"]))
    return Truth(records, businesses, persons)


def truth_record_entities(world: Path) -> dict[RecordKey, str]:
    """Each record's true entity id, from WORLD/truth/records.csv."""
    rows = read_checked_csv(truth_folder(world) / "records.csv", TRUTH_COLUMNS["records.csv"])
    return {(r["record_type"], r["source"], r["record_id"]): r["true_entity_id"] for r in rows}
