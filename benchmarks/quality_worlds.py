"""Quality on unseen worlds: every figure of `harborlight evaluate`, over seeds and world variants.

For each seed (default 101 to 105; the demo's seed 7 and the tests' seeds are not among
them) and each variant the generator offers (`standard` and `b`), at scale 1 (`--scale`)
and 10% IMBs among massage businesses (`--prevalence`): generate a world (cached in
benchmarks/.cache), run the whole pipeline through the library in a temporary folder
(ingest, resolve, score, find_networks, export_csv) and evaluate the export against the
world's truth with `evaluate_export`, as an outside evaluator would, from the files alone.

It prints one row per world, then MEAN and WORST per figure (worst: the lowest for a
figure where higher is better, the highest for a count that should be 0, for the Brier
score and for the fairness ratio), and writes every result to a JSON file whose path it
prints.

Baseline in the same process on the same data: when `find_networks` offers
`method="components"` (plain thresholded connected components over the same graph), the
networks are found again that way on the same warehouse, exported and evaluated, and
their network figures are printed beside harborlight's. Otherwise the table says
"no baseline".

    python benchmarks/quality_worlds.py                       # seeds 101-105, every variant, scale 1
    python benchmarks/quality_worlds.py --seeds 101 102 --scale 0.5 --variants standard
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import logging
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harborlight.config import installation_key
from harborlight.evaluate import Evaluation, evaluate_export
from harborlight.export.csv_export import export_csv
from harborlight.indicators.scoring import score
from harborlight.ingest import ingest
from harborlight.network import detect
from harborlight.network.detect import find_networks
from harborlight.resolve.stage import resolve
from harborlight.synth.variants import VARIANTS
from harborlight.synth.world import generate
from harborlight.warehouse import Warehouse

logging.getLogger("splink").setLevel(logging.ERROR)

HERE = Path(__file__).parent
CACHE = HERE / ".cache"
DEFAULT_SEEDS = [101, 102, 103, 104, 105]
PREVALENCE = 0.10  # about 10% of massage businesses illicit (issue 10)

# (column, key in Evaluation.to_dict(), which way is better). "min": higher is better, so the
# worst is the minimum; "max": lower is better, so the worst is the maximum.
COLUMNS = [
    ("bizP", "business_resolution.precision", "min"),
    ("bizF1", "business_resolution.f1", "min"),
    ("perP", "person_resolution.precision", "min"),
    ("perF1", "person_resolution.f1", "min"),
    ("netP", "networks.precision", "min"),
    ("netR", "networks.recall", "min"),
    ("netF1", "networks.f1", "min"),
    ("legit", "networks.legit_in_imb_networks", "max"),
    ("protC", "protection.protected_among_controllers", "max"),
    ("named", "protection.protected_named", "max"),
    ("ctrlP", "protection.controller_precision", "min"),
    ("ctrlR", "protection.controller_recall", "min"),
    ("AUC", "risk.auc", "min"),
    ("AP", "risk.average_precision", "min"),
    ("P@k", "risk.precision_at_k", "min"),
    ("Brier", "risk.brier", "max"),
    ("FPea", "fairness.groups.east_asian.rate", "max"),
    ("FPoth", "fairness.groups.other.rate", "max"),
    ("ratio", "fairness.ratio", "max"),
    ("ratHi", "fairness.ratio_high", "max"),
]
BASELINE_COLUMNS = [
    ("cc netP", "networks.precision", "min"),
    ("cc netR", "networks.recall", "min"),
    ("cc netF1", "networks.f1", "min"),
    ("cc legit", "networks.legit_in_imb_networks", "max"),
]
TARGETS = {  # column -> (comparison, value), as `harborlight evaluate` judges them
    "bizP": (">=", 0.97), "bizF1": (">=", 0.97), "perP": (">=", 0.98), "perF1": (">=", 0.95),
    "netF1": (">=", 0.95), "legit": ("<=", 0), "protC": ("<=", 0), "named": ("<=", 0),
    "AUC": (">=", 0.97), "P@k": (">=", 0.90), "ratio": ("<=", 1.25),
}


def generator_options() -> list[str]:
    """The variants the generator offers."""
    return list(VARIANTS)


def baseline_available() -> bool:
    """True when find_networks can run plain connected components over the same graph."""
    if "method" not in inspect.signature(find_networks).parameters:
        return False
    return "components" in getattr(detect, "METHODS", ("components",))


def _generator_version() -> str:
    """A digest of the generator's source, so a changed generator never reuses an old world."""
    import harborlight.synth as synth

    digest = hashlib.sha256()
    for path in sorted(Path(synth.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def world(seed: int, variant: str, scale: float, prevalence: float = PREVALENCE) -> Path:
    folder = CACHE / f"world-{_generator_version()}-seed{seed}-scale{scale:g}-{variant}-prevalence{prevalence:g}"
    done = folder / ".complete"
    if not done.exists():
        generate(folder, seed=seed, scale=scale, prevalence=prevalence, variant=variant)
        done.touch()
    return folder


def run_world(seed: int, variant: str, scale: float, with_baseline: bool, prevalence: float = PREVALENCE) -> dict:
    """The pipeline through the library on one world, its evaluation, and the baseline's networks."""
    folder = world(seed, variant, scale, prevalence)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="harborlight-quality-") as tmp:
        tmp_path = Path(tmp)
        with Warehouse(tmp_path / "w.duckdb", installation_key(tmp_path)) as warehouse:
            if not ingest(folder, warehouse).ok:
                raise SystemExit(f"the world {folder} did not load")
            resolve(warehouse)
            score(warehouse)
            find_networks(warehouse)
            export_csv(warehouse, tmp_path / "export")
            seconds = time.perf_counter() - started
            evaluation = evaluate_export(tmp_path / "export", folder)
            baseline: Evaluation | None = None
            if with_baseline:
                find_networks(warehouse, method="components")
                export_csv(warehouse, tmp_path / "baseline")
                baseline = evaluate_export(tmp_path / "baseline", folder)
    return {
        "seed": seed, "variant": variant, "scale": scale, "prevalence": prevalence, "world": str(folder), "pipeline_seconds": round(seconds, 1),
        "harborlight": evaluation.to_dict(),
        "components_baseline": baseline.to_dict() if baseline is not None else None,
    }


def figure(result: dict | None, key: str) -> float | None:
    """A figure by its dotted key; fairness groups are looked up by name. The JSON holds an
    infinite fairness ratio as null with ratio_is_infinite set: it comes back as infinity."""
    if key == "fairness.ratio" and result and result.get("fairness") and result["fairness"].get("ratio_is_infinite"):
        return math.inf
    value = result
    parts = key.split(".")
    for i, part in enumerate(parts):
        if value is None:
            return None
        if parts[i - 1:i] == ["groups"] and isinstance(value, list):
            value = next((g for g in value if g["group"] == part), None)
        else:
            value = value.get(part)
    return value


def _cell(value: float | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:d}"
    if math.isinf(value):
        return "inf"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def summarise(values: list[float | None], worst: str) -> tuple[float | None, float | None]:
    """Mean and worst of the defined values (an infinite ratio makes both infinite)."""
    defined = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not defined:
        return None, None
    return statistics.fmean(defined), (min(defined) if worst == "min" else max(defined))


def met(column: str, value: float | None) -> str:
    if column not in TARGETS:
        return ""
    op, target = TARGETS[column]
    if value is None:
        return "NO"
    return "yes" if (value >= target if op == ">=" else value <= target) else "NO"


def _json_number(value: float | None) -> float | str | None:
    return "inf" if value is not None and math.isinf(value) else value


def table_rows(results: list[dict], with_baseline: bool) -> tuple[list[str], list[list[str]], list[dict]]:
    """The header, one row of cells per world then MEAN, WORST and whether the worst meets its
    target, and the summary for the JSON file."""
    columns = [(name, key, worst, "harborlight") for name, key, worst in COLUMNS]
    if with_baseline:
        columns += [(name, key, worst, "components_baseline") for name, key, worst in BASELINE_COLUMNS]
    rows = []
    for r in results:
        cells = [_cell(figure(r[side], key)) for _, key, _, side in columns]
        rows.append([f"{r['seed']} {r['variant']}", *cells, f"{r['pipeline_seconds']:.1f}"])
    summary = []
    means, worsts, verdicts = ["MEAN"], ["WORST"], ["worst meets?"]
    for name, key, worst, side in columns:
        mean, bad = summarise([figure(r[side], key) for r in results], worst)
        means.append(_cell(mean))
        worsts.append(_cell(bad))
        verdicts.append(met(name, bad) if side == "harborlight" else "")
        summary.append({
            "figure": key, "side": side, "mean": _json_number(mean), "worst": _json_number(bad),
            "target": TARGETS.get(name) if side == "harborlight" else None,
            "worst_meets_target": (met(name, bad) == "yes") if name in TARGETS and side == "harborlight" else None,
        })
    rows += [means + [""], worsts + [""], verdicts + [""]]
    return ["world", *(name for name, *_ in columns), "secs"], rows, summary


def print_table(header: list[str], rows: list[list[str]], with_baseline: bool, markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|---" + "|---:" * (len(header) - 1) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [16] + [max(6, len(h)) for h in header[1:]]
        for row in [header, *rows]:
            print(f"{row[0]:<16}" + " ".join(f"{c:>{w}}" for c, w in zip(row[1:], widths[1:], strict=True)))
    if not with_baseline:
        print("network baseline: no baseline (find_networks offers no method='components' in this version)")
    else:
        print("cc: the same graph's thresholded connected components (find_networks method='components'), same run")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=DEFAULT_SEEDS)
    parser.add_argument("--variants", nargs="+", default=None, help="default: every variant the generator offers")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--prevalence", type=float, default=PREVALENCE, help="share of IMBs among massage businesses")
    parser.add_argument("--out", type=Path, default=CACHE / "quality_worlds.json", help="the JSON file of all results")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (as in docs/benchmarks.md)")
    parser.add_argument("--from-json", type=Path, default=None, help="print the table of a saved results file, run nothing")
    args = parser.parse_args(argv)
    if args.from_json is not None:
        saved = json.loads(args.from_json.read_text(encoding="utf-8"))
        header, rows, _ = table_rows(saved["worlds"], saved["baseline"] is not None)
        print_table(header, rows, saved["baseline"] is not None, args.markdown)
        return 0
    offered = generator_options()
    variants = args.variants or offered
    unknown = [v for v in variants if v not in offered]
    if unknown:
        parser.error(f"the generator offers the variants {', '.join(offered)}, not {', '.join(unknown)}")
    with_baseline = baseline_available()
    print(f"seeds {' '.join(map(str, args.seeds))}; variants {', '.join(variants)}; scale {args.scale:g}; "
          f"prevalence {args.prevalence:g}", flush=True)
    results = []
    for seed in args.seeds:
        for variant in variants:
            results.append(run_world(seed, variant, args.scale, with_baseline, args.prevalence))
            print(f"  done: seed {seed} {variant} ({results[-1]['pipeline_seconds']:.0f} s)", file=sys.stderr, flush=True)
    header, rows, summary = table_rows(results, with_baseline)
    print_table(header, rows, with_baseline, args.markdown)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "seeds": args.seeds, "variants": variants, "scale": args.scale, "prevalence": args.prevalence,
        "baseline": "components" if with_baseline else None, "worlds": results, "summary": summary,
    }, indent=1), encoding="utf-8")
    print(f"all results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
