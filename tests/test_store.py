"""The operational store on SQLite and PostgreSQL: its schema, accounts, lockout and sessions."""

from __future__ import annotations

import hashlib
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from harborlight.config import Settings
from harborlight.errors import BadRequest
from harborlight.store import open_store
from harborlight.store.accounts import (
    Lockout,
    LoginRefused,
    add_user,
    authenticate,
    change_role,
    session_for,
    start_session,
    unlock,
    utcnow,
)
from harborlight.store.models import AuditEntry, Base, User, WebSession

PASSWORD = "a long enough secret"
HARBORLIGHT = "/work/main/.venv/bin/harborlight"
SOURCE = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture
def settings(tmp_path, store_url) -> Settings:
    """Settings for a workspace whose store is at `store_url` (SQLite in tmp_path, or PostgreSQL)."""
    return Settings(data_dir=tmp_path, database_url=store_url, lockout_after=3, lockout_minutes=15,
                    session_idle_minutes=30, session_hours=8)


@pytest.fixture
def store(settings):
    """An open, migrated, empty store."""
    opened = open_store(settings)
    yield opened
    opened.close()


@pytest.fixture
def analyst(store) -> int:
    """The id of an analyst account with PASSWORD."""
    with store.writing() as session:
        return add_user(session, "ana", PASSWORD, "analyst", by_actor="test").id


def lockout(settings: Settings) -> Lockout:
    return Lockout(settings.lockout_after, settings.lockout_minutes)


def actions(store) -> list[str]:
    """The audit chain's actions, read through a new session (so only what was committed)."""
    with store.session() as session:
        return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())


def try_login(store, settings, handle: str, password: str):
    """Log in the way the web route does: a refusal is still committed, so its audit entry stays."""
    with store.writing() as session:
        try:
            return authenticate(session, handle, password, lockout(settings)), None
        except LoginRefused as exc:
            return None, exc


# -- schema --------------------------------------------------------------------------------
def test_migrations_produce_exactly_the_models_schema(store):
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    # Nothing is ignored: the migration declares every column, index and constraint the models do.
    assert differences == []


def test_opening_the_store_twice_changes_nothing(settings, store):
    with store.writing() as session:
        add_user(session, "first", PASSWORD, "admin", by_actor="test")
    tables = set(inspect(store.engine).get_table_names())
    again = open_store(settings)
    try:
        assert set(inspect(again.engine).get_table_names()) == tables
        with again.session() as session:
            assert session.execute(select(User.handle)).scalars().all() == ["first"]
    finally:
        again.close()
    assert actions(store) == ["user_add"]


# -- accounts ------------------------------------------------------------------------------
def test_add_user_stores_an_argon2id_hash_never_the_password(store, analyst):
    with store.session() as session:
        user = session.get(User, analyst)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize("handle, password, role, agency", [
    ("Bad Handle!", PASSWORD, "analyst", None),
    ("x", PASSWORD, "analyst", None),
    ("someone", PASSWORD, "superuser", None),
    ("someone", "short", "analyst", None),
    ("someone", PASSWORD, "investigator", None),
])
def test_add_user_refuses_a_bad_account(store, handle, password, role, agency):
    with pytest.raises(BadRequest), store.writing() as session:
        add_user(session, handle, password, role, agency, by_actor="test")
    with store.session() as session:
        assert session.execute(select(User)).first() is None


def test_add_user_refuses_a_taken_handle(store, analyst):
    with pytest.raises(BadRequest, match="taken"), store.writing() as session:
        add_user(session, "ANA", PASSWORD, "admin", by_actor="test")


def test_right_password_logs_in_and_is_audited(store, settings, analyst):
    user, refused = try_login(store, settings, "ana", PASSWORD)
    assert refused is None and user.id == analyst
    assert actions(store)[-1] == "login"


def test_wrong_password_is_refused_and_the_failure_is_committed(store, settings, analyst):
    user, refused = try_login(store, settings, "ana", "not the password at all")
    assert user is None and isinstance(refused, LoginRefused) and not refused.locked
    assert actions(store)[-1] == "login_failed"
    with store.session() as session:
        assert session.get(User, analyst).failed_logins == 1


def test_unknown_handle_is_refused_like_a_wrong_password(store, settings, analyst):
    _, unknown = try_login(store, settings, "nobody", PASSWORD)
    _, wrong = try_login(store, settings, "ana", "not the password at all")
    assert str(unknown) == str(wrong)
    assert actions(store)[-2:] == ["login_failed", "login_failed"]


def lock_out(store, settings) -> None:
    for _ in range(settings.lockout_after):
        try_login(store, settings, "ana", "not the password at all")


def test_lockout_refuses_even_the_right_password(store, settings, analyst):
    lock_out(store, settings)
    user, refused = try_login(store, settings, "ana", PASSWORD)
    assert user is None and refused.locked
    assert actions(store)[-1] == "login_locked"


