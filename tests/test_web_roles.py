"""The role x route matrix: every route of the app, as every account and as nobody, gets exactly the answer
the rules of section 6 give.

The expectation is written here a second time, on purpose, independent of policy.RULES: a change to
the policy table must be made in both places, so no route's audience changes by accident. Routes are
enumerated from the app itself, so a new route is covered the moment it is registered (and fails
until it is given an expectation here and a rule in policy.py).
"""

from __future__ import annotations

import pytest
from web_support import (
    ACCOUNTS, ANONYMOUS, PASSWORD, SAFE, app_routes, case_world, client_for, filled_url, open_workspace,
    released_world,
)

from harborlight.web import policy
from harborlight.web.app import create_app

PUBLIC = "public"
ALL = {"admin", "analyst", "investigator", "advocate", "auditor"}
ANALYST = {"analyst"}
CASEWORK = {"analyst", "investigator"}
LEDGER = {"analyst", "investigator", "advocate"}
ADMIN = {"admin"}
AUDIT = {"admin", "auditor"}
ADVOCATE = {"advocate"}
APPROVERS = {"advocate", "admin"}

# route name -> the roles that may open it, or PUBLIC (anyone, signed in or not).
EXPECTED: dict[str, set[str] | str] = {
    "login_page": PUBLIC, "login": PUBLIC, "api_login": PUBLIC, "openapi": PUBLIC,
    "logout": ALL, "api_logout": ALL, "home": ALL, "api_me": ALL,
    "overview_page": ANALYST, "api_overview": ANALYST,
    "search_page": ANALYST, "api_search": ANALYST,
    "business_page": ANALYST, "api_business": ANALYST,
    "premises_page": ANALYST, "api_premises": ANALYST,
    "networks_page": ANALYST, "api_networks": ANALYST,
    "network_page": CASEWORK, "api_network": CASEWORK, "api_network_graph": CASEWORK,
    "controller_page": CASEWORK, "api_controller": CASEWORK,
    "note_add": ANALYST, "api_note_add": ANALYST,
    "packets_page": CASEWORK, "api_packets": CASEWORK,
    "packet_review_page": ANALYST, "api_packet_review": ANALYST,
    "packet_release": ANALYST, "api_packet_release": ANALYST,
    "packet_page": CASEWORK, "api_packet": CASEWORK, "packet_download": CASEWORK,
    "outcomes_page": LEDGER, "api_outcomes": LEDGER,
    "outcome_add": CASEWORK, "api_outcome_add": CASEWORK,
    "users_page": ADMIN, "api_users": ADMIN, "user_add": ADMIN, "api_user_add": ADMIN,
    "user_role": ADMIN, "api_user_role": ADMIN, "user_unlock": ADMIN, "api_user_unlock": ADMIN,
    "agencies_page": ADMIN, "api_agencies": ADMIN, "agency_add": ADMIN, "api_agency_add": ADMIN,
    "audit_page": AUDIT, "api_audit": AUDIT,
    "statistics_page": {"analyst", "advocate", "admin"}, "api_statistics": {"analyst", "advocate", "admin"},
    "cases_page": ADVOCATE, "api_cases": ADVOCATE,
    "case_new_page": ADVOCATE, "api_case_form": ADVOCATE, "case_add": ADVOCATE, "api_case_add": ADVOCATE,
    "case_page": ADVOCATE, "api_case": ADVOCATE,
    "link_decide": ADVOCATE, "api_link_decide": ADVOCATE,
    "service_add": ADVOCATE, "api_service_add": ADVOCATE,
    "consent_add": ADVOCATE, "api_consent_add": ADVOCATE,
    "consent_revoke": ADVOCATE, "api_consent_revoke": ADVOCATE,
    "referral_add": ADVOCATE, "api_referral_add": ADVOCATE,
    "exception_request": ADVOCATE, "api_exception_request": ADVOCATE,
    "exception_approve": APPROVERS, "api_exception_approve": APPROVERS,
    "case_merge": ADVOCATE, "api_case_merge": ADVOCATE,
}

