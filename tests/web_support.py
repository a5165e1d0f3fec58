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


# -- every route of the app, and real ids to fill their paths (the role x route matrix, the crawl) --
import hashlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402

from starlette.routing import Route  # noqa: E402

ANONYMOUS = "anonymous"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
SUBJECT_HANDLE = "matrix-subject"  # an account the admin routes act on, so the signed-in accounts stay as they are


@dataclass(frozen=True)
class AppRoute:
    name: str
    path: str
    methods: frozenset[str]
    dependant: object | None  # FastAPI's parameters of the route; None for Starlette's own (openapi.json)


def app_routes(app) -> list[AppRoute]:
    """The app's routes, FastAPI's and Starlette's (openapi.json) alike; the /static mount is not a Route.

    FastAPI keeps included routers as routers (app.routes holds them, not their routes), so the routes
    are listed through fastapi.routing.iter_route_contexts, which openapi.json is built from as well."""
    from fastapi.routing import iter_route_contexts

    found = []
    for context in iter_route_contexts(app.routes):
        original = context.original_route
        if isinstance(original, Route):
            found.append(AppRoute(context.name, context.path, frozenset(context.methods or ()),
                                  getattr(original, "dependant", None)))
    return found


def released_world(workspace: Workspace) -> dict[str, str]:
    """Real ids to fill route paths with, after releasing the strongest network that has a ranked controller
    to AGENCY (a PacketRelease row written straight into the store, as the release route would write it).

    Keys: network, person (a ranked controller of it), business (a member), premises (of a member),
    release, user (SUBJECT_HANDLE, made here), agency (AGENCY's id)."""
    from sqlalchemy import select

    from harborlight.read import Viewer, controller, packet
    from harborlight.stages.runs import latest_run_id
    from harborlight.store.models import Agency, PacketRelease, User

    warehouse = workspace.warehouse()
    try:
        ranked = warehouse.rows(
            "SELECT np.network_id, np.person_id FROM network_persons np JOIN networks n USING (network_id) "
            "WHERE NOT np.protected ORDER BY n.risk_score DESC NULLS LAST, np.controller_score DESC")
        viewer, protection = Viewer("analyst"), workspace.protection()
        network_id = person_id = None
        for candidate, person in ranked:  # the first whose controller the read layer shows
            try:
                controller(warehouse, candidate, person, viewer, protection)
            except Exception:  # noqa: BLE001 - a controller protection now hides is no use here
                continue
            network_id, person_id = candidate, person
            break
        assert network_id is not None, "the world has no network with a readable ranked controller"
        business_id, premises_id = warehouse.rows(
            "SELECT m.business_id, bp.premises_id FROM network_members m "
            "JOIN business_premises bp ON bp.entity_id = m.business_id WHERE m.network_id = ? "
            "ORDER BY m.business_id, bp.premises_id LIMIT 1", [network_id])[0]
        released = packet(warehouse, network_id, viewer, protection)
        as_json = json.dumps(asdict(released), indent=2, default=str)
        run = latest_run_id(warehouse, "networks")
    finally:
        warehouse.close()
    with workspace.store.writing() as session:
        agency = session.execute(select(Agency).where(Agency.name == AGENCY)).scalar_one()
        analyst = session.execute(select(User).where(User.handle == "analyst")).scalar_one()
        subject = add_user(session, SUBJECT_HANDLE, PASSWORD, "advocate", None, by_actor="test")
        release = PacketRelease(network_id=network_id, agency_id=agency.id, released_by=analyst.id, note="",
                                networks_run=str(run), packet_json=as_json,
                                packet_digest=hashlib.sha256(as_json.encode()).hexdigest())
        session.add(release)
        session.flush()
        ids = {"network": network_id, "person": person_id, "business": business_id, "premises": premises_id,
               "release": str(release.id), "user": str(subject.id), "agency": str(agency.id)}
    return ids


# What a path or query parameter names, by the words in its name (or, for a bare {id}, in the path segment
# before it): the first word found wins, so "network_id" in /networks/{network_id}/controllers/{person_id}
# is the network and "person_id" the controller.
PARAM_WORDS = [("person", "person"), ("controller", "person"), ("network", "network"), ("business", "business"),
               ("premises", "premises"), ("release", "release"), ("packet", "release"), ("user", "user"),
               ("agency", "agency"), ("agencies", "agency"),
               ("case", "case"), ("link", "link"), ("consent", "consent"), ("exception", "exception")]


def id_for(name: str, before: str, ids: dict[str, str]) -> str | None:
    for word, kind in PARAM_WORDS:
        if word in name.lower():
            return ids.get(kind)  # None when this world made no such row: the caller says which
    if name.lower() in ("id", "key"):
        for word, kind in PARAM_WORDS:
            if word in before.lower():
                return ids.get(kind)  # None when this world made no such row: the caller says which
    return None


