"""A hostile probe of the workspace (issue 12): what an attacker or a careless user would try, each test
named for the behaviour that should hold. Over the networked world (scale 1, seed 11), a real SQLite store,
and for the logs a real `harborlight serve` in a subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import AGENCY, OTHER_AGENCY, PASSWORD, client_for

from harborlight.config import Settings
from harborlight.store.accounts import token_hash, utcnow
from harborlight.store.models import Agency, AuditEntry, User, WebSession
from harborlight.web.app import create_app
from harborlight.web.workspace import Workspace

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "harborlight" / "web" / "templates"
MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>"


# -- fixtures and helpers ------------------------------------------------------------------------
@pytest.fixture
def ws(workspace):
    """One open workspace over the networked world with the test accounts."""
    return workspace()


@pytest.fixture
def analyst(ws):
    return client_for(ws, "analyst")


@pytest.fixture
def two_releases(ws, analyst):
    """Network A released to the investigator's agency, network B to the other agency:
    (A, B, release id of A, release id of B)."""
    networks = [line["network_id"] for line in analyst.get("/api/networks").json()["networks"]]
    a, b = networks[0], networks[1]
    made = []
    for network, agency in ((a, AGENCY), (b, OTHER_AGENCY)):
        response = analyst.post("/api/packets", json={"network_id": network, "agency_id": agency_id(ws, agency),
                                                      "note": "probe"})
        assert response.status_code == 201, response.text
        made.append(response.json()["release_id"])
    return a, b, made[0], made[1]


def agency_id(ws, name: str) -> int:
    with ws.store.session() as session:
        return session.execute(select(Agency.id).where(Agency.name == name)).scalar_one()


def anonymous(ws) -> TestClient:
    return TestClient(create_app(workspace=ws), follow_redirects=False)


def a_protected_name(protected_identities) -> str:
    """A protected person's recorded name of two words or more (a name, not a license number)."""
    return sorted(v for v in protected_identities["values"] if " " in v and "," not in v)[0]


def a_protected_license(protected_identities) -> str:
    return sorted(v for v in protected_identities["values"] if re.fullmatch(r"[A-Z]{2}\d+", v))[0]


def session_row(ws, client) -> int:
    with ws.store.session() as session:
        return session.execute(select(WebSession.id).where(
            WebSession.token_hash == token_hash(client.cookies.get("hl_session")))).scalar_one()


def audit_entries(ws) -> list[AuditEntry]:
    with ws.store.session() as session:
        return list(session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())


def login_form_token(client: TestClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)


# == real problems (these fail until fixed) ======================================================
def test_not_found_answers_never_echo_a_protected_name_given_as_an_id(analyst, protected_identities):
    """An id that is a protected person's name (pasted by mistake, or probed) comes back in the 404's
    message: 'no business ACHARA ...'. The charter: no page or API response carries a protected name."""
    name = a_protected_name(protected_identities)
    for path in (f"/api/businesses/{name}", f"/businesses/{name}", f"/api/networks/{name}", f"/networks/{name}",
                 f"/api/premises/{name}", f"/api/packets/new?network={name}", f"/packets/new?network={name}"):
        response = analyst.get(path)
        assert response.status_code == 404, path
        assert name.lower() not in response.text.lower(), f"{path} echoes the protected name"


def test_a_note_added_through_the_api_comes_back_redacted(ws, analyst, protected_identities):
    """The note is shown redacted on the pages, but POST /api/.../notes answers with the raw text."""
    name, license_number = a_protected_name(protected_identities), a_protected_license(protected_identities)
    network = analyst.get("/api/networks").json()["networks"][0]["network_id"]
    response = analyst.post(f"/api/networks/{network}/notes", json={"text": f"met {name}, license {license_number}"})
    assert response.status_code == 201
    assert name not in response.text and license_number not in response.text


