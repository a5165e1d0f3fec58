"""Administration: users, agencies and the audit log. Administrators manage accounts and never see the
warehouse's findings; auditors read the audit log only. Password hashes never leave the store."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from harborlight.read.viewer import ROLES
from harborlight.store import accounts, audit, casework
from harborlight.store.accounts import aware
from harborlight.web.params import MAX_ID, RowId
from harborlight.web.context import Context, signed_in
from harborlight.web.render import page

router = APIRouter()


class UserLine(BaseModel):
    id: int
    handle: str
    role: str
    agency_id: int | None
    agency: str | None
    active: bool
    locked_until: datetime | None


class Users(BaseModel):
    users: list[UserLine]
    roles: list[str]
    agencies: list[str]


class NewUser(BaseModel):
    handle: str = Field(min_length=2, max_length=40)
    role: str
    agency: str | None = Field(default=None, max_length=200, description="the agency's name; an investigator's is required")
    password: str = Field(min_length=accounts.MIN_PASSWORD, max_length=1024)


class RoleChange(BaseModel):
    role: str
    agency: str | None = Field(default=None, max_length=200)


class UserChanged(BaseModel):
    id: int
    handle: str
    role: str


class AgencyLine(BaseModel):
    id: int
    name: str
    created_at: datetime
    users: int


class Agencies(BaseModel):
    agencies: list[AgencyLine]


class NewAgency(BaseModel):
    name: str = Field(min_length=2, max_length=200)


class AuditLine(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    detail: str
    hash_prefix: str


class AuditLog(BaseModel):
    verified: str = Field(description="'chain intact: N entries', or the problems found")
    intact: bool
    entries_checked: int
    problems: list[str]
    entries: list[AuditLine]
    older: int | None = Field(description="pass as ?before= for the next, older page; none when this is the last")


# -- users ---------------------------------------------------------------------------------------
def users(context: Context) -> Users:
    with context.store.session() as session:
        names = casework.agency_names(session)
        return Users(users=[UserLine(id=u.id, handle=u.handle, role=u.role, agency_id=u.agency_id,
                                     agency=names.get(u.agency_id) if u.agency_id else None, active=u.active,
                                     locked_until=aware(u.locked_until))
                            for u in casework.users(session)],
                     roles=list(ROLES), agencies=sorted(names.values()))


def add_user(context: Context, body: NewUser) -> UserChanged:
    with context.store.writing() as session:
        made = accounts.add_user(session, body.handle, body.password, body.role, body.agency or None, by=context.user)
        return UserChanged(id=made.id, handle=made.handle, role=made.role)


def change_role(context: Context, user_id: int, body: RoleChange) -> UserChanged:
    """A new role; the user's sessions end (accounts.change_role), so the new role takes effect at once."""
    with context.store.writing() as session:
        target = casework.user(session, user_id)
        accounts.change_role(session, target, body.role, by=context.user, agency=body.agency or None)
        return UserChanged(id=target.id, handle=target.handle, role=target.role)


def unlock(context: Context, user_id: int) -> UserChanged:
    with context.store.writing() as session:
        target = casework.user(session, user_id)
        accounts.unlock(session, target, by=context.user)
        return UserChanged(id=target.id, handle=target.handle, role=target.role)


@router.get("/api/admin/users", name="api_users", response_model=Users)
def api_users(context: Context = Depends(signed_in)) -> Users:
    """Every account: handle, role, agency, whether active, locked until when. Never a password hash."""
    return users(context)


@router.get("/admin/users", name="users_page", response_class=HTMLResponse, include_in_schema=False)
def users_page(request: Request, context: Context = Depends(signed_in)) -> HTMLResponse:
    return page(request, "users.html", users(context), context=context, title="Users")


@router.post("/api/admin/users", name="api_user_add", response_model=UserChanged, status_code=201)
def api_user_add(body: NewUser, context: Context = Depends(signed_in)) -> UserChanged:
    """Add an account (audited). An investigator's agency is made if it is new."""
    return add_user(context, body)


@router.post("/admin/users", name="user_add", include_in_schema=False)
def user_add(handle: str = Form(""), role: str = Form(""), agency: str = Form(""), password: str = Form(""),
             context: Context = Depends(signed_in)) -> Response:
    # Validated by accounts.add_user (BadRequest naming what is wrong), the same rules as the model's.
    with context.store.writing() as session:
        accounts.add_user(session, handle, password, role, agency or None, by=context.user)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/api/admin/users/{user_id}/role", name="api_user_role", response_model=UserChanged)
def api_user_role(user_id: RowId, body: RoleChange, context: Context = Depends(signed_in)) -> UserChanged:
    """Change a user's role (audited); their sessions end."""
    return change_role(context, user_id, body)