# Routes of one network or one release: an investigator opens them only for what was released to their
# agency, so "investigator-other" (Harbor City Police) is refused the network released to Bay County.
SCOPED = {"network_page", "api_network", "api_network_graph", "controller_page", "api_controller",
          "packet_page", "api_packet", "packet_download"}

# Routes that start or end the session: each is tried on a client of its own, so the shared ones stay signed in.
SESSION_ROUTES = {"login", "api_login", "logout", "api_logout"}
HANDLES = [*ACCOUNTS, ANONYMOUS]


@pytest.fixture(scope="module")
def released_workspace(networked_world, tmp_path_factory):
    """One workspace for the module over `networked_world`, its strongest controlled network released to
    Bay County Task Force, and a hotline case with a proposed link, a consent and an exception waiting for
    approval; yields (workspace, ids)."""
    workspace = open_workspace(networked_world, f"sqlite:///{tmp_path_factory.mktemp('roles') / 'store.sqlite'}")
    ids = released_world(workspace)
    ids |= case_world(workspace)
    yield workspace, ids
    workspace.close()


@pytest.fixture(scope="module")
def signed_in_clients(released_workspace):
    """A signed-in client per account, and an anonymous one, shared by the module."""
    workspace, _ = released_workspace
    return {handle: client_for(workspace, None if handle == ANONYMOUS else handle) for handle in HANDLES}


@pytest.fixture(scope="module")
def routes(released_workspace):
    workspace, _ = released_workspace
    return app_routes(create_app(workspace=workspace))


def expected_answer(name: str, handle: str) -> str:
    """'open', 'refused' (403), or for nobody 'sign in' (401 for the API, a redirect to /login for a page)."""
    audience = EXPECTED[name]
    if audience == PUBLIC:
        return "open"
    if handle == ANONYMOUS:
        return "sign in"
    role, agency = ACCOUNTS[handle]
    if role not in audience:
        return "refused"
    if handle == "investigator-other" and name in SCOPED:
        return "refused"
    return "open"


def session_request(workspace, handle: str, name: str, method: str, url: str):
    """A sign-in or sign-out route, tried on a fresh client: signing in uses real credentials (the analyst's
    for nobody), so success is what proves it is open."""
    client = client_for(workspace, None if handle == ANONYMOUS or name in {"login", "api_login"} else handle)
    account = "analyst" if handle == ANONYMOUS else handle
    if name == "login":
        client.get("/login")
        form = {"handle": account, "password": PASSWORD, "csrf_token": client.cookies.get("hl_login_csrf")}
        return client.request(method, url, data=form)
    if name == "api_login":
        return client.request(method, url, json={"handle": account, "password": PASSWORD})
    return client.request(method, url)


def problem(name: str, method: str, url: str, handle: str, answer: str, response) -> str | None:
    """What is wrong with `response` to `handle`'s request, or None."""
    status, location = response.status_code, response.headers.get("location", "")
    if status >= 500:
        return f"{method} {url} as {handle}: server error {status}"
    if answer == "open":
        # signing out sends the browser to /login; any other route doing so is asking to sign in
        if status in (401, 403) or (location.endswith("/login") and name != "logout"):
            return f"{method} {url} as {handle}: expected open, got {status} {location}"
        if method in SAFE and status >= 400:
            return f"{method} {url} as {handle}: expected open, got {status} (are the filled ids right?)"
        return None
    if answer == "refused":
        return None if status == 403 else f"{method} {url} as {handle}: expected 403, got {status}"
    if url.startswith("/api/"):
        return None if status == 401 else f"{method} {url} as nobody: expected 401, got {status}"
    if status == 303 and location.endswith("/login"):
        return None
    return f"{method} {url} as nobody: expected a 303 to /login, got {status} {location}"