def test_a_locked_account_answers_as_an_unknown_handle_does(ws):
    """Unknown handles never lock, known ones answer 423 'locked' after five failures: five guesses tell an
    attacker which handles exist. (The locked path also skips argon2, so it answers faster as well.)"""
    client = anonymous(ws)
    answers = {}
    for handle in ("advocate", "nobody-at-all"):
        for _ in range(5):
            client.post("/api/session", json={"handle": handle, "password": "wrong password"})
        last = client.post("/api/session", json={"handle": handle, "password": "wrong password"})
        answers[handle] = (last.status_code, last.json()["detail"])
    assert answers["advocate"] == answers["nobody-at-all"]


def test_outcome_entry_does_not_tell_an_investigator_which_network_ids_exist(ws, two_releases):
    """Naming an unreleased network answers 403, naming one that does not exist 400 'no such network':
    an investigator can test ids against the warehouse outside their scope."""
    _, unreleased, _, _ = two_releases
    investigator = client_for(ws, "investigator")
    body = {"operation": "probe", "date": "2024-01-01", "controller_arrests": 1}
    existing = investigator.post("/api/outcomes", json=body | {"network_id": unreleased})
    missing = investigator.post("/api/outcomes", json=body | {"network_id": "net-0000000000000000"})
    assert existing.status_code == 403
    assert (missing.status_code, missing.json()["detail"]) == (existing.status_code, existing.json()["detail"])


# == what holds (coverage the other tests lack) ==================================================
def test_investigator_reaches_no_unreleased_network_by_any_spelling_of_its_path(ws, two_releases):
    released, unreleased, _, other_release = two_releases
    investigator = client_for(ws, "investigator")
    controller = client_for(ws, "analyst").get(f"/api/networks/{unreleased}").json()["controllers"]
    person = controller[0]["person_id"] if controller else "per-0"
    paths = [f"/networks/{unreleased}", f"/api/networks/{unreleased}", f"/api/networks/{unreleased}/graph",
             f"/networks/{unreleased}/controllers/{person}", f"/api/networks/{unreleased}/controllers/{person}",
             f"/packets/{other_release}", f"/api/packets/{other_release}", f"/packets/{other_release}/download",
             f"/networks/{unreleased.upper()}", f"/networks/%20{unreleased}", f"/api/networks/{unreleased}%00",
             f"/networks/{released}/../{unreleased}", f"/networks/{released}%2F..%2F{unreleased}",
             # a controller of the unreleased network, asked for under the released one
             f"/api/networks/{released}/controllers/{person}", f"/networks/{released}/controllers/{person}"]
    for path in paths:
        for method in ("GET", "HEAD"):
            response = investigator.request(method, path)
            assert response.status_code in (403, 404, 405), f"{method} {path}: {response.status_code}"
    for path in (f"/networks/{unreleased}/", f"/packets/{other_release}/download/"):
        redirected = investigator.get(path)
        assert redirected.status_code == 307
        assert investigator.get(redirected.headers["location"]).status_code == 403


def test_investigator_notes_and_packet_review_are_refused(ws, two_releases):
    released, unreleased, _, _ = two_releases
    investigator = client_for(ws, "investigator")
    for network in (released, unreleased):
        assert investigator.post(f"/api/networks/{network}/notes", json={"text": "x"}).status_code == 403
        assert investigator.get(f"/api/packets/new?network={network}").status_code == 403


