"""The dependency every route passes through: who is asking, whether their role may, and CSRF.

`signed_in` is a dependency of the whole application (app.py), so no route can forget it. It
finds the route's rule in policy.RULES; for a public route it returns None, for any other it
finds the session from its cookie, refuses a role the rule does not admit, checks the CSRF token
of every state-changing request, and gives the route a `Context`.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from harborlight.errors import Forbidden, HarborlightError
from harborlight.read.viewer import Viewer
from harborlight.store.accounts import actor, session_for, utcnow
from harborlight.store.models import User, WebSession
from harborlight.warehouse import Warehouse
from harborlight.web import policy
from harborlight.web.workspace import Workspace

SESSION_COOKIE = "hl_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOUCH_EVERY = timedelta(seconds=60)  # how stale last_seen may grow before a request writes it again


class NotSignedIn(HarborlightError):
    """No live session: pages redirect to the login page, the API answers 401."""

    http_status = 401


@dataclass
class Context:
    """One request of a signed-in user."""

    request: Request
    workspace: Workspace
    user: User
    web_session: WebSession
    _readers: list[Warehouse] = field(default_factory=list)

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.user.role)

    @property
    def csrf_token(self) -> str:
        return self.web_session.csrf_token

    @property
    def actor(self) -> str:
        return actor(self.user)

    @property
    def store(self):
        return self.workspace.store

    def warehouse(self) -> Warehouse:
        """A cursor on the warehouse for this request, closed when the request ends."""
        reader = self.workspace.warehouse()
        self._readers.append(reader)
        return reader

    def protection(self):
        return self.workspace.protection()

    def remember(self, read: str, *arguments, make):
        """`make()` kept by the workspace for this read, its arguments and this viewer's role (workspace.py)."""
        return self.workspace.remember((read, self.user.role, *arguments), make)

    def close(self) -> None:
        for reader in self._readers:
            reader.close()
        self._readers.clear()


def workspace_of(request: Request) -> Workspace:
    return request.app.state.workspace


def route_name(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "name", "") or ""


async def signed_in(request: Request) -> Iterator[Context | None]:
    name = route_name(request)
    if policy.is_public(name):
        yield None
        return
    workspace = workspace_of(request)
    found = await run_in_threadpool(_live_session, workspace, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise NotSignedIn("sign in first")
    user, web_session = found
    if not policy.allowed(name, user.role):
        raise Forbidden(f"your role ({user.role}) may not open this page")
    if request.method not in SAFE_METHODS:
        await _check_csrf(request, web_session.csrf_token)
    context = Context(request, workspace, user, web_session)
    try:
        yield context
    finally:
        context.close()


def _live_session(workspace: Workspace, token: str | None) -> tuple[User, WebSession] | None:
    settings = workspace.settings
    with workspace.store.session() as session:
        found = session_for(session, token, settings.session_idle_minutes)
    if found is None:
        return None
    user, web_session = found
    now = utcnow()
    last = web_session.last_seen_at if web_session.last_seen_at.tzinfo else web_session.last_seen_at.replace(tzinfo=now.tzinfo)
    if now - last > TOUCH_EVERY:
        with workspace.store.writing() as session:
            row = session.get(WebSession, web_session.id)
            if row is not None:
                row.last_seen_at = now
    return user, web_session


async def _check_csrf(request: Request, expected: str) -> None:
    """A state-changing request carries the session's CSRF token: in the X-CSRF-Token header (the API,
    htmx) or in the form field `csrf_token` (plain forms)."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("the form or request is missing its CSRF token, or the token is out of date: reload the page")