def test_lock_runs_out_when_locked_until_has_passed(store, settings, analyst):
    lock_out(store, settings)
    with store.writing() as session:
        user = session.get(User, analyst)
        assert user.locked_until is not None
        user.locked_until = utcnow() - timedelta(minutes=1)
    user, refused = try_login(store, settings, "ana", PASSWORD)
    assert refused is None and user.id == analyst


def test_administrator_unlocks_an_account(store, settings, analyst):
    lock_out(store, settings)
    with store.writing() as session:
        admin = add_user(session, "boss", PASSWORD, "admin", by_actor="test")
        unlock(session, session.get(User, analyst), admin)
    user, refused = try_login(store, settings, "ana", PASSWORD)
    assert refused is None and user.id == analyst
    assert "user_unlock" in actions(store)


# -- sessions ------------------------------------------------------------------------------
def new_session(store, settings, user_id: int) -> str:
    with store.writing() as session:
        token, _ = start_session(session, session.get(User, user_id), settings.session_hours)
    return token


def test_session_round_trip_stores_only_the_tokens_sha256(store, settings, analyst):
    token = new_session(store, settings, analyst)
    with store.session() as session:
        found = session_for(session, token, settings.session_idle_minutes)
        rows = session.execute(select(WebSession)).scalars().all()
    assert found is not None and found[0].id == analyst
    assert [row.token_hash for row in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert all(token not in (row.token_hash, row.csrf_token) for row in rows)


def test_unknown_token_has_no_session(store, settings, analyst):
    new_session(store, settings, analyst)
    with store.session() as session:
        assert session_for(session, "not-a-token", settings.session_idle_minutes) is None
        assert session_for(session, None, settings.session_idle_minutes) is None


def test_expired_session_is_gone(store, settings, analyst):
    token = new_session(store, settings, analyst)
    with store.writing() as session:
        session.execute(select(WebSession)).scalar_one().expires_at = utcnow() - timedelta(seconds=1)
    with store.session() as session:
        assert session_for(session, token, settings.session_idle_minutes) is None


def test_idle_session_is_gone(store, settings, analyst):
    token = new_session(store, settings, analyst)
    with store.writing() as session:
        row = session.execute(select(WebSession)).scalar_one()
        row.last_seen_at = utcnow() - timedelta(minutes=settings.session_idle_minutes + 1)
    with store.session() as session:
        assert session_for(session, token, settings.session_idle_minutes) is None


def test_recently_seen_session_lives(store, settings, analyst):
    token = new_session(store, settings, analyst)
    with store.writing() as session:
        row = session.execute(select(WebSession)).scalar_one()
        row.last_seen_at = utcnow() - timedelta(minutes=settings.session_idle_minutes - 1)
    with store.session() as session:
        assert session_for(session, token, settings.session_idle_minutes) is not None


def test_change_role_ends_the_users_sessions(store, settings, analyst):
    token = new_session(store, settings, analyst)
    with store.writing() as session:
        admin = add_user(session, "boss", PASSWORD, "admin", by_actor="test")
        change_role(session, session.get(User, analyst), "auditor", admin)
    with store.session() as session:
        assert session_for(session, token, settings.session_idle_minutes) is None
        assert session.get(User, analyst).role == "auditor"
    assert actions(store)[-1] == "role_change"


# -- the `user add` command ----------------------------------------------------------------------
def harborlight(store_url: str, *args: str) -> subprocess.CompletedProcess:
    """The real CLI, run from this worktree's source, on the store at `store_url`."""
    env = {**os.environ, "PYTHONPATH": SOURCE}
    env.pop("HARBORLIGHT_DATABASE_URL", None)
    if store_url.startswith("postgresql"):
        env["HARBORLIGHT_DATABASE_URL"] = store_url
    return subprocess.run([HARBORLIGHT, *args], env=env, capture_output=True, text=True)


def test_user_add_reads_the_password_file(tmp_path, store_url):
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    made = harborlight(store_url, "user", "add", "first-admin", "--role", "admin",
                       "--password-file", str(password_file), "--data-dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    assert "first-admin" in made.stdout and PASSWORD not in made.stdout + made.stderr
    settings = Settings(data_dir=tmp_path, database_url=store_url)
    store = open_store(settings)
    try:
        user, refused = try_login(store, settings, "first-admin", PASSWORD)
        assert refused is None and user.role == "admin"
    finally:
        store.close()


def test_user_add_of_a_taken_handle_exits_2_with_one_line(tmp_path, store_url):
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    command = ("user", "add", "first-admin", "--role", "admin", "--password-file", str(password_file),
               "--data-dir", str(tmp_path))
    assert harborlight(store_url, *command).returncode == 0
    again = harborlight(store_url, *command)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == ["error: the handle 'first-admin' is taken"]
