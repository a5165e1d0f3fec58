"""Accounts and sessions: argon2 password hashes, lockout after repeated failures, expiring sessions.

There are no default accounts: the first administrator is made with `harborlight user add`
(the demo makes one account per role with random passwords, written to a file only its owner
can read).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from harborlight.errors import BadRequest, Forbidden, NotFound
from harborlight.read.viewer import ROLES
from harborlight.store import audit
from harborlight.store.models import Agency, User, WebSession

HASHER = PasswordHasher()


@lru_cache(maxsize=1)
def unknown_hash() -> str:
    """Verified when a handle is unknown, so a wrong handle costs as long as a wrong password. Made on
    first use, not on import: a command that never signs anyone in (ingest of tips) does not pay argon2's
    work; the web app makes it when it starts, so no sign-in pays it either."""
    return HASHER.hash(secrets.token_urlsafe(16))


HANDLE = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
MIN_PASSWORD = 12


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored moment is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def actor(user: User | None) -> str:
    """How the audit chain names a user: by id, never by handle."""
    return f"user:{user.id}" if user is not None else "anonymous"


def check_new_account(handle: str, password: str, role: str, agency: str | None) -> None:
    if not HANDLE.fullmatch(handle):
        raise BadRequest("a handle is 2-40 characters: lower-case letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"a password has at least {MIN_PASSWORD} characters")
    if role == "investigator" and not agency:
        raise BadRequest("an investigator belongs to an agency: give --agency")


def org_key(name: str) -> str:
    """An organisation's name as consent matching compares it (cases.consent.Recipient): spaces collapsed,
    case folded. No two agencies share one, so a consent naming one agency never opens for another."""
    return " ".join(name.split()).casefold()


def agency_named(session: Session, name: str, create: bool = False) -> Agency:
    """The agency called `name`, compared as consent compares it (`org_key`); made when missing and `create`."""
    name = " ".join(name.split())
    found = session.execute(select(Agency).where(Agency.name == name)).scalar_one_or_none()
    if found is None:
        found = next((a for a in session.execute(select(Agency)).scalars() if org_key(a.name) == org_key(name)),
                     None)
    if found is not None:
        return found
    if not create:
        raise NotFound(f"no agency named {name!r}")
    if not 2 <= len(name) <= 200:
        raise BadRequest("an agency's name is 2-200 characters")
    agency = Agency(name=name)
    session.add(agency)
    session.flush()
    return agency


def add_user(session: Session, handle: str, password: str, role: str, agency: str | None = None,
             by: User | None = None, by_actor: str | None = None) -> User:
    """A new account, written to the audit chain. An investigator's agency is made if it is new."""
    handle = handle.strip().lower()
    check_new_account(handle, password, role, agency)
    if session.execute(select(User).where(User.handle == handle)).scalar_one_or_none() is not None:
        raise BadRequest(f"the handle {handle!r} is taken")
    agency_row = agency_named(session, agency, create=True) if agency else None
    user = User(handle=handle, password_hash=HASHER.hash(password), role=role,
                agency_id=agency_row.id if agency_row else None, active=True, failed_logins=0)
    session.add(user)
    session.flush()
    audit.append(session, "user_add", by_actor or actor(by), f"user:{user.id}",
                 {"role": role, "agency": agency_row.id if agency_row else None})
    return user


def change_role(session: Session, user: User, role: str, by: User, agency: str | None = None) -> None:
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if role == "investigator" and not (agency or user.agency_id):
        raise BadRequest("an investigator belongs to an agency")
    before = user.role
    if agency:
        user.agency_id = agency_named(session, agency, create=True).id
    user.role = role
    session.query(WebSession).filter(WebSession.user_id == user.id).delete()  # a new role needs a new login
    audit.append(session, "role_change", actor(by), f"user:{user.id}", {"from": before, "to": role})


class LoginRefused(Forbidden):
    """A login was refused: wrong handle or password (one message for both), or a locked account."""

    def __init__(self, message: str, locked: bool = False):
        super().__init__(message)
        self.locked = locked


@dataclass(frozen=True)
class Lockout:
    after: int  # failures in a row
    minutes: int


LOCKED_MESSAGE = ("This account is locked after repeated failed logins. Try again later, or ask an "
                  "administrator to unlock it.")
