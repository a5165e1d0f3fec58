"""The application factory: routes, the one policy dependency, security headers, error pages."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from harborlight import __version__
from harborlight.config import Settings
from harborlight.errors import BadRequest, HarborlightError
from harborlight.store.accounts import unknown_hash
from harborlight.terminal import strip_controls
from harborlight.web.context import NotSignedIn, signed_in
from harborlight.web.render import page
from harborlight.web.routes import ROUTERS
from harborlight.web.security import SecurityHeaders, Throttle
from harborlight.web.workspace import Workspace

STATIC = Path(__file__).with_name("static")


def create_app(settings: Settings | None = None, workspace: Workspace | None = None) -> FastAPI:
    """The workspace application for `settings` (or an already open `workspace`, as the tests pass)."""
    owned = workspace is None  # a workspace passed in stays open for whoever passed it
    workspace = workspace or Workspace(settings or Settings())
    unknown_hash()  # before the first sign-in, which must not take longer for being first

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        if owned:
            workspace.close()

    app = FastAPI(
        title="harborlight workspace", version=__version__, lifespan=lifespan,
        description="The JSON twin of every page of the harborlight workspace. Sign in with POST /api/session; "
                    "send the returned csrf_token as the X-CSRF-Token header on every request that changes state.",
        dependencies=[Depends(signed_in)],  # every route passes the policy (policy.py)
        docs_url=None, redoc_url=None,  # the interactive docs would load scripts from another host
    )
    app.state.workspace = workspace
    app.state.login_throttle = Throttle()
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for router in ROUTERS:
        app.include_router(router)
    _error_handlers(app)
    return app


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _redacted(request: Request, message: str) -> str:
    try:
        return request.app.state.workspace.protection().redact(message)
    except HarborlightError:  # no warehouse to decide protection with: it holds no names either
        return message


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if wants_json(request):
            return JSONResponse({"error": "not signed in", "detail": str(exc)}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HarborlightError)
    async def harborlight_error(request: Request, exc: HarborlightError) -> Response:
        # Messages are written for users and name no personal data of ours, but some quote a value the
        # request sent (an id that is not one): control characters are taken out, and so is any protected
        # person's name or license number, so that no answer repeats one back.
        message = _redacted(request, strip_controls(str(exc)))
        if wants_json(request):
            return JSONResponse({"error": type(exc).__name__, "detail": message}, status_code=exc.http_status)
        return page(request, "error.html", {"status": exc.http_status, "message": message},
                    status=exc.http_status, title="Not available")

    @app.exception_handler(DataError)
    async def unstorable_value(request: Request, exc: DataError) -> Response:
        # A value the database refuses (a NUL character, which PostgreSQL never stores; a number out of
        # range): the request was at fault, and nothing was written, since the transaction rolled back.
        return await harborlight_error(request, BadRequest("a value in the request cannot be stored: it holds a "
                                                           "character or a number the database refuses"))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # The schema's shape (loc, msg, type: what OpenAPI declares for 422), without the `input` FastAPI
        # would add: the value sent may be a name, and no answer repeats one back.
        problems = [{"loc": list(e.get("loc", ())), "msg": _redacted(request, e.get("msg", "")),
                     "type": e.get("type", "")} for e in exc.errors()]
        if wants_json(request):
            return JSONResponse({"error": "BadRequest", "detail": problems}, status_code=422)
        message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in problems)
        return page(request, "error.html", {"status": 422, "message": message}, status=422, title="Not understood")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_json(request):
            return JSONResponse({"error": "HTTPError", "detail": str(exc.detail)}, status_code=exc.status_code,
                                headers=exc.headers)
        return page(request, "error.html", {"status": exc.status_code, "message": str(exc.detail)},
                    status=exc.status_code, title="Not available")
