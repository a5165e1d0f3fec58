"""Train a Splink model on what the data allows, predict, and name the clusters: the steps
every engine shares.

An engine (resolve/engines.py) only brings its Splink backend: DuckDB in memory, or a Spark
session. Training, prediction and the SQL that names clusters and keeps the joined pairs are
here, once, so both engines give the same answer and neither imports the other.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from harborlight.resolve.models import ModelSpec

PREDICT_FLOOR = 0.01  # pairs below this probability are not kept at all
MAX_U_PAIRS = 2e6
# Below this many mentions, estimates from the data would be noise: the model runs on its
# shipped starting values instead of training. 200 mentions give about 20,000 pairs for u
# sampling, and EM with the prior held fixed needs only tens of pairs in a block: a few
# hundred records (864 restaurant listings, a county's filings) are trained on.
MIN_TRAINING_MENTIONS = 200
SEED = 42
# EM rounds train on at most this many mentions, a seeded sample marked in SAMPLE_COLUMN. A round
# compares every pair in its blocks, and a block on one column (a name) grows with the square of
# each value's count: the 1,874,809 business mentions of a 5M-record world gave 175 million pairs
# for the first round alone, which Spark on 2 cores had not finished comparing after 25 minutes.
# A sample of 500,000 keeps about 7% of those pairs, still millions, plenty for a handful of m
# probabilities; the 1M-record world's models are below it and train on every pair, as before.
# Prior and u are estimated on all mentions (u already samples its pairs: MAX_U_PAIRS).
MAX_EM_MENTIONS = 500_000
SAMPLE_COLUMN = "em_sample"

# Where a model's parameters came from, as reported by `harborlight resolve` and `status`.
TRAINED = "trained on the data"
PARTLY_TRAINED = "partly trained on the data"
STARTING_VALUES = "shipped starting values"
SET_IN_MODEL = "set in the model"
NOTHING_TO_COMPARE = "nothing to compare"


def em_sampled(n: int) -> bool:
    """Whether a model of `n` mentions trains EM on a sample: the one test, for the column and the rule."""
    return n > MAX_EM_MENTIONS


def training_mentions(mentions: pa.Table) -> pa.Table:
    """`mentions` as an engine gives them to Splink: beyond MAX_EM_MENTIONS, with SAMPLE_COLUMN
    marking a seeded sample of that many for the EM rounds (`_em_rule`)."""
    n = mentions.num_rows
    if not em_sampled(n):
        return mentions
    chosen = np.zeros(n, dtype=bool)
    chosen[np.random.default_rng(SEED).choice(n, MAX_EM_MENTIONS, replace=False)] = True
    return mentions.append_column(SAMPLE_COLUMN, pa.array(chosen))


def _em_rule(rule, n: int):
    """An EM round's blocking rule, kept to the sampled mentions when there are more than MAX_EM_MENTIONS.
    Only the columns of comparisons decide which m probabilities a round leaves fixed, so the added
    condition changes which pairs are compared, not what is learned from them."""
    if not em_sampled(n):
        return rule
    from splink.blocking_rule_library import And, CustomRule

    return And(rule, CustomRule(f"l.{SAMPLE_COLUMN} AND r.{SAMPLE_COLUMN}"))


def settings_for(spec: ModelSpec, n: int):
    """A model's settings for `n` mentions: term frequencies only where there are enough to count."""
    return spec.make_settings(term_frequencies=n >= MIN_TRAINING_MENTIONS)


def _estimate_prior(linker, spec: ModelSpec) -> None:
    """The prior from the deterministic rules. When they find no pair at all (200 unrelated
    filings), the estimate would be 0 and no pair could ever match: keep the starting prior."""
    settings = linker._settings_obj
    before = settings._probability_two_random_records_match
    linker.training.estimate_probability_two_random_records_match(list(spec.prior_rules), recall=spec.prior_recall)
    if not 0 < settings._probability_two_random_records_match < 1:
        settings._probability_two_random_records_match = before
        raise ValueError("the deterministic rules found no matching pair")


def _train(linker, spec: ModelSpec, n: int) -> tuple[list[str], str]:
    """Train what the data allows. A step the data is too small for is skipped and noted;
    its parameters keep the starting values set in the model.

    The prior is estimated once, from deterministic rules, and EM leaves it fixed (Splink
    does not write EM's in-block match rate back). Returns the notes and where the
    parameters came from: trained when u and every EM round were estimated, partly
    trained when some were, the shipped values when none were.
    """
    from splink.internals.exceptions import EMTrainingException, SplinkException

    notes = []
    max_pairs = max(1.0, min(MAX_U_PAIRS, n * (n - 1) / 2))
    steps = [
        ("prior", lambda: _estimate_prior(linker, spec)),
        ("u", lambda: linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=SEED)),
    ] + [
        (f"m by EM, round {i}",
         lambda rule=rule: linker.training.estimate_parameters_using_expectation_maximisation(_em_rule(rule, n)))
        for i, rule in enumerate(spec.em_blocks, start=1)
    ]
    if em_sampled(n) and spec.em_blocks:
        notes.append(f"{spec.name}: EM rounds trained on a seeded sample of {MAX_EM_MENTIONS:,} "
                     f"of the {n:,} mentions")
    estimated = 0
    for name, step in steps:
        try:
            step()
            estimated += name != "prior"
        except (EMTrainingException, SplinkException, ValueError, ZeroDivisionError) as exc:
            notes.append(f"{spec.name}: {name} skipped ({str(exc).splitlines()[0][:120]}); starting values kept")
    learnable = len(steps) - 1
    parameters = TRAINED if estimated == learnable else PARTLY_TRAINED if estimated else STARTING_VALUES
    return notes, parameters


def train_and_predict(linker, spec: ModelSpec, n: int, threshold: float):
    """Train `linker` as far as `n` mentions allow, then score every blocked pair and cluster at
    `threshold`. Returns Splink's predictions and clusters, the notes, and where the
    parameters came from."""
    if not spec.trained:
        notes, parameters = [], SET_IN_MODEL
    elif n < MIN_TRAINING_MENTIONS:
        notes = [f"{spec.name}: {n} mentions are too few to train on (fewer than {MIN_TRAINING_MENTIONS}); "
                 "shipped starting values used"]
        parameters = STARTING_VALUES
    else:
        notes, parameters = _train(linker, spec, n)
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_FLOOR)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
    return predictions, clusters, notes, parameters


def cluster_keys_sql(clusters: str) -> str:
    """Name each cluster by its smallest mention id, so the name does not depend on the engine."""
    return f"""
    SELECT unique_id, min(unique_id) OVER (PARTITION BY cluster_id) AS cluster_key
    FROM {clusters} ORDER BY unique_id"""


def joined_pairs_sql(predictions: str, threshold: float) -> str:
    """The pairs at or above the threshold, in one order on every engine: the joins `explain` shows."""
    return f"""
    SELECT * FROM {predictions} WHERE match_probability >= {float(threshold)}
    ORDER BY unique_id_l, unique_id_r"""
