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
               ("agency", "agency"), ("agencies", "agency")]


def id_for(name: str, before: str, ids: dict[str, str]) -> str | None:
    for word, kind in PARAM_WORDS:
        if word in name.lower():
            return ids[kind]
    if name.lower() in ("id", "key"):
        for word, kind in PARAM_WORDS:
            if word in before.lower():
                return ids[kind]
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
