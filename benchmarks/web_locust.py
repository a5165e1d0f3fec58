"""The locustfile of benchmarks/web_load.py: analysts reading the workspace at once.

Each simulated analyst signs in with an account of its own (analyst-01, analyst-02, ...) through
POST /api/session, then walks the analyst's usual pages in a loop, pausing between pages as a person
reading them does. The pages and ids come from the plan web_load.py wrote (HARBORLIGHT_LOAD_PLAN);
locust puts this folder on the import path.
Requests are grouped by page, not by URL, so every network page counts as "/networks/{id}".
Redirects are not followed: a page that sends the analyst back to /login has failed.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from locust import HttpUser, between, task
from web_load import page_loads  # the same pages the sequential baseline loads

PLAN = json.loads(Path(os.environ["HARBORLIGHT_LOAD_PLAN"]).read_text(encoding="utf-8"))
_accounts = itertools.count(1)  # each new user takes the next account; one login each, as the throttle allows


class Analyst(HttpUser):
    wait_time = between(0.5, 2.0)  # reading time between pages

    def on_start(self) -> None:
        handle = f"analyst-{next(_accounts):02d}"
        self.client.post("/api/session", json={"handle": handle, "password": PLAN["password"]},
                         name="POST /api/session")
        self.rounds = itertools.count()

    @task
    def walk(self) -> None:
        for name, path in page_loads(PLAN, next(self.rounds)):
            with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"status {response.status_code}")
            self.wait()
