"""The vectorized check (contract/vector_check.py) against the row-by-row path it speeds up.

Whatever the vectorized check accepts, the row path must accept too, with the same typed values, extra
data and physical line numbers; whatever the row path refuses, the vectorized check must leave to it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harborlight.contract.readers import record_file
from harborlight.contract.vector_check import _quote_beside_space, checked_csv
from harborlight.errors import FileRejected
from harborlight.ingest import _validated_rows, load_file
from harborlight.stages.tables import column_name

LISTING_HEADER = "source,record_id,site_kind,business_name,city,first_seen,latitude,longitude"


def _hash(value: str) -> str:
    return "h_" + value.strip()


def _columns(rf) -> list[str]:
    rt = rf.record_type
    return [column_name(rt, f) for f in rt.fields] + ["extra", "line"]


def row_path(path: Path) -> list[tuple] | None:
    """What the row-by-row path keeps of the file, or None when it refuses it."""
    rf = record_file(path)
    hashed = [i for i, f in enumerate(rf.record_type.fields) if column_name(rf.record_type, f) != f.name]
    rows: list[tuple] = []

    def keep(values, extra, line):
        for i in hashed:
            if values[i] is not None:
                values[i] = _hash(values[i])
        rows.append((*values, extra, line))

    try:
        _validated_rows(rf, None, keep)
    except FileRejected:
        return None
    return rows


def fast_path(path: Path) -> list[tuple] | None:
    rf = record_file(path)
    checked = checked_csv(rf, _columns(rf), _hash)
    return None if checked is None else [tuple(r.values()) for r in checked.table.to_pylist()]


def write(tmp_path: Path, name: str, body: str | bytes) -> Path:
    path = tmp_path / name
    data = body.encode("utf-8") if isinstance(body, str) else body
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


ACCEPTED = {
    "plain": f"{LISTING_HEADER}\nweb,1,Review_Site,Lotus Spa,Tampa,2024-01-02,27.9,-82.4\n",
    "crlf and quoted line breaks": (
        f"{LISTING_HEADER}\r\nweb,1,ad_site,\"Lotus\r\nSpa\",Tampa,,,\r\n"
        "web,2,ad_site,\"A\nB\nC\",\"x\"\"y\",2024-02-29,,\r\nweb,3,directory,Z,,,-90,180\r\n"
    ),
    "no line break at the end": f"{LISTING_HEADER}\nweb,1,ad_site,Lotus,,,,\nweb,2,ad_site,Rose,,,,",
    "keys padded with unicode space": f"{LISTING_HEADER}\n\u3000web\u00a0, 7 ,ad_site,Lotus,\u2003,,,\n",
    "padded choice and number": f"{LISTING_HEADER}\nweb,1, AD_SITE ,Lotus,,,  45.5 ,\n",
    "unknown columns kept": (
        "Source,RECORD_ID,site_kind,business_name,zeta,alpha\n"
        "web,1,ad_site,Lotus,\"back\\slash \"\"q\"\"\",\u00e9t\u00e9\nweb,2,ad_site,Rose,,\n"
    ),
    "header only": f"{LISTING_HEADER}\n",
    "gzip": f"{LISTING_HEADER}\nweb,1,ad_site,Lotus,,,,\n",
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_the_vectorized_check_keeps_exactly_what_the_row_path_keeps(case, tmp_path):
    name = "listings.csv.gz" if case == "gzip" else "listings.csv"
    path = write(tmp_path, name, ACCEPTED[case])
    expected = row_path(path)
    assert expected is not None
    assert fast_path(path) == expected


def test_reviewer_handles_are_hashed_on_the_vectorized_path_as_on_the_row_path(tmp_path):
    body = ("source,record_id,listing_record_id,reviewer,text\n"
            "web,r1,l1, Bob ,ok\nweb,r2,l1,Bob,fine\nweb,r3,l1,,x\n")
    path = write(tmp_path, "reviews.csv", body)
    rows = fast_path(path)
    assert rows == row_path(path)
    assert [r[4] for r in rows] == ["h_Bob", "h_Bob", None]


LEFT_TO_THE_ROW_PATH = {
    "blank line": f"{LISTING_HEADER}\nweb,1,ad_site,Lotus,,,,\n\nweb,2,ad_site,Rose,,,,\n",
    "lone carriage return": f"{LISTING_HEADER}\rweb,1,ad_site,Lotus,,,,\r",
    "space after a closing quote": f"{LISTING_HEADER}\nweb,1,ad_site,\"Lotus\" ,,,,\n",
    "space before an opening quote": f"{LISTING_HEADER}\nweb,1,ad_site, \"Lotus\",,,,\n",
    "byte order mark": "\ufeff" + f"{LISTING_HEADER}\nweb,1,ad_site,Lotus,,,,\n",
    "week date": f"{LISTING_HEADER}\nweb,1,ad_site,Lotus,,2024-W01-1,,\n",
    "blank required field": f"{LISTING_HEADER}\nweb,1,ad_site,\u2003,,,,\n",
    "bad choice": f"{LISTING_HEADER}\nweb,1,blog,Lotus,,,,\n",
    "latitude out of range": f"{LISTING_HEADER}\nweb,1,ad_site,Lotus,,,91,\n",
    "duplicate key": f"{LISTING_HEADER}\nweb,1,ad_site,Lotus,,,,\nweb, 1,ad_site,Rose,,,,\n",
    "short row": f"{LISTING_HEADER}\nweb,1,ad_site,Lotus\n",
    "unclosed quote": f"{LISTING_HEADER}\nweb,1,ad_site,\"Lotus,,,,\n",
}


@pytest.mark.parametrize("case", sorted(LEFT_TO_THE_ROW_PATH))
def test_what_the_vectorized_check_cannot_vouch_for_goes_to_the_row_path(case, tmp_path):
    path = write(tmp_path, "listings.csv", LEFT_TO_THE_ROW_PATH[case])
    assert fast_path(path) is None


@pytest.mark.parametrize("raw", [b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\xff", b"\x00"])
def test_bytes_python_refuses_are_refused_with_the_row_paths_line_and_field(raw, tmp_path, fresh_warehouse):
    body = f"{LISTING_HEADER}\nweb,1,ad_site,Lotus,,,,\n".encode() + b"web,2,ad_site,R" + raw + b"se,,,,\n"
    path = write(tmp_path, "listings.csv", body)
    assert fast_path(path) is None
    with pytest.raises(FileRejected) as rejected:
        load_file(record_file(path), fresh_warehouse)
    assert [(e.line, e.field) for e in rejected.value.errors] == [(3, "business_name")]


def test_a_problem_found_by_the_vectorized_check_is_named_by_line_and_field(tmp_path, fresh_warehouse):
    body = f"{LISTING_HEADER}\nweb,1,ad_site,\"Lotus\nSpa\",,,,\nweb,2,ad_site,Rose,,2024-13-01,,\n"
    path = write(tmp_path, "listings.csv", body)
    with pytest.raises(FileRejected) as rejected:
        load_file(record_file(path), fresh_warehouse)
    assert [(e.line, e.field) for e in rejected.value.errors] == [(4, "first_seen")]
    assert fresh_warehouse.rows("SELECT count(*) FROM listings")[0][0] == 0


def test_a_file_loaded_on_the_vectorized_path_records_lines_and_hash_of_its_bytes(tmp_path, fresh_warehouse):
    path = write(tmp_path, "listings.csv", ACCEPTED["crlf and quoted line breaks"])
    loaded = load_file(record_file(path), fresh_warehouse)
    assert (loaded.records, loaded.inserted) == (3, 3)
    assert fresh_warehouse.rows("SELECT record_id, line FROM listings ORDER BY line") == [
        ("1", 2), ("2", 4), ("3", 7)]
    import hashlib
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


_FREE = st.text(alphabet=list("ab 09\u00e9-"), max_size=6) | st.text(
    alphabet=list("ab ,\"\n\r\t;-.09\u00a0\u3000\u00e9\\\x01"), max_size=6)


def _mostly(valid: list[str], odd: list[str]):
    """Values that are mostly plain and valid, so that whole files often pass, and now and then odd."""
    return st.sampled_from(valid * 6 + odd)


_ROW = st.tuples(
    _mostly(["web"], [" web", "web\u3000", "\u00a0"]),  # source
    _FREE.map(lambda t: "L" + t) | _FREE,  # business_name
    _FREE,  # city
    _mostly(["ad_site", "directory"], [" AD_SITE", "Directory ", "blog", "", "ad_s\u0130te"]),  # site_kind
    _mostly(["", "2024-01-02"], ["2023-02-29", " 2024-03-04", "20240102", "0000-01-01"]),  # first_seen
    _mostly(["", "45.5"], ["-0", "1e3", "91", " 12 ", "-90.000"]),  # latitude
    _mostly(["", "180"], ["-180.5", "nan", "\u0663"]),  # longitude
    _FREE,  # an unknown column
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_ROW, max_size=4),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
       terminator=st.sampled_from(["\n", "\r\n"]))
def test_on_any_cells_the_vectorized_check_is_never_looser_than_the_row_path(
        rows, quoting, terminator, tmp_path):
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=quoting, lineterminator=terminator)
    writer.writerow(LISTING_HEADER.split(",") + ["note"])
    for i, (source, name, city, kind, seen, lat, lon, note) in enumerate(rows):
        writer.writerow([source, str(i), kind, name, city, seen, lat, lon, note])
    path = write(tmp_path, "listings.csv", out.getvalue())
    fast = fast_path(path)
    if fast is not None:
        assert fast == row_path(path)


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=40) | st.lists(st.sampled_from([b'"', b" ", b"\t", b",", b"\n", b"\r", b"a"]),
                                               max_size=24).map(b"".join))
def test_a_quote_beside_a_space_is_found_as_a_search_of_the_reversed_bytes_finds_it(data):
    """The fast search (a quote, then a look back over its spaces) agrees with the plain definition:
    a quote and spaces before a delimiter, in the bytes or in the bytes reversed."""
    plain = re.compile(rb'"[ \t]+(?:[,\r\n]|\Z)')
    assert _quote_beside_space(data) == bool(plain.search(data) or plain.search(data[::-1]))
