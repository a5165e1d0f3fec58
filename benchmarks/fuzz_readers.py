"""Coverage-guided fuzzing (atheris, libFuzzer) of the two readers that split raw bytes: the contract's
CSV / JSON-lines reader with the row validator behind it, and the Florida fixed-width (sunbiz) reader
with the record checks and row building behind it.

A crash is any exception that is not harborlight's own clean error (`HarborlightError`, which the CLI
prints as one line). libFuzzer saves the input that caused it under benchmarks/.cache/fuzz/ and this
script exits 1, naming the file; without a crash it prints how many inputs each target tried and exits 0.

    python benchmarks/fuzz_readers.py                 # both targets, 60 s in all (as `make bench` runs it)
    python benchmarks/fuzz_readers.py --seconds 3600  # longer: an hour split between the targets
    python benchmarks/fuzz_readers.py --target csv -runs=100000   # one target, any libFuzzer flags
    python benchmarks/fuzz_readers.py --target csv benchmarks/.cache/fuzz/csv-crash-...  # replay a crash
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRASH_DIR = HERE / ".cache" / "fuzz"
TARGETS = ("csv", "sunbiz")
# The contract files the CSV target reads, chosen by the input's first byte.
CONTRACT_NAMES = ("filings.csv", "officers.csv", "listings.csv", "tips.csv", "providers.csv",
                  "reviews.jsonl", "licenses.jsonl", "outcomes.csv.gz")


def _csv_seeds() -> list[bytes]:
    filings = (b"source,record_id,entity_name,entity_type,status,filed_date,principal_address,principal_zip\r\n"
               b"fl_sunbiz,P1,LOTUS WELLNESS LLC,llc,active,2019-02-22,\"100 Main St, Ste 4\",33101\r\n")
    listings = (b'{"source": "web", "record_id": "r1", "site_kind": "review_site", "business_name": "Lotus Spa",'
                b' "latitude": "25.7", "first_seen": "2021-05-01"}\n')
    return [b"\x00" + filings, b"\x05" + listings]


def _sunbiz_seed() -> bytes:
    from harborlight.sources.sunbiz import LAYOUT

    values = {"document_number": "P19000000001", "entity_name": "HARBOR TEST HOLDINGS INC", "status": "A",
              "filing_type": "DOMP", "principal_address_1": "100 EXAMPLE AVE", "principal_city": "MIAMI",
              "principal_state": "FL", "principal_zip": "33101", "file_date": "02222019",
              "officer_1_title": "P", "officer_1_type": "P", "officer_1_name": "EXAMPLE, PAT", "officer_1_state": "FL"}
    line = "".join(values.get(name, "").ljust(end - start + 1) for name, start, end in LAYOUT)
    return b"\x00" + line.encode("latin-1") + b"\n"


# -- the targets (run inside the fuzzing process) -------------------------------------------
def _csv_target(data: bytes, folder: Path) -> None:
    import gzip

    from harborlight.contract.readers import Row, read_rows, record_file
    from harborlight.contract.validate import RowValidator
    from harborlight.errors import HarborlightError

    if not data:
        return
    name = CONTRACT_NAMES[data[0] % len(CONTRACT_NAMES)]
    body = data[1:]
    if name.endswith(".gz") and data[0] & 0x80:
        body = gzip.compress(body, mtime=0)  # fuzz what is inside a good gzip stream, too
    path = folder / name
    path.write_bytes(body)
    try:
        rf = record_file(path)
        validator = RowValidator(rf.record_type, rf.label)
        for item in read_rows(rf):
            if isinstance(item, Row):
                _storable(validator.check(item))
    except HarborlightError:
        pass


def _storable(checked) -> None:
    """A row the validator accepts must be storable: every text in it encodes as UTF-8 (a lone surrogate
    from a JSON escape once passed the validator and crashed the warehouse insert in pyarrow)."""
    if isinstance(checked, tuple):
        values, extra = checked
        for value in [*values, extra]:
            for text in value if isinstance(value, list) else [value]:
                if isinstance(text, str):
                    text.encode("utf-8")


def _sunbiz_target(data: bytes, folder: Path) -> None:
    from harborlight.contract.readers import Row
    from harborlight.contract.schema import RECORD_TYPES
    from harborlight.contract.validate import RowValidator
    from harborlight.errors import HarborlightError
    from harborlight.sources.sunbiz import _problems, _read, filing_row, officer_rows, record_fields

    if not data:
        return
    path = folder / ("cordata.zip" if data[0] & 1 else "cordata.txt")
    path.write_bytes(data[1:])
    validators = {t: RowValidator(RECORD_TYPES[t], path.name) for t in ("filings", "officers")}
    try:
        for line in _read(path, "check", None):
            if _problems(line):
                continue
            values = record_fields(line.raw)  # type: ignore[arg-type]
            rows = [("filings", filing_row(values, "fl_sunbiz"))]
            rows += [("officers", row) for row in officer_rows(values, "fl_sunbiz")]
            for record_type, row in rows:
                known = {n: v for n in validators[record_type].record_type.field_names if (v := row.get(n)) is not None}
                _storable(validators[record_type].check(Row(line.number, known)))
    except HarborlightError:
        pass


def fuzz(target: str, libfuzzer_args: list[str]) -> None:
    """Run one target under atheris until libFuzzer stops it (-runs, -max_total_time, or a crash)."""
    import atheris

    with atheris.instrument_imports(include=["harborlight"]):
        import harborlight.contract.readers  # noqa: F401
        import harborlight.contract.validate  # noqa: F401
        import harborlight.sources.sunbiz  # noqa: F401
    folder = Path(tempfile.mkdtemp(prefix=f"harborlight-fuzz-{target}-"))
    body = _csv_target if target == "csv" else _sunbiz_target

    def one_input(data: bytes) -> None:
        body(data, folder)

    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input)
    atheris.Fuzz()


# -- the driver (what `make bench` runs) ----------------------------------------------------
def _run_target(target: str, seconds: int) -> tuple[int, int, str | None]:
    """(exit code, inputs tried, crash file) of one target run in its own process."""
    CRASH_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"harborlight-corpus-{target}-") as corpus:
        seeds = _csv_seeds() if target == "csv" else [_sunbiz_seed()]
        for i, seed in enumerate(seeds):
            (Path(corpus) / f"seed-{i}").write_bytes(seed)
        command = [sys.executable, __file__, "--target", target, f"-max_total_time={seconds}",
                   f"-artifact_prefix={CRASH_DIR}/{target}-", "-print_final_stats=1", corpus]
        done = subprocess.run(command, capture_output=True, text=True, errors="replace")
    found = re.findall(r"^(?:Done (\d+) runs|stat::number_of_executed_units:\s*(\d+))", done.stderr, re.MULTILINE)
    runs = [int(number) for pair in found for number in pair if number]
    crash = re.search(r"Test unit written to (\S+)", done.stderr)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
    return done.returncode, max(runs, default=0), crash.group(1) if crash else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=TARGETS, help="fuzz one target in this process (libFuzzer flags follow)")
    parser.add_argument("--seconds", type=int, default=60, help="fuzzing time for both targets together")
    args, rest = parser.parse_known_args()
    if args.target:
        fuzz(args.target, rest)
        return 0
    failed = 0
    for target in TARGETS:
        started = time.perf_counter()
        code, runs, crash = _run_target(target, max(args.seconds // len(TARGETS), 1))
        took = time.perf_counter() - started
        if code == 0:
            print(f"{target}: {runs:,} inputs tried in {took:.0f} s, no crash")
        else:
            failed += 1
            print(f"{target}: CRASH after {runs:,} inputs ({took:.0f} s); input saved to {crash or CRASH_DIR}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
