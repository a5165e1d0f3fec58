"""Helpers for the workspace's tests: accounts with known passwords, and signed-in test clients."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from harborlight.config import Settings
from harborlight.store import open_store
from harborlight.store.accounts import add_user, agency_named
from harborlight.web.app import create_app
from harborlight.web.workspace import Workspace

PASSWORD = "correct horse battery"
AGENCY = "Bay County Task Force"
OTHER_AGENCY = "Harbor City Police"
# handle -> (role, agency)
ACCOUNTS = {
    "admin": ("admin", None),
    "analyst": ("analyst", None),
    "investigator": ("investigator", AGENCY),
    "investigator-other": ("investigator", OTHER_AGENCY),
    "advocate": ("advocate", None),
    "auditor": ("auditor", None),
}


def open_workspace(data_dir: Path, store_url: str) -> Workspace:
    """A workspace over the warehouse in `data_dir`, its store at `store_url` holding ACCOUNTS."""
    settings = Settings(data_dir=data_dir, database_url=store_url)
    store = open_store(settings)
    with store.writing() as session:
        for name in (AGENCY, OTHER_AGENCY):
            agency_named(session, name, create=True)
        for handle, (role, agency) in ACCOUNTS.items():
            add_user(session, handle, PASSWORD, role, agency, by_actor="test")
    return Workspace(settings, store)


def client_for(workspace: Workspace, handle: str | None = None) -> TestClient:
    """A client of a new app over `workspace`, signed in as `handle` (anonymous when None), sending the
    session's CSRF token on every request."""
    client = TestClient(create_app(workspace=workspace), follow_redirects=False)
    if handle is not None:
        signed = client.post("/api/session", json={"handle": handle, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
    return client
