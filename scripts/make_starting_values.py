"""Make src/harborlight/resolve/data/starting_values.json.

Trains the business and person models without labels (u by random sampling, m by EM)
on a synthetic world, and writes the parameters learned. The package ships the file:
resolution starts training from these values, and uses them as they are when a data
set is too small to train on. The synthetic truth is not read.

    python scripts/make_starting_values.py [--seed 1] [--scale 3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from harborlight.config import installation_key
from harborlight.ingest import ingest
from harborlight.resolve.engine import resolve_model
from harborlight.resolve.mentions import build_mentions
from harborlight.resolve.models import STARTING_VALUES_FILE
from harborlight.synth.world import generate
from harborlight.warehouse import Warehouse

OUT = Path(__file__).parent.parent / "src" / "harborlight" / "resolve" / STARTING_VALUES_FILE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=3.0)
    args = parser.parse_args()
    values = {}
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        generate(world, seed=args.seed, scale=args.scale)
        with Warehouse(Path(tmp) / "w.duckdb", installation_key(Path(tmp))) as warehouse:
            ingest(world, warehouse)
            for model in ("business", "person"):
                result = resolve_model(build_mentions(warehouse, model), model)
                levels: dict[str, dict[str, list]] = {}
                for lv in result.levels:
                    if lv["gamma"] >= 0:
                        levels.setdefault(lv["comparison"], {})[lv["label"]] = [lv["m"], lv["u"]]
                values[model] = {"prior": result.prior, "levels": levels}
    OUT.write_text(json.dumps(values, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
