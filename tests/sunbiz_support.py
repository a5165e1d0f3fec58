"""Florida corporate data file records built from the importer's documented layout, with
invented names: record(document_number="P1", entity_name="...", officers=[officer(...)])."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from harborlight.sources.sunbiz import LAYOUT, OFFICER_BLOCKS, RECORD_LENGTH

_WIDTH = {name: end - start + 1 for name, start, end in LAYOUT}


def officer(title: str, name: str, kind: str = "P", address: str = "", city: str = "", state: str = "FL",
            zip5: str = "", zip4: str = "") -> dict[str, str]:
    return {"title": title, "type": kind, "name": name, "address": address, "city": city,
            "state": state if name else "", "zip5": zip5, "zip4": zip4}


def record(document_number: str = "P19000000001", entity_name: str = "HARBOR TEST HOLDINGS INC",
           officers: list[dict[str, str]] | None = None, **fields: str) -> str:
    """One 1440-character record: every named layout field padded to its width; `officers`
    fill blocks 1.. in order."""
    values = {
        "document_number": document_number, "entity_name": entity_name, "status": "A", "filing_type": "DOMP",
        "principal_address_1": "100 Example Ave", "principal_city": "Miami", "principal_state": "FL",
        "principal_zip": "33101", "principal_country": "US", "file_date": "02222019",
        "last_transaction_date": "03012021", "state_or_country": "FL",
    } | fields
    for k, block in enumerate(officers or [], start=1):
        assert k <= OFFICER_BLOCKS
        values |= {f"officer_{k}_{key}": value for key, value in block.items()}
    parts = []
    for name, start, end in LAYOUT:
        text = values.pop(name, "")
        assert len(text) <= _WIDTH[name], f"{name} is wider than {_WIDTH[name]}: {text!r}"
        parts.append(text.ljust(_WIDTH[name]))
    assert not values, f"not layout fields: {sorted(values)}"
    line = "".join(parts)
    assert len(line) == RECORD_LENGTH
    return line


def write_records(path: Path, lines: list[str], ending: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("".join(line + ending for line in lines).encode("latin-1"))
    return path


def write_zip(path: Path, members: dict[str, list[str]], ending: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, lines in members.items():
            archive.writestr(name, "".join(line + ending for line in lines).encode("latin-1"))
    path.write_bytes(buffer.getvalue())
    return path
