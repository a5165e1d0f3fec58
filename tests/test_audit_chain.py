"""The audit chain on SQLite and PostgreSQL: intact chains verify, and every kind of tampering is found
and named by the entry it touched."""

from __future__ import annotations

import os
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from harborlight.config import Settings
from harborlight.store import open_store
from harborlight.store.audit import append, entry_hash, verify
from harborlight.store.database import Store, grant_app_role
from harborlight.store.models import AuditEntry, AuditHead

ENTRIES = 6
HARBORLIGHT = "/work/main/.venv/bin/harborlight"
SOURCE = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture
def settings(tmp_path, store_url) -> Settings:
    return Settings(data_dir=tmp_path, database_url=store_url)


@pytest.fixture
def store(settings):
    """An open, migrated store with an empty chain."""
    opened = open_store(settings)
    yield opened
    opened.close()


@pytest.fixture
def chained_store(store):
    """A store whose chain holds ENTRIES entries, one per transaction."""
    for number in range(ENTRIES):
        with store.writing() as session:
            append(session, "network_read", f"user:{number % 3 + 1}", f"network:{number}", {"n": number})
    return store


def problems_of(store) -> list[str]:
    with store.session() as session:
        count, problems = verify(session)
    return [str(problem) for problem in problems]


def tamper(store, *statements: str, **params) -> None:
    """Run SQL as the store's owner after dropping the append-only triggers, as an attacker with the
    owner's rights would."""
    with store.engine.begin() as connection:
        for drop in drop_triggers_sql(store.dialect):
            connection.execute(text(drop))
        for statement in statements:
            connection.execute(text(statement), params)


def drop_triggers_sql(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return ["DROP TRIGGER audit_log_no_change ON audit_log"]
    return ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"]


# -- intact ------------------------------------------------------------------------------------
def test_appended_chain_verifies_intact(chained_store):
    with chained_store.session() as session:
        count, problems = verify(session)
    assert (count, problems) == (ENTRIES, [])


def test_empty_chain_verifies_intact(store):
    with store.session() as session:
        assert verify(session) == (0, [])


def test_unknown_action_is_refused(store):
    with pytest.raises(ValueError), store.writing() as session:
        append(session, "delete_everything", "cli")


# -- tampering ---------------------------------------------------------------------------------
def test_edited_field_is_named(chained_store):
    tamper(chained_store, "UPDATE audit_log SET actor = 'user:99' WHERE seq = 3")
    assert problems_of(chained_store) == ["entry 3: edited"]


def test_deleted_middle_entry_is_named(chained_store):
    tamper(chained_store, "DELETE FROM audit_log WHERE seq = 3")
    assert problems_of(chained_store) == ["entry 3: deleted"]


def test_deleted_last_entries_are_named(chained_store):
    tamper(chained_store, "DELETE FROM audit_log WHERE seq >= :first", first=ENTRIES - 1)
    assert problems_of(chained_store) == [f"entry {ENTRIES - 1}: deleted", f"entry {ENTRIES}: deleted"]


def test_reordered_entries_are_named(chained_store):
    tamper(chained_store,
           "UPDATE audit_log SET seq = 1000 WHERE seq = 2",
           "UPDATE audit_log SET seq = 2 WHERE seq = 3",
           "UPDATE audit_log SET seq = 3 WHERE seq = 1000")
    assert problems_of(chained_store) == ["entry 2: reordered (it was entry 3)",
                                          "entry 3: reordered (it was entry 2)"]


def test_edited_entry_with_recomputed_hash_is_named(chained_store):
    with chained_store.session() as session:
        entry = session.get(AuditEntry, 3)
        forged = entry_hash(entry.prev_hash, 3, entry.at, "user:99", entry.action, entry.subject, entry.detail)
    tamper(chained_store, "UPDATE audit_log SET actor = 'user:99', hash = :forged WHERE seq = 3", forged=forged)
    problems = problems_of(chained_store)
    assert len(problems) == 1 and problems[0].startswith("entry 3: edited")


def test_edited_last_entry_with_recomputed_hash_is_named(chained_store):
    with chained_store.session() as session:
        entry = session.get(AuditEntry, ENTRIES)
        forged = entry_hash(entry.prev_hash, ENTRIES, entry.at, "user:99", entry.action, entry.subject, entry.detail)
    tamper(chained_store, "UPDATE audit_log SET actor = 'user:99', hash = :forged WHERE seq = :seq",
           forged=forged, seq=ENTRIES)
    problems = problems_of(chained_store)
    assert len(problems) == 1 and problems[0].startswith(f"entry {ENTRIES}: edited")


# -- append-only -------------------------------------------------------------------------------
@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'user:99' WHERE seq = 1",
                                       "DELETE FROM audit_log WHERE seq = 1"])
def test_triggers_refuse_changing_the_log(chained_store, statement):
    with pytest.raises(DBAPIError, match="append-only"), chained_store.engine.begin() as connection:
        connection.execute(text(statement))
    assert problems_of(chained_store) == []


