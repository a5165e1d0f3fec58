"""The workspace under load: 20 analysts on the loopback against one uvicorn, measured by locust.

The world is the demo's synthetic world (seed 7) at scale 10, run through the whole pipeline once
and cached in benchmarks/.cache. The store is a fresh SQLite file holding 20 analyst accounts. The
server runs in a child process, as `harborlight serve` runs it, with no access log.

Two measurements on the same data in the same run:
- the baseline: one client loading the pages one after another (no concurrency), `--rounds` times;
- the load: `--users` analysts (web_locust.py) for `--seconds`, each signing in and walking the same
  pages in a loop with 0.5-2 s of reading between pages.
Each gets a freshly started server, because the login throttle admits 20 sign-ins per address in
five minutes and the load alone uses them all. For each page the table prints p50 and p95 of both,
the errors under load, and the ratio p95 under load / p95 alone. The network page's target is a p95
under 300 ms under load: reported, never asserted.

    python benchmarks/web_load.py                          # scale 10, 20 users, 60 s
    python benchmarks/web_load.py --scale 1 --seconds 20   # a quick look
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).parent
CACHE = HERE / ".cache"
SEED = 7
PASSWORD = "load test password"
NETWORK_TARGET_MS = 300.0


def page_loads(plan: dict, round_no: int) -> list[tuple[str, str]]:
    """One round of the analyst's pages as (group name, path); ids rotate from round to round.
    The sequential baseline and every locust user (web_locust.py) walk this same list."""
    network = plan["networks"][round_no % len(plan["networks"])]
    business = plan["businesses"][round_no % len(plan["businesses"])]
    return [
        ("/overview", "/overview"),
        ("/search?q=", f"/search?q={plan['word']}"),
        ("/networks", "/networks"),
        ("/networks/{id}", f"/networks/{network}"),
        ("/api/networks/{id}/graph", f"/api/networks/{network}/graph"),
        ("/businesses/{id}", f"/businesses/{business}"),
        ("/outcomes", "/outcomes"),
    ]


def pipeline_version() -> str:
    """A digest of the pipeline's source (everything but the workspace), so a changed pipeline never
    serves a warehouse an older one built."""
    import harborlight

    package = Path(harborlight.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        if path.relative_to(package).parts[0] not in ("web", "store"):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def warehouse(scale: float) -> Path:
    """The data directory of the demo's world at `scale`, built once."""
    from harborlight.config import Settings
    from harborlight.pipeline import run_demo

    data_dir = CACHE / f"web-{pipeline_version()}-seed{SEED}-scale{scale:g}"
    done = data_dir / ".complete"
    if not done.exists():
        print(f"building the scale-{scale:g} world in {data_dir} (once)", flush=True)
        run_demo(Settings(data_dir=data_dir), seed=SEED, scale=scale)
        done.touch()
    return data_dir


def plan(data_dir: Path) -> dict:
    """What the analysts open, chosen through the read layer as an analyst sees it: the ten strongest
    networks, a word from a business name of theirs that search finds, and businesses that word finds."""
    from harborlight.config import installation_key
    from harborlight.network.summary import network_summaries
    from harborlight.protection import Protection
    from harborlight.read import ANALYST, search
    from harborlight.warehouse import Warehouse

    with Warehouse(data_dir / "warehouse.duckdb", installation_key(data_dir), read_only=True) as w:
        protection = Protection(w)
        summaries = network_summaries(w, 10, protection)
        names = [name for s in summaries for name in s.top_names]
        words = [word for name in names for word in re.findall(r"[A-Za-z]{4,}", name)]
        for word in words:
            hits = search(w, word, ANALYST, protection=protection).businesses
            if len(hits) >= 3:
                return {"word": word, "networks": [s.network_id for s in summaries],
                        "businesses": [h.business_id for h in hits[:10]], "password": PASSWORD}
    raise SystemExit("the world has no network whose business names search finds")


def make_store(url: str, data_dir: Path, users: int) -> None:
    from harborlight.config import Settings
    from harborlight.store import open_store
    from harborlight.store.accounts import add_user

    store = open_store(Settings(data_dir=data_dir, database_url=url))
    with store.writing() as session:
        for n in range(1, users + 1):
            add_user(session, f"analyst-{n:02d}", PASSWORD, "analyst", by_actor="benchmark")
    store.close()


def serve(data_dir: str, store_url: str, port: str) -> None:
    """In the child: serve the workspace until killed."""
    import uvicorn

    from harborlight.config import Settings
    from harborlight.web.app import create_app

    app = create_app(Settings(data_dir=Path(data_dir), database_url=store_url))
    uvicorn.run(app, host="127.0.0.1", port=int(port), access_log=False, log_level="warning")