def test_every_route_of_the_app_has_an_expectation_and_a_rule(routes):
    names = {route.name for route in routes}
    assert {"home", "login_page", "api_login", "logout", "openapi"} <= names, "the route listing missed routes"
    assert names - EXPECTED.keys() == set(), "routes with no expectation in this test's EXPECTED table"
    assert names - policy.RULES.keys() == set(), "routes with no rule in policy.RULES (refused to everyone)"


def test_expectation_and_policy_agree_on_every_route_of_the_app(routes):
    for route in routes:
        rule = policy.RULES[route.name]
        written = {PUBLIC} if EXPECTED[route.name] == PUBLIC else EXPECTED[route.name]
        assert set(rule) == written, f"{route.name}: policy.RULES says {sorted(rule)}, this test {sorted(written)}"


def test_rules_name_no_route_beyond_those_this_test_expects():
    # Before the findings and casework routes are merged the app lacks some of these names: that is allowed.
    # A rule with no expectation here, though, is a route someone forgot to write down twice.
    assert policy.RULES.keys() - EXPECTED.keys() == set()


@pytest.mark.parametrize("handle", HANDLES)
def test_each_account_gets_exactly_the_routes_its_role_allows(handle, routes, released_workspace, signed_in_clients):
    workspace, ids = released_workspace
    client = signed_in_clients[handle]
    problems = []
    for route in routes:
        answer = expected_answer(route.name, handle)
        url = filled_url(route, ids)
        for method in sorted(route.methods):
            if route.name in SESSION_ROUTES:
                response = session_request(workspace, handle, route.name, method, url)
            else:
                response = client.request(method, url)
            found = problem(route.name, method, url, handle, answer, response)
            if found:
                problems.append(found)
    assert problems == []
    if handle != ANONYMOUS:  # the shared client is still signed in as itself
        assert client.get("/api/me").json()["handle"] == handle


def test_investigator_of_other_agency_gets_403_on_the_released_network(routes, signed_in_clients, released_workspace):
    _, ids = released_workspace
    scoped = [route for route in routes if route.name in SCOPED]
    for route in scoped:
        url = filled_url(route, ids)
        assert signed_in_clients["investigator"].get(url).status_code == 200, url
        assert signed_in_clients["investigator-other"].get(url).status_code == 403, url
    # Whichever scoped routes exist must be tried; before the casework merge there are none.
    assert {route.name for route in scoped} == SCOPED & {route.name for route in routes}


def without_token(workspace, handle: str):
    """A client signed in as `handle` that sends no X-CSRF-Token header."""
    client = client_for(workspace, handle)
    del client.headers["X-CSRF-Token"]
    return client


def test_a_state_changing_request_without_the_csrf_token_is_refused(routes, released_workspace, signed_in_clients):
    workspace, ids = released_workspace
    changing = [(route, method) for route in routes for method in sorted(route.methods - SAFE)
                if EXPECTED[route.name] != PUBLIC]
    assert changing, "the app has no state-changing route to try"  # logout is always there
    tokenless: dict[str, object] = {}  # a signed-in client per account that sends no X-CSRF-Token header
    problems = []
    for route, method in changing:
        handle = next(h for h in ("analyst", "admin", "investigator", "advocate", "auditor")
                      if expected_answer(route.name, h) == "open")
        if route.name in SESSION_ROUTES:
            client = without_token(workspace, handle)
        else:
            if handle not in tokenless:
                tokenless[handle] = without_token(workspace, handle)
            client = tokenless[handle]
        url = filled_url(route, ids)
        bare = client.request(method, url)
        forged = client.request(method, url, data={"csrf_token": "forged"})
        for response in (bare, forged):
            if response.status_code != 403 or "CSRF" not in response.text:
                problems.append(f"{method} {url} as {handle} without its CSRF token: {response.status_code}")
        assert client.get("/api/me").status_code == 200, f"{method} {url} ended the session without its token"
    assert problems == []


def test_the_login_form_without_its_token_is_refused(released_workspace):
    workspace, _ = released_workspace
    client = client_for(workspace)
    response = client.post("/login", data={"handle": "analyst", "password": PASSWORD})
    assert response.status_code == 403
    assert "hl_session" not in response.cookies
