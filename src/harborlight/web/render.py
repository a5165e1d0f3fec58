"""Pages from templates: every page gets the same frame (navigation for the viewer's role, the CSRF
token) and the same model its JSON twin returns, so the two cannot drift apart."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from harborlight.read.network import evidence_phrase
from harborlight.web import policy

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
# Evidence of control in words, as the CLI's network view words it.
TEMPLATES.env.filters["evidence_phrase"] = evidence_phrase

# The navigation: (label, path, route name); each role sees the entries its rules admit.
NAVIGATION = [
    ("Overview", "/overview", "overview_page"),
    ("Search", "/search", "search_page"),
    ("Networks", "/networks", "networks_page"),
    ("Packets", "/packets", "packets_page"),
    ("Cases", "/cases", "cases_page"),
    ("Outcomes", "/outcomes", "outcomes_page"),
    ("Statistics", "/statistics", "statistics_page"),
    ("Users", "/admin/users", "users_page"),
    ("Agencies", "/admin/agencies", "agencies_page"),
    ("Audit log", "/admin/audit", "audit_page"),
]


def navigation(role: str | None) -> list[tuple[str, str]]:
    if role is None:
        return []
    return [(label, path) for label, path, name in NAVIGATION if policy.allowed(name, role)]


def page(request: Request, template: str, data: BaseModel | dict | None = None, *, context=None,
         status: int = 200, title: str = "", **extra) -> HTMLResponse:
    """`template` rendered with `data` (the JSON twin's model) and the frame for the signed-in user."""
    user = context.user if context is not None else None
    values = {
        "data": data,
        "title": title,
        "user": {"handle": user.handle, "role": user.role} if user is not None else None,
        "csrf_token": context.csrf_token if context is not None else "",
        "navigation": navigation(user.role if user is not None else None),
        **extra,
    }
    return TEMPLATES.TemplateResponse(request, template, values, status_code=status)