@router.post("/admin/users/{user_id}/role", name="user_role", include_in_schema=False)
def user_role(user_id: RowId, role: str = Form(""), agency: str = Form(""),
              context: Context = Depends(signed_in)) -> Response:
    change_role(context, user_id, RoleChange(role=role, agency=agency or None))
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/api/admin/users/{user_id}/unlock", name="api_user_unlock", response_model=UserChanged)
def api_user_unlock(user_id: RowId, context: Context = Depends(signed_in)) -> UserChanged:
    """Clear a lockout after failed logins (audited)."""
    return unlock(context, user_id)


@router.post("/admin/users/{user_id}/unlock", name="user_unlock", include_in_schema=False)
def user_unlock(user_id: RowId, context: Context = Depends(signed_in)) -> Response:
    unlock(context, user_id)
    return RedirectResponse("/admin/users", status_code=303)


# -- agencies ------------------------------------------------------------------------------------
def agencies(context: Context) -> Agencies:
    with context.store.session() as session:
        members: dict[int, int] = {}
        for u in casework.users(session):
            if u.agency_id is not None:
                members[u.agency_id] = members.get(u.agency_id, 0) + 1
        return Agencies(agencies=[AgencyLine(id=a.id, name=a.name, created_at=aware(a.created_at),
                                             users=members.get(a.id, 0)) for a in casework.agencies(session)])


def add_agency(context: Context, body: NewAgency) -> AgencyLine:
    with context.store.writing() as session:
        made = casework.add_agency(session, body.name, by=context.user)
        return AgencyLine(id=made.id, name=made.name, created_at=aware(made.created_at), users=0)


@router.get("/api/admin/agencies", name="api_agencies", response_model=Agencies)
def api_agencies(context: Context = Depends(signed_in)) -> Agencies:
    """The agencies packets are released to, with how many accounts each has."""
    return agencies(context)


@router.get("/admin/agencies", name="agencies_page", response_class=HTMLResponse, include_in_schema=False)
def agencies_page(request: Request, context: Context = Depends(signed_in)) -> HTMLResponse:
    return page(request, "agencies.html", agencies(context), context=context, title="Agencies")


@router.post("/api/admin/agencies", name="api_agency_add", response_model=AgencyLine, status_code=201)
def api_agency_add(body: NewAgency, context: Context = Depends(signed_in)) -> AgencyLine:
    """Add an agency (audited)."""
    return add_agency(context, body)


@router.post("/admin/agencies", name="agency_add", include_in_schema=False)
def agency_add(name: str = Form(""), context: Context = Depends(signed_in)) -> Response:
    add_agency(context, NewAgency.model_construct(name=name))  # casework.add_agency checks the name
    return RedirectResponse("/admin/agencies", status_code=303)


# -- the audit log -------------------------------------------------------------------------------
def audit_log(context: Context, before: int | None, limit: int) -> AuditLog:
    """A page of the chain, newest first, and the verdict of walking the whole chain."""
    with context.store.session() as session:
        checked, problems = audit.verify(session)
        entries = casework.audit_page(session, before, limit)
    verdict = f"chain intact: {checked} entries" if not problems else \
        f"chain broken: {len(problems)} problem(s): " + "; ".join(str(p) for p in problems)
    older = entries[-1].seq if entries and entries[-1].seq > 1 else None
    return AuditLog(verified=verdict, intact=not problems, entries_checked=checked, problems=[str(p) for p in problems],
                    entries=[AuditLine(seq=e.seq, at=e.at, actor=e.actor, action=e.action, subject=e.subject,
                                       detail=e.detail, hash_prefix=e.hash[:12]) for e in entries],
                    older=older)


@router.get("/api/audit", name="api_audit", response_model=AuditLog)
def api_audit(before: int | None = Query(default=None, ge=1, le=MAX_ID), limit: int = Query(default=50, ge=1, le=casework.AUDIT_PAGE_MAX),
              context: Context = Depends(signed_in)) -> AuditLog:
    """The audit chain newest first (?before=seq&limit=n, n at most 200), and whether it is intact."""
    return audit_log(context, before, limit)


@router.get("/admin/audit", name="audit_page", response_class=HTMLResponse, include_in_schema=False)
def audit_page(request: Request, before: int | None = Query(default=None, ge=1, le=MAX_ID),
               limit: int = Query(default=50, ge=1, le=casework.AUDIT_PAGE_MAX),
               context: Context = Depends(signed_in)) -> HTMLResponse:
    return page(request, "audit.html", audit_log(context, before, limit), context=context, title="Audit log",
                limit=limit)
