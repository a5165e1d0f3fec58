"""Florida corporate file import: records per second against a plain read-and-slice, and peak memory.

Generates N synthetic records (invented names, seed 1) as a snapshot file plus a daily file
that updates 1% of its document numbers, in a temporary folder. Then, in this process:
- baseline: read both files line by line and slice every layout field (decode, trim), with no
  checks, no deduplication and nothing written;
- harborlight: `import_sunbiz` on the same files, run in a child process so that its peak
  resident memory (VmHWM) is its own and not this generator's.
It prints records/s for both, the ratio harborlight / baseline and the import's peak RSS.
Run at two sizes, the peak shows whether memory grows with the file.

    python benchmarks/sunbiz_import.py                 # 100,000 and 1,000,000 records
    python benchmarks/sunbiz_import.py 1000000         # chosen sizes
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harborlight.sources.sunbiz import LAYOUT, OFFICER_BLOCK, SLICES

SEED = 1
DAILY_SHARE = 0.01
_WIDTH = {name: end - start + 1 for name, start, end in LAYOUT}
SYLLABLES = ("bra", "lin", "mor", "tes", "qua", "vel", "dor", "sen", "kal", "ruv", "pim", "zo", "ent", "ha")
TITLES = ("P", "D", "MGR", "AMBR", "MBR", "DS", "PTD", "T", "S", "VP", "CEO")
TYPES = ("DOMP", "FLAL", "DOMNP", "FORP", "FORL", "DOMLP", "TRUST")


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).upper()


def _middle(rng: random.Random) -> str:
    """Positions 205..668 (status to the registered agent's zip4), padded from the layout."""
    values = {
        "status": rng.choice("AAAI"), "filing_type": rng.choice(TYPES),
        "principal_address_1": f"{rng.randint(1, 9999)} {_word(rng)} ST", "principal_city": _word(rng),
        "principal_state": "FL", "principal_zip": f"{rng.randint(32000, 34999)}", "principal_country": "US",
        "mailing_address_1": f"{rng.randint(1, 9999)} {_word(rng)} AVE", "mailing_city": _word(rng),
        "mailing_state": "FL", "mailing_zip": f"{rng.randint(32000, 34999)}",
        "file_date": f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(1970, 2024)}",
        "fei_number": f"{rng.randint(10**8, 10**9 - 1)}", "last_transaction_date": "03012024",
        "state_or_country": "FL", "annual_report_1_year": "2024", "annual_report_1_date": "04012024",
        "registered_agent_name": f"{_word(rng)}, {_word(rng)}", "registered_agent_type": rng.choice("PC"),
        "registered_agent_address": f"{rng.randint(1, 999)} {_word(rng)} RD", "registered_agent_city": _word(rng),
        "registered_agent_state": "FL", "registered_agent_zip5": f"{rng.randint(32000, 34999)}",
    }
    return "".join(values.get(name, "").ljust(_WIDTH[name]) for name, start, end in LAYOUT if 205 <= start <= 668)


def _officer(rng: random.Random) -> str:
    values = {"title": rng.choice(TITLES), "type": rng.choice("PPPC"), "name": f"{_word(rng)}, {_word(rng)}",
              "address": f"{rng.randint(1, 9999)} {_word(rng)} LN", "city": _word(rng), "state": "FL",
              "zip5": f"{rng.randint(32000, 34999)}", "zip4": rng.choice(("", "1234"))}
    return "".join(values[name].ljust(width) for name, width in OFFICER_BLOCK)


def generate(folder: Path, n: int) -> list[Path]:
    """A snapshot of n·(1 − DAILY_SHARE) records and a daily file of n·DAILY_SHARE updates to
    document numbers of the snapshot. Pieces are drawn from small pools so generating is fast."""
    rng = random.Random(SEED)
    middles = [_middle(rng) for _ in range(500)]
    officers = [_officer(rng) for _ in range(2000)]
    names = [f"{_word(rng)} {_word(rng)}" for _ in range(3000)]
    blank = " " * 128
    n_daily = int(n * DAILY_SHARE)
    n_snapshot = n - n_daily

    def line(doc: int) -> str:
        k = rng.randint(0, 6)
        blocks = "".join(rng.choice(officers) for _ in range(k)) + blank * (6 - k)
        name = f"{rng.choice(names)} {rng.choice(('INC', 'LLC', 'CORP', 'PA'))}"
        return f"P{doc:011d}" + name.ljust(192) + rng.choice(middles) + blocks + "    "

    paths = [folder / "snapshot.txt", folder / "daily.txt"]
    for path, docs in ((paths[0], range(n_snapshot)), (paths[1], (rng.randrange(n_snapshot) for _ in range(n_daily)))):
        with path.open("w", encoding="latin-1", newline="\n") as f:
            for doc in docs:
                f.write(line(doc) + "\n")
    return paths


def baseline(paths: list[Path]) -> int:
    read = 0
    slices = list(SLICES.items())
    for path in paths:
        with path.open("rb") as f:
            for raw in f:
                text = raw.rstrip(b"\r\n").decode("latin-1")
                {name: text[s].strip() for name, s in slices}
                read += 1
    return read


_CHILD = """
import json, sys, time
from pathlib import Path
from harborlight.sources.sunbiz import import_sunbiz
paths, out = [Path(p) for p in sys.argv[1:-1]], Path(sys.argv[-1])
start = time.perf_counter()
summary = import_sunbiz(paths, out)
elapsed = time.perf_counter() - start
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"elapsed": elapsed, "peak_kb": peak, "read": summary.records_read, "filings": summary.filings,
                  "officers": summary.officers, "replaced": summary.replaced}))
"""


def run(n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="sunbiz-bench-") as tmp:
        folder = Path(tmp)
        paths = generate(folder, n)
        start = time.perf_counter()
        read = baseline(paths)
        base_s = time.perf_counter() - start
        child = subprocess.run([sys.executable, "-c", _CHILD, *map(str, paths), str(folder / "out")],
                               capture_output=True, text=True, check=True)
        result = json.loads(child.stdout.strip().splitlines()[-1])
        base_rate, rate = read / base_s, result["read"] / result["elapsed"]
        print(f"{n:>10,} records | baseline {base_rate:>9,.0f} rec/s | harborlight {rate:>8,.0f} rec/s "
              f"| ratio {rate / base_rate:.2f} | import peak RSS {result['peak_kb'] / 1024:,.0f} MB "
              f"| filings {result['filings']:,}, officers {result['officers']:,}, replaced {result['replaced']:,}",
              flush=True)


def main(argv: list[str]) -> int:
    for n in [int(a) for a in argv] or [100_000, 1_000_000]:
        run(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