REFUSED_MESSAGE = "That handle and password were not accepted."


class _UnknownHandles:
    """Failed logins to handles no account has, counted as an account's are (in memory, per process), so
    that five failures lock an unknown handle too: a lockout must not tell which handles exist."""

    def __init__(self, limit: int = 10_000):
        self.limit = limit
        self._seen: dict[str, tuple[int, datetime | None]] = {}
        self._lock = threading.Lock()

    def locked(self, handle: str, now: datetime) -> bool:
        with self._lock:
            _, until = self._seen.get(handle, (0, None))
            return until is not None and until > now

    def failed(self, handle: str, now: datetime, lockout: Lockout) -> None:
        with self._lock:
            failures, until = self._seen.get(handle, (0, None))
            failures += 1
            self._seen[handle] = (0, now + timedelta(minutes=lockout.minutes)) if failures >= lockout.after \
                else (failures, until)
            if len(self._seen) > self.limit:  # forget the oldest rather than grow without bound
                self._seen.pop(next(iter(self._seen)))


_UNKNOWN = _UnknownHandles()


def authenticate(session: Session, handle: str, password: str, lockout: Lockout) -> User:
    """The user whose handle and password these are, or LoginRefused. Every outcome is audited; the
    account locks after `lockout.after` failures in a row, and a locked account is refused even with
    the right password until the lock runs out or an administrator unlocks it.

    A handle no account has answers exactly as an account would: the same messages, the same lockout
    after the same failures, and the same argon2 work on every path, so neither the answer nor its
    time tells whether the handle exists."""
    handle = handle.strip().lower()
    user = session.execute(select(User).where(User.handle == handle)).scalar_one_or_none()
    now = utcnow()
    if user is None or not user.active:
        _verify(unknown_hash(), password)
        if _UNKNOWN.locked(handle, now):
            audit.append(session, "login_locked", "anonymous", "", {"reason": "unknown or inactive handle"})
            raise LoginRefused(LOCKED_MESSAGE, locked=True)
        _UNKNOWN.failed(handle, now, lockout)
        audit.append(session, "login_failed", "anonymous", "", {"reason": "unknown or inactive handle"})
        raise LoginRefused(REFUSED_MESSAGE)
    locked_until = aware(user.locked_until)
    right = _verify(user.password_hash, password)  # on every path, so a locked account costs the same time
    if locked_until is not None and locked_until > now:
        audit.append(session, "login_locked", actor(user), f"user:{user.id}", {})
        raise LoginRefused(LOCKED_MESSAGE, locked=True)
    if not right:
        user.failed_logins += 1
        detail = {"failures": user.failed_logins}
        if user.failed_logins >= lockout.after:
            user.locked_until = now + timedelta(minutes=lockout.minutes)
            user.failed_logins = 0
            detail["locked_minutes"] = lockout.minutes
        audit.append(session, "login_failed", actor(user), f"user:{user.id}", detail)
        raise LoginRefused(REFUSED_MESSAGE)
    user.failed_logins, user.locked_until = 0, None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    audit.append(session, "login", actor(user), f"user:{user.id}", {"role": user.role})
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def unlock(session: Session, user: User, by: User) -> None:
    user.failed_logins, user.locked_until = 0, None
    audit.append(session, "user_unlock", actor(by), f"user:{user.id}", {})


# -- sessions ------------------------------------------------------------------------------
def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(session: Session, user: User, hours: int) -> tuple[str, WebSession]:
    """A new session for `user`: the token for the cookie (stored only as its hash) and the row."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = WebSession(token_hash=token_hash(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                     created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=hours))
    session.add(row)
    session.flush()
    return token, row


def session_for(session: Session, token: str | None, idle_minutes: int) -> tuple[User, WebSession] | None:
    """The live session and its user for a cookie's token; None when there is none, it has expired
    (absolute limit, or idle longer than `idle_minutes`) or its user was deactivated."""
    if not token:
        return None
    row = session.execute(select(WebSession).where(WebSession.token_hash == token_hash(token))).scalar_one_or_none()
    if row is None:
        return None
    now = utcnow()
    if aware(row.expires_at) <= now or aware(row.last_seen_at) + timedelta(minutes=idle_minutes) <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user, row


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))
