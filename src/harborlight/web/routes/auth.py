"""Signing in and out: the login form, its JSON twin, logout, and where each role lands."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from harborlight.errors import HarborlightError
from harborlight.store.accounts import Lockout, LoginRefused, authenticate, end_session, start_session
from harborlight.store.models import User
from harborlight.web import policy
from harborlight.web.context import CSRF_FIELD, SESSION_COOKIE, Context, signed_in, workspace_of
from harborlight.web.render import page

router = APIRouter()
LOGIN_CSRF_COOKIE = "hl_login_csrf"


class TooManyAttempts(HarborlightError):
    http_status = 429


class Credentials(BaseModel):
    handle: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=1024)


class SignedIn(BaseModel):
    handle: str
    role: str
    agency_id: int | None
    csrf_token: str = Field(description="Send as the X-CSRF-Token header on every request that changes state.")
    landing: str


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    settings = workspace_of(request).settings
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=settings.cookie_secure, path="/")


def _sign_in(request: Request, handle: str, password: str) -> tuple[User, str, str]:
    """(user, session token, csrf token), or LoginRefused / TooManyAttempts. A session the browser already
    had ends: signing in again never leaves two live sessions behind one browser."""
    workspace = workspace_of(request)
    client = request.client.host if request.client else "unknown"
    throttle = request.app.state.login_throttle
    if throttle.blocked(client):
        raise TooManyAttempts("too many failed sign-ins from this address: wait a few minutes")
    settings = workspace.settings
    refused: LoginRefused | None = None
    with workspace.store.writing() as session:
        try:
            user = authenticate(session, handle, password, Lockout(settings.lockout_after, settings.lockout_minutes))
        except LoginRefused as exc:  # the failure is audited: commit it, then refuse
            refused = exc
        else:
            end_session(session, request.cookies.get(SESSION_COOKIE))
            token, row = start_session(session, user, settings.session_hours)
            return user, token, row.csrf_token
    throttle.failed(client)
    raise refused


@router.get("/login", name="login_page", include_in_schema=False)
def login_page(request: Request) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", {"login_csrf": token}, title="Sign in")
    _cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.post("/login", name="login", include_in_schema=False)
async def login(request: Request, handle: str = Form(""), password: str = Form(""),
                csrf_token: str = Form("", alias=CSRF_FIELD)) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return page(request, "login.html", {"login_csrf": expected, "error": "The form had expired: sign in again."},
                    status=403, title="Sign in")
    try:
        user, token, _ = await run_in_threadpool(_sign_in, request, handle, password)
    except (LoginRefused, TooManyAttempts) as exc:
        status = 429 if isinstance(exc, TooManyAttempts) else (423 if getattr(exc, "locked", False) else 401)
        return page(request, "login.html", {"login_csrf": expected, "error": str(exc), "handle": handle[:80]},
                    status=status, title="Sign in")
    response = RedirectResponse(policy.LANDING[user.role], status_code=303)
    _cookie(response, request, SESSION_COOKIE, token, max_age=None)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/api/session", name="api_login", response_model=SignedIn,
             responses={401: {"description": "not accepted"}, 423: {"description": "account locked"},
                        429: {"description": "too many attempts"}})
async def api_login(request: Request, credentials: Credentials) -> Response:
    """Sign in; the session cookie comes back with the response, the CSRF token in its body."""
    from fastapi.responses import JSONResponse

    try:
        user, token, csrf = await run_in_threadpool(_sign_in, request, credentials.handle, credentials.password)
    except LoginRefused as exc:
        return JSONResponse({"error": "LoginRefused", "detail": str(exc)}, status_code=423 if exc.locked else 401)
    body = SignedIn(handle=user.handle, role=user.role, agency_id=user.agency_id, csrf_token=csrf,
                    landing=policy.LANDING[user.role])
    response = JSONResponse(body.model_dump())
    _cookie(response, request, SESSION_COOKIE, token, max_age=None)
    return response


def _sign_out(context: Context) -> None:
    from harborlight.store import audit

    with context.store.writing() as session:
        end_session(session, context.request.cookies.get(SESSION_COOKIE))
        audit.append(session, "logout", context.actor, f"user:{context.user.id}", {})


@router.post("/logout", name="logout", include_in_schema=False)
def logout(context: Context = Depends(signed_in)) -> Response:
    _sign_out(context)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.delete("/api/session", name="api_logout", status_code=204)
def api_logout(context: Context = Depends(signed_in)) -> Response:
    _sign_out(context)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class Me(BaseModel):
    handle: str
    role: str
    agency_id: int | None
    csrf_token: str


@router.get("/api/me", name="api_me", response_model=Me)
def api_me(context: Context = Depends(signed_in)) -> Me:
    return Me(handle=context.user.handle, role=context.user.role, agency_id=context.user.agency_id,
              csrf_token=context.csrf_token)


@router.get("/", name="home", include_in_schema=False)
def home(context: Context = Depends(signed_in)) -> Response:
    return RedirectResponse(policy.LANDING[context.user.role], status_code=303)