def filled_path(route: AppRoute, ids: dict[str, str]) -> str:
    """The route's path with each {param} replaced by a real id; AssertionError naming a param it cannot fill."""
    path = route.path
    for match in list(re.finditer(r"\{([^}:]+)(?::[^}]*)?\}", path)):
        before = path[:match.start()].rstrip("/").rsplit("/", 1)[-1]
        value = id_for(match.group(1), before, ids)
        assert value is not None, f"route {route.name}: no real id known for path parameter {match.group(1)!r}"
        path = path.replace(match.group(0), value, 1)
    return path


def required_query(route: AppRoute, ids: dict[str, str]) -> dict[str, str]:
    """Values for the route's required query parameters (GET /packets/new?network=...); a search gets 'spa'."""
    def fields(dependant):  # the route's own query parameters and those of its dependencies
        yield from dependant.query_params
        for sub in dependant.dependencies:
            yield from fields(sub)

    if route.dependant is None:
        return {}
    query = {}
    for field in fields(route.dependant):
        if not field.field_info.is_required():
            continue
        name = field.alias or field.name
        query[name] = id_for(name, "", ids) or "spa"
    return query


def filled_url(route: AppRoute, ids: dict[str, str]) -> str:
    from urllib.parse import urlencode

    query = required_query(route, ids)
    return filled_path(route, ids) + (f"?{urlencode(query)}" if query else "")


# -- hotline cases: a business of the world to mention, a provider to refer to, a case to fill paths with --
SURVIVOR_NAME = "Mei-Lin Testcaller"  # a name no record of the world holds, so a leak of it is a leak
SURVIVOR_PHONE = "(415) 555-0142"
SURVIVOR_CALLBACK = "text after 9pm only"


@dataclass(frozen=True)
class HotlineTarget:
    """A resolved business a caller can mention by its phone, and a provider of the world to refer to."""

    business_id: str
    business_phone: str  # E.164, as the warehouse normalizes it
    provider_key: str  # source|record_id
    provider_name: str


def hotline_target(workspace: Workspace) -> HotlineTarget:
    """The first business (by id) whose records give a phone, and the first provider (by name)."""
    warehouse = workspace.warehouse()
    try:
        business_id, phone = warehouse.rows(
            "SELECT bm.entity_id, min(bm.phone) FROM business_mentions bm JOIN entities e ON e.entity_id = bm.entity_id "
            "WHERE e.kind = 'business' AND bm.phone IS NOT NULL GROUP BY bm.entity_id ORDER BY bm.entity_id LIMIT 1")[0]
        source, record_id, name = warehouse.rows(
            "SELECT source, record_id, name FROM providers ORDER BY name, source, record_id LIMIT 1")[0]
    finally:
        warehouse.close()
    return HotlineTarget(business_id, phone, f"{source}|{record_id}", name)


def case_world(workspace: Workspace) -> dict[str, str]:
    """Real ids for the case routes, made through the case core as an advocate would: a named contact
    mentioning a business by its phone, its link still proposed, a consent, and an exception asked for by
    SUBJECT_HANDLE (made by released_world) so that the advocate and the administrator may approve it.

    Keys: case (its reference), link, consent, exception."""
    from datetime import timedelta

    from sqlalchemy import select

    from harborlight.cases.consent import Recipient, record_consent
    from harborlight.cases.exceptions import request_exception
    from harborlight.cases.intake import ContactForm, record_contact
    from harborlight.store.accounts import utcnow
    from harborlight.store.models import CaseMention, HotlineCase, User

    target = hotline_target(workspace)
    with workspace.store.writing() as session:
        advocate = session.execute(select(User).where(User.handle == "advocate")).scalar_one()
        subject = session.execute(select(User).where(User.handle == SUBJECT_HANDLE)).scalar_one()
        contact = record_contact(session, workspace.keyring(), ContactForm(
            channel="call", anonymous=False, caller_name=SURVIVOR_NAME, phones=(target.business_phone,)),
            by=advocate, lookup=lambda kind, key: {target.business_id} if key == target.business_phone else set())
        case = session.get(HotlineCase, contact.case_id)
        link = session.execute(select(CaseMention.id).where(CaseMention.contact_id == contact.id)).scalars().first()
        consent = record_consent(session, case, recipient=Recipient(target.provider_name, "service_provider"),
                                 fields=["callback"], purpose="shelter intake", expires_at=utcnow() + timedelta(days=30),
                                 by=advocate)
        grant = request_exception(session, case, reason_code="imminent_danger",
                                  recipient=Recipient("County EMS", "other"), fields=["location"], hours=4, by=subject)
        return {"case": case.ref, "link": str(link), "consent": str(consent.id), "exception": str(grant.id)}
