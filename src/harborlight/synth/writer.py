"""Write the synthetic world: the contract's input files and the ground truth beside them."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import IO

from harborlight.contract.schema import RECORD_TYPES

TRUTH_COLUMNS = {
    "records": ["source", "record_id", "record_type", "true_entity_id"],
    # Additions to the contract's columns: owner_group (East-Asian name or not) for the
    # fairness audit, premises_id for the premises that businesses share over time,
    # building_id for the building that businesses in different units share, and phone,
    # the business's own line (ten digits; a switchboard or a predecessor's line may be shared).
    "businesses": [
        "true_entity_id", "is_imb", "network_id", "category", "owner_group", "premises_id", "building_id", "phone",
    ],
    # Additions: is_nominee (a worker may also be listed as a nominee officer), and
    # also_network_id, the second network a worker who moved is also licensed at.
    "persons": ["true_entity_id", "role", "network_id", "is_nominee", "also_network_id"],
}


def _open_text(path: Path, compressed: bool, opened: list[IO]) -> IO[str]:
    """A text handle on `path`; every handle to close afterwards goes into `opened`."""
    if not compressed:
        handle = path.open("w", encoding="utf-8", newline="")
        opened.append(handle)
        return handle
    raw = path.open("wb")
    # mtime=0 keeps the bytes identical between runs with the same seed.
    packed = gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0)
    text = io.TextIOWrapper(packed, encoding="utf-8", newline="")
    opened.extend([text, raw])  # closing the text closes the gzip stream, then the file
    return text


class WorldWriter:
    """Streams records to their files as they are made, so memory stays flat at any scale."""

    def __init__(self, out: Path, fmt: str = "csv", compressed: bool = False):
        if fmt not in ("csv", "jsonl"):
            raise ValueError(f"unknown format {fmt!r}")
        self.out = out
        self.fmt = fmt
        self.compressed = compressed
        out.mkdir(parents=True, exist_ok=True)
        (out / "truth").mkdir(exist_ok=True)
        self._files: dict[str, IO[str]] = {}
        self._opened: list[IO] = []
        self._writers: dict[str, csv.DictWriter] = {}
        self.counts: dict[str, int] = {name: 0 for name in RECORD_TYPES}
        suffix = f".{fmt}" + (".gz" if compressed else "")
        for name, rt in RECORD_TYPES.items():
            handle = _open_text(out / f"{name}{suffix}", compressed, self._opened)
            self._files[name] = handle
            if fmt == "csv":
                writer = csv.DictWriter(handle, fieldnames=list(rt.field_names), extrasaction="raise")
                writer.writeheader()
                self._writers[name] = writer
        self._truth: dict[str, tuple[IO[str], csv.DictWriter]] = {}
        for name, columns in TRUTH_COLUMNS.items():
            handle = (out / "truth" / f"{name}.csv").open("w", encoding="utf-8", newline="")
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            self._truth[name] = (handle, writer)

    def record(self, record_type: str, values: dict[str, object], true_entity_id: str) -> None:
        row = {k: v for k, v in values.items() if v is not None and v != ""}
        if self.fmt == "csv":
            self._writers[record_type].writerow(row)
        else:
            self._files[record_type].write(json.dumps(row, ensure_ascii=False) + "\n")
        self.counts[record_type] += 1
        self.truth(
            "records",
            source=values["source"],
            record_id=values["record_id"],
            record_type=record_type,
            true_entity_id=true_entity_id,
        )

    def truth(self, table: str, **row: object) -> None:
        self._truth[table][1].writerow(row)

    def close(self) -> None:
        for handle in self._opened:
            handle.close()
        for handle, _ in self._truth.values():
            handle.close()