class Server:
    """The workspace in a child process on a free loopback port, started fresh for each measurement."""

    def __init__(self, data_dir: Path, store_url: str):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, __file__, "--serve", str(data_dir), store_url, str(self.port)]
        self.process = subprocess.Popen(command)
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{self.url}/login", timeout=2)
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit("the workspace did not start")
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * p / 100) - 1)] if ordered else float("nan")


def baseline(url: str, load_plan: dict, rounds: int) -> dict[str, dict]:
    """One analyst, one page at a time: p50 and p95 in ms per page, after one unmeasured round."""
    times: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    with httpx.Client(base_url=url, timeout=60) as client:
        client.post("/api/session", json={"handle": "analyst-01", "password": PASSWORD}).raise_for_status()
        for round_no in range(-1, rounds):
            for name, path in page_loads(load_plan, round_no):
                start = time.perf_counter()
                status = client.get(path).status_code
                ms = (time.perf_counter() - start) * 1000
                if round_no >= 0:
                    times.setdefault(name, []).append(ms)
                    errors[name] = errors.get(name, 0) + (status != 200)
    return {name: {"p50": percentile(t, 50), "p95": percentile(t, 95), "n": len(t), "errors": errors[name]}
            for name, t in times.items()}


def under_load(url: str, plan_path: Path, users: int, seconds: int, out: Path) -> dict[str, dict]:
    """Locust headless against `url`: per page p50 and p95 (ms, as locust rounds them), requests, failures."""
    prefix = out / "load"
    command = [sys.executable, "-m", "locust", "-f", str(HERE / "web_locust.py"), "--headless",
               "-u", str(users), "-r", "5", "-t", f"{seconds}s", "--stop-timeout", "5", "--host", url,
               "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"]
    print("$ " + " ".join(command), flush=True)
    env = {**os.environ, "HARBORLIGHT_LOAD_PLAN": str(plan_path)}
    subprocess.run(command, env=env, timeout=seconds + 180, check=False, stdout=subprocess.DEVNULL)
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as f:
        return {row["Name"]: {"p50": float(row["50%"]), "p95": float(row["95%"]),
                              "n": int(row["Request Count"]), "errors": int(row["Failure Count"])}
                for row in csv.DictReader(f) if row["Name"] != "Aggregated"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=20, help="the sequential baseline's rounds of pages")
    args = parser.parse_args()

    data_dir = warehouse(args.scale)
    load_plan = plan(data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        plan_path = tmp_dir / "plan.json"
        plan_path.write_text(json.dumps(load_plan), encoding="utf-8")
        store_url = f"sqlite:///{tmp_dir / 'store.sqlite'}"
        make_store(store_url, tmp_dir, args.users)

        server = Server(data_dir, store_url)
        try:
            alone = baseline(server.url, load_plan, args.rounds)
        finally:
            server.stop()
        server = Server(data_dir, store_url)
        try:
            loaded = under_load(server.url, plan_path, args.users, args.seconds, tmp_dir)
        finally:
            server.stop()

    print(f"\nscale {args.scale:g}, {len(load_plan['networks'])} networks, "
          f"search word of {len(load_plan['word'])} letters; "
          f"baseline {args.rounds} sequential rounds; load {args.users} users for {args.seconds} s")
    print(f"{'page':<26} {'1 user p50':>10} {'p95':>7} {f'{args.users} users p50':>13} {'p95':>7} "
          f"{'requests':>8} {'errors 1/N':>10} {'p95 ratio':>9}")
    for name, one in alone.items():
        many = loaded.get(name, {"p50": float("nan"), "p95": float("nan"), "n": 0, "errors": 0})
        errors = f"{one['errors']}/{many['errors']}"
        print(f"{name:<26} {one['p50']:>10.0f} {one['p95']:>7.0f} {many['p50']:>13.0f} {many['p95']:>7.0f} "
              f"{many['n']:>8} {errors:>10} {many['p95'] / one['p95']:>9.1f}")
    signin = loaded.get("POST /api/session")
    if signin:
        print(f"{'POST /api/session':<26} {'':>10} {'':>7} {signin['p50']:>13.0f} {signin['p95']:>7.0f} "
              f"{signin['n']:>8} {'-/' + str(signin['errors']):>10}")
    network = loaded.get("/networks/{id}")
    met = network is not None and network["errors"] == 0 and network["p95"] <= NETWORK_TARGET_MS
    print(f"network page p95 under load: {network['p95'] if network else float('nan'):.0f} ms, "
          f"target {NETWORK_TARGET_MS:.0f} ms: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(*sys.argv[2:5])
    else:
        sys.exit(main())