def test_a_cookie_set_before_login_is_not_the_session_login_issues(ws):
    client = anonymous(ws)
    client.cookies.set("hl_session", "chosen-by-an-attacker", domain="testserver.local")
    token = login_form_token(client)
    response = client.post("/login", data={"handle": "analyst", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    issued = re.search(r"hl_session=([^;]+)", response.headers["set-cookie"]).group(1)
    assert issued != "chosen-by-an-attacker"
    fixed = anonymous(ws)
    fixed.cookies.set("hl_session", "chosen-by-an-attacker")
    assert fixed.get("/api/me").status_code == 401


def test_login_form_refuses_a_token_that_does_not_match_its_cookie(ws):
    """Login CSRF: a cross-site form can send a token, but not the victim's hl_login_csrf cookie's value."""
    client = anonymous(ws)
    login_form_token(client)
    response = client.post("/login", data={"handle": "analyst", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403 and "hl_session" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_json_login_is_refused_in_a_content_type_a_cross_site_form_can_send(ws, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = anonymous(ws).post("/api/session", content=json.dumps({"handle": "analyst", "password": PASSWORD}),
                                  headers=headers)
    assert response.status_code == 422 and "set-cookie" not in response.headers


def test_a_signed_out_session_cookie_is_refused_afterwards(ws):
    analyst = client_for(ws, "analyst")
    cookie = analyst.cookies.get("hl_session")
    assert analyst.post("/logout").status_code == 303
    replay = anonymous(ws)
    replay.cookies.set("hl_session", cookie)
    assert replay.get("/api/me").status_code == 401


@pytest.mark.parametrize("column", ["last_seen_at", "expires_at"])
def test_an_idle_or_expired_session_is_refused(ws, column):
    analyst = client_for(ws, "analyst")
    row_id = session_row(ws, analyst)
    with ws.store.writing() as session:
        row = session.get(WebSession, row_id)
        if column == "last_seen_at":
            row.last_seen_at = utcnow() - timedelta(minutes=ws.settings.session_idle_minutes, seconds=1)
        else:
            row.expires_at = utcnow() - timedelta(seconds=1)
    assert analyst.get("/api/me").status_code == 401
    assert analyst.get("/networks").status_code == 303


def test_another_users_csrf_token_is_refused(ws):
    analyst, investigator = client_for(ws, "analyst"), client_for(ws, "investigator")
    analyst.headers["X-CSRF-Token"] = investigator.headers["X-CSRF-Token"]
    response = analyst.post("/api/outcomes", json={"operation": "x", "date": "2024-01-01", "controller_arrests": 1})
    assert response.status_code == 403


def test_a_text_plain_post_without_the_csrf_header_is_refused(ws):
    analyst = client_for(ws, "analyst")
    del analyst.headers["X-CSRF-Token"]
    response = analyst.post("/api/outcomes", content=json.dumps({"operation": "x", "date": "2024-01-01",
                                                                "controller_arrests": 1}),
                            headers={"content-type": "text/plain"})
    assert response.status_code == 403


def test_logout_by_get_changes_nothing(ws):
    analyst = client_for(ws, "analyst")
    assert analyst.get("/logout").status_code == 405
    assert analyst.get("/api/me").status_code == 200


def test_markup_in_stored_text_is_escaped_on_every_page(ws, analyst):
    """Agency names, notes, operation names, release notes and the search query, all with markup."""
    admin = client_for(ws, "admin")
    assert admin.post("/api/admin/agencies", json={"name": f"Agency {MARKUP}"}).status_code == 201
    network = analyst.get("/api/networks").json()["networks"][0]["network_id"]
    business = analyst.get(f"/api/networks/{network}").json()["members"][0]["business_id"]
    assert analyst.post(f"/api/networks/{network}/notes", json={"text": MARKUP}).status_code == 201
    assert analyst.post(f"/api/businesses/{business}/notes", json={"text": MARKUP}).status_code == 201
    assert analyst.post("/api/outcomes", json={"operation": f"Op {MARKUP}", "date": "2024-01-01",
                                               "controller_arrests": 1}).status_code == 201
    release = analyst.post("/api/packets", json={"network_id": network, "note": MARKUP,
                                                 "agency_id": agency_id(ws, f"Agency {MARKUP}")})
    assert release.status_code == 201
    release_id = release.json()["release_id"]
    pages = [(admin, "/admin/agencies"), (admin, "/admin/users"), (admin, "/admin/audit"),
             (analyst, f"/networks/{network}"), (analyst, f"/businesses/{business}"), (analyst, "/outcomes"),
             (analyst, "/packets"), (analyst, f"/packets/{release_id}"), (analyst, f"/packets/new?network={network}"),
             (analyst, f"/packets/{release_id}/download"), (analyst, f"/search?q={MARKUP}")]
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "<script>alert" not in response.text and "<img src=x" not in response.text, path


def test_the_login_page_escapes_the_handle_it_shows_back(ws):
    client = anonymous(ws)
    response = client.post("/login", data={"handle": MARKUP, "password": "x", "csrf_token": login_form_token(client)})
    assert response.status_code == 401
    assert "<script>alert" not in response.text


def test_templates_hold_no_inline_script_style_or_handlers():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"\sstyle\s*=|<style", text, re.I), template.name
        assert not re.search(r"\son[a-z]+\s*=", text, re.I), template.name
        assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text, template.name


def test_sql_metacharacters_in_text_parameters_are_only_data(analyst):
    for q in ("' OR 1=1 --", "%", "_", "x'); DROP TABLE entities; --"):
        response = analyst.get("/api/search", params={"q": q})
        assert response.status_code == 200
    assert analyst.get("/api/search", params={"q": "%"}).json()["businesses"] == []
    assert analyst.get("/api/businesses/x' OR '1'='1").status_code == 404
    assert analyst.get("/api/networks/x' OR '1'='1").status_code == 404
    assert analyst.get("/api/search", params={"q": "spa"}).status_code == 200  # the tables are still there


def test_security_headers_on_errors_redirects_static_and_openapi(ws):
    client = anonymous(ws)
    for path, status in (("/login", 200), ("/", 303), ("/networks", 303), ("/api/networks", 401), ("/nope", 404),
                         ("/api/nope", 404), ("/openapi.json", 200), ("/static/app.css", 200),
                         ("/static/../app.py", 404)):
        response = client.get(path)
        assert response.status_code == status, path
        headers = response.headers
        assert "script-src 'self'" in headers["content-security-policy"] and "unsafe-inline" not in \
            headers["content-security-policy"], path
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff", path
        if not path.startswith("/static/"):
            assert headers["cache-control"] == "no-store", path


def test_cookies_are_httponly_strict_and_secure_when_configured(networked_world, tmp_path):
    from web_support import open_workspace

    plain = open_workspace(networked_world, f"sqlite:///{tmp_path / 'plain.sqlite'}")
    secure_settings = Settings(data_dir=networked_world, database_url=f"sqlite:///{tmp_path / 'secure.sqlite'}",
                               cookie_secure=True)
    secure = Workspace(secure_settings)
    try:
        from harborlight.store.accounts import add_user
        with secure.store.writing() as session:
            add_user(session, "analyst", PASSWORD, "analyst", by_actor="test")
        for ws, expect_secure in ((plain, False), (secure, True)):
            client = anonymous(ws)
            cookies = [client.get("/login").headers["set-cookie"],
                       client.post("/api/session", json={"handle": "analyst", "password": PASSWORD}).headers["set-cookie"]]
            for cookie in cookies:
                lowered = cookie.lower()
                assert "httponly" in lowered and "samesite=strict" in lowered
                assert ("; secure" in lowered) is expect_secure
    finally:
        plain.close()
        secure.close()


def test_the_sign_in_throttle_answers_429_from_one_address(ws):
    client = anonymous(ws)
    statuses = [client.post("/api/session", json={"handle": f"guess-{i}", "password": "wrong"}).status_code
                for i in range(21)]
    assert statuses[:20] == [401] * 20 and statuses[20] == 429
    form = client.post("/login", data={"handle": "analyst", "password": PASSWORD,
                                       "csrf_token": login_form_token(client)})
    assert form.status_code == 429


def test_a_session_open_before_the_lockout_keeps_working(ws):
    """Reported, acceptable: locking an account refuses new sign-ins, not the sessions already open."""
    advocate = client_for(ws, "advocate")
    stranger = anonymous(ws)
    for _ in range(5):
        stranger.post("/api/session", json={"handle": "advocate", "password": "wrong password"})
    assert stranger.post("/api/session", json={"handle": "advocate", "password": PASSWORD}).status_code == 423
    assert advocate.get("/api/outcomes").status_code == 200


def test_every_sensitive_action_is_audited_without_personal_data(ws, protected_identities):
    name = a_protected_name(protected_identities)
    analyst = client_for(ws, "analyst")
    network = analyst.get("/api/networks").json()["networks"][0]["network_id"]
    analyst.get("/api/search", params={"q": name})
    analyst.get("/api/search", params={"q": "secret query words"})
    assert analyst.post(f"/api/networks/{network}/notes", json={"text": f"note about {name}"}).status_code == 201
    released = analyst.post("/api/packets", json={"network_id": network, "agency_id": agency_id(ws, AGENCY)})
    release_id = released.json()["release_id"]
    investigator = client_for(ws, "investigator")
    assert investigator.get(f"/api/networks/{network}").status_code == 200
    assert investigator.get(f"/api/packets/{release_id}").status_code == 200
    assert investigator.get(f"/packets/{release_id}/download").status_code == 200
    anonymous(ws).post("/api/session", json={"handle": "advocate", "password": "wrong password"})
    anonymous(ws).post("/api/session", json={"handle": "nobody-of-that-name", "password": "wrong password"})
    admin = client_for(ws, "admin")
    with ws.store.session() as session:
        auditor_id = session.execute(select(User.id).where(User.handle == "auditor")).scalar_one()
    assert admin.post(f"/api/admin/users/{auditor_id}/role", json={"role": "advocate"}).status_code == 200
    entries = audit_entries(ws)
    actions = {e.action for e in entries}
    assert {"login", "login_failed", "note_add", "packet_release", "network_read", "packet_read", "export",
            "role_change"} <= actions
    text = " ".join(f"{e.actor} {e.subject} {e.detail}" for e in entries).lower()
    for personal in (name.lower(), "secret query", "note about", "nobody-of-that-name", "investigator-other"):
        assert personal not in text, personal


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_served_workspace_prints_nothing_personal(networked_world, tmp_path, protected_identities):
    """A real `harborlight serve` over a copy of the world, a user made with `user add --password-file`;
    searches for protected names, failed logins and 404s on protected names: stdout and stderr stay clean."""
    data_dir = tmp_path / "data"
    shutil.copytree(networked_world, data_dir)
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    harborlight = [sys.executable, "-c", "import sys; from harborlight.cli import main; sys.argv[0] = 'harborlight'; sys.exit(main())"]
    env = os.environ | {"HARBORLIGHT_DATA_DIR": str(data_dir)}
    made = subprocess.run(harborlight + ["user", "add", "probe-analyst", "--role", "analyst", "--password-file",
                                         str(password_file)], env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    port = free_port()
    server = subprocess.Popen(harborlight + ["serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    name = a_protected_name(protected_identities)
    license_number = a_protected_license(protected_identities)
    try:
        base = f"http://127.0.0.1:{port}"
        while True:  # it either starts listening or exits with the reason on stderr
            assert server.poll() is None, server.stderr.read()
            try:
                httpx.get(f"{base}/login")
                break
            except httpx.TransportError:
                continue
        with httpx.Client(base_url=base) as client:
            for handle in ("probe-analyst", name.lower().replace(" ", "-")[:40], "nobody"):
                client.post("/api/session", json={"handle": handle, "password": f"{name} wrong"})
            signed = client.post("/api/session", json={"handle": "probe-analyst", "password": PASSWORD})
            assert signed.status_code == 200
            client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
            for q in (name, license_number, name.lower()):
                assert client.get("/search", params={"q": q}).status_code == 200
                client.get(f"/api/businesses/{q}")
                client.get(f"/networks/{q}")
            client.post("/api/outcomes", json={"operation": f"Op {name}", "date": "2024-01-01",
                                               "network_id": name, "controller_arrests": 1})
    finally:
        server.terminate()
        out, err = server.communicate()
    printed = (out + err).lower()
    for personal in (name.lower(), license_number.lower(), "probe-analyst", "nobody"):
        assert personal not in printed, personal
