"""The demo's accounts: one per role, with random passwords written to a file only its owner can read."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from harborlight.errors import file_error
from harborlight.store import Store
from harborlight.store.accounts import add_user

ACCOUNTS_FILE = "demo-accounts.txt"
# (handle, role, agency)
DEMO_ACCOUNTS = [
    ("demo-admin", "admin", None),
    ("demo-analyst", "analyst", None),
    ("demo-investigator", "investigator", "Demo County Sheriff's Office"),
    ("demo-advocate", "advocate", None),
    ("demo-advocate-2", "advocate", None),  # the second person an exception to consent needs
    ("demo-auditor", "auditor", None),
]
# A second agency, so a packet can be released to one and refused to the other.
DEMO_AGENCIES = ["Demo County Sheriff's Office", "Neighbouring City Police Department"]


def make_demo_accounts(store: Store, data_dir: Path) -> tuple[Path, list[tuple[str, str, str | None]]]:
    """Create the demo accounts in an empty store and write `handle role password` lines to
    DATA_DIR/demo-accounts.txt (mode 0600). Returns the file and the accounts, without passwords."""
    from harborlight.store.accounts import agency_named

    lines = []
    with store.writing() as session:
        for name in DEMO_AGENCIES:
            agency_named(session, name, create=True)
        for handle, role, agency in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(12)
            add_user(session, handle, password, role, agency, by_actor="demo")
            lines.append(f"{handle}\t{role}\t{password}\n")
    path = data_dir / ACCOUNTS_FILE
    try:
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("# harborlight demo accounts: handle, role, password. Made for this demo world only.\n")
            out.writelines(lines)
    except OSError as exc:
        raise file_error(exc) from None
    return path, DEMO_ACCOUNTS