def app_url(store_url: str, role: str) -> str:
    return make_url(store_url).set(username=role).render_as_string(hide_password=False)


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)  # database roles are PostgreSQL's
def test_app_role_may_append_but_never_update_or_delete(chained_store, store_url, tmp_path):
    role = f"hl_app_{uuid.uuid4().hex[:10]}"
    with chained_store.engine.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    app = None
    try:
        grant_app_role(chained_store.engine, role)
        # The server's own start (open_store migrates to head) works as the app role.
        app = open_store(Settings(data_dir=tmp_path, database_url=app_url(store_url, role)))
        with app.writing() as session:
            append(session, "login", "user:1", "user:1")
        with app.session() as session:
            assert verify(session) == (ENTRIES + 1, [])
        # The owner drops the triggers; the app role is still refused by its grants.
        with chained_store.engine.begin() as connection:
            for drop in drop_triggers_sql("postgresql"):
                connection.execute(text(drop))
        for statement in ("UPDATE audit_log SET actor = 'user:99' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1",
                          "TRUNCATE audit_log"):
            with pytest.raises(DBAPIError, match="permission denied"), app.engine.begin() as connection:
                connection.execute(text(statement))
        assert problems_of(chained_store) == []
    finally:
        if app is not None:
            app.close()
        with chained_store.engine.begin() as connection:
            connection.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"'))
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))


# -- concurrency -------------------------------------------------------------------------------
def append_from_threads(stores: list[Store], per_thread: int) -> list[BaseException]:
    failures: list[BaseException] = []

    def work(store: Store, number: int) -> None:
        try:
            for _ in range(per_thread):
                with store.writing() as session:
                    append(session, "network_read", f"user:{number}", "network:x")
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(store, number)) for number, store in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_concurrent_appends_through_one_store_keep_the_chain(store):
    assert append_from_threads([store] * 4, 10) == []
    with store.session() as session:
        assert verify(session) == (40, [])


def test_concurrent_appends_through_separate_stores_keep_the_chain(settings, store):
    """Each thread has its own Store, as separate server processes would."""
    others = [open_store(settings) for _ in range(4)]
    try:
        assert append_from_threads(others, 10) == []
    finally:
        for other in others:
            other.close()
    with store.session() as session:
        assert verify(session) == (40, [])
        assert session.execute(select(AuditHead.seq)).scalar_one() == 40


# -- the `audit verify` command ------------------------------------------------------------------
def harborlight(store_url: str | None, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SOURCE}
    env.pop("HARBORLIGHT_DATABASE_URL", None)
    if store_url and store_url.startswith("postgresql"):
        env["HARBORLIGHT_DATABASE_URL"] = store_url
    return subprocess.run([HARBORLIGHT, *args], env=env, capture_output=True, text=True)


def test_audit_verify_command_reports_an_intact_chain(chained_store, store_url, tmp_path):
    verified = harborlight(store_url, "audit", "verify", "--data-dir", str(tmp_path))
    assert verified.returncode == 0, verified.stderr
    assert "audit chain intact" in verified.stdout and str(ENTRIES) in verified.stdout


def test_audit_verify_command_names_the_tampered_entry(chained_store, store_url, tmp_path):
    tamper(chained_store, "UPDATE audit_log SET detail = '{}' WHERE seq = 4")
    verified = harborlight(store_url, "audit", "verify", "--data-dir", str(tmp_path))
    assert verified.returncode != 0
    assert "entry 4" in verified.stderr and "intact" not in verified.stdout


def test_audit_verify_command_without_a_store_says_so_and_makes_none(tmp_path, store_url):
    data_dir = tmp_path / "empty"
    data_dir.mkdir()
    verified = harborlight(store_url, "audit", "verify", "--data-dir", str(data_dir))
    assert verified.returncode == 2
    assert "no workspace store" in verified.stderr and "harborlight user add" in verified.stderr
    assert list(data_dir.iterdir()) == []
    if store_url.startswith("postgresql"):
        with create_engine(store_url).connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar() == 0


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)  # SQLite's refusal
def test_store_grant_command_is_for_postgresql_only(tmp_path, store):
    granted = harborlight(None, "store", "grant", "hl_app", "--data-dir", str(tmp_path))
    assert granted.returncode == 2 and "PostgreSQL" in granted.stderr


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)  # database roles are PostgreSQL's
def test_store_upgrade_then_grant_commands_give_the_app_role_the_store(tmp_path, store_url):
    role = f"hl_app_{uuid.uuid4().hex[:10]}"
    owner = create_engine(store_url)
    with owner.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        upgraded = harborlight(store_url, "store", "upgrade", "--data-dir", str(tmp_path))
        assert upgraded.returncode == 0, upgraded.stderr
        granted = harborlight(store_url, "store", "grant", role, "--data-dir", str(tmp_path))
        assert granted.returncode == 0, granted.stderr
        app = open_store(Settings(data_dir=tmp_path, database_url=app_url(store_url, role)))
        try:
            with app.writing() as session:
                append(session, "login", "user:1", "user:1")
            with app.session() as session:
                assert verify(session) == (1, [])
        finally:
            app.close()
        unknown = harborlight(store_url, "store", "grant", "no_such_role_here", "--data-dir", str(tmp_path))
        assert unknown.returncode == 2 and len(unknown.stderr.strip().splitlines()) == 1
    finally:
        with owner.begin() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
        owner.dispose()


def test_a_command_line_export_is_written_to_the_workspace_chain(settings, store):
    from harborlight.store.audit import record_cli_export

    assert record_cli_export(settings, "network:net-1", {"what": "packet"})
    with store.session() as session:
        last = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc())).scalars().first()
        assert (last.action, last.actor, last.subject) == ("export", "cli", "network:net-1")
        assert verify(session)[1] == []


def test_a_command_line_export_without_a_workspace_makes_no_store(tmp_path):
    from harborlight.store.audit import record_cli_export

    assert not record_cli_export(Settings(data_dir=tmp_path), "warehouse", {"what": "export"})
    assert list(tmp_path.iterdir()) == []
