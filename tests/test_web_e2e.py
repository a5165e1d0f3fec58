"""The workspace end to end: a real uvicorn server, Debian's Chromium driven by Playwright.

An analyst signs in through the form, searches, opens a network (its graph drawn by Cytoscape),
reviews a packet and releases it to an agency; an investigator of that agency reads it, one of
another agency is refused it; an account locks after repeated wrong passwords. No page may break
its Content-Security-Policy. Nothing here is skipped: a missing page fails with its path and status.

Screenshots go to build/screenshots/ on every run and also to docs/img/workspace-*.png when
HARBORLIGHT_REFRESH_SCREENSHOTS=1 (`make screenshots`), as tests/test_browser.py does.
"""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest
import uvicorn
from playwright.sync_api import Browser, Page
from test_browser import REFRESH, ROOT
from web_support import AGENCY, PASSWORD, open_workspace

from harborlight.network.summary import network_summaries
from harborlight.read import ANALYST, search
from harborlight.web.app import create_app

SCREENSHOTS = ROOT / "build" / "screenshots"
DOCS_IMG = ROOT / "docs" / "img"
CSP_WORDS = ("content security policy", "content-security-policy", "csp violation")
# Reported to the page's console by Chromium's own listener, so a violation no script logs is still seen.
# Playwright injects this through the DevTools protocol, which the page's CSP does not govern.
REPORT_VIOLATIONS = """document.addEventListener('securitypolicyviolation', e =>
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI));"""


def free_port() -> int:
    """A port nobody listens on now, chosen by the kernel."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served_workspace(networked_world, tmp_path_factory):
    """The workspace over `networked_world`, with the accounts of web_support, served by a real uvicorn
    on a free loopback port in a background thread. Module-wide, not the function-scoped `workspace`
    factory (which calls the same `open_workspace`): the release the analyst makes is what the
    investigators then open. Yields (base URL, workspace)."""
    store = tmp_path_factory.mktemp("e2e") / "store.sqlite"
    workspace = open_workspace(networked_world, f"sqlite:///{store}")
    port = free_port()
    config = uvicorn.Config(app=create_app(workspace=workspace), host="127.0.0.1", port=port,
                            access_log=False, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # it either starts or its thread ends with the reason on stderr
        assert thread.is_alive(), "uvicorn stopped before it served"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", workspace
    server.should_exit = True
    thread.join()
    workspace.close()


@pytest.fixture(scope="module")
def base_url(served_workspace) -> str:
    return served_workspace[0]


@pytest.fixture(scope="module")
def network_and_word(served_workspace) -> tuple[str, str]:
    """A network and a word from one of its businesses' names that search finds it by, chosen through the
    read layer as the analyst sees it (names redacted as the pages show them)."""
    workspace = served_workspace[1]
    warehouse = workspace.warehouse()
    try:
        protection = workspace.protection()
        for summary in network_summaries(warehouse, 20, protection):
            for name in summary.top_names:
                for word in sorted(set(re.findall(r"[A-Za-z]{4,}", name)), key=len, reverse=True):
                    hits = search(warehouse, word, ANALYST, protection=protection)
                    if any(hit.network_id == summary.network_id for hit in hits.businesses):
                        return summary.network_id, word
    finally:
        warehouse.close()
    raise AssertionError("no network of the test world is found by a word of its businesses' names")



class Visitor:
    """One person's browser: its own cookies, one page, and every CSP complaint the pages made."""

    def __init__(self, browser: Browser, base_url: str):
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url)
        self.context.add_init_script(REPORT_VIOLATIONS)
        self.page: Page = self.context.new_page()
        self.violations: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type == "error" and any(w in message.text.lower() for w in CSP_WORDS):
            self.violations.append(f"{self.page.url}: {message.text}")

    def open(self, path: str, status: int = 200) -> Page:
        """Go to `path` and insist on its status, so a page that is not there fails here, by name."""
        response = self.page.goto(path)
        answered = response.status if response else None
        assert answered == status, f"GET {path}: expected {status}, got {answered}"
        return self.page

    def sign_in(self, handle: str, password: str = PASSWORD) -> Page:
        self.open("/login")
        self.page.fill("input[name=handle]", handle)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation():  # to the landing page, or back to /login refused
            self.page.click("button[type=submit]")
        return self.page

    def path(self) -> str:
        return self.page.url.removeprefix(self.base_url)

    def shoot(self, name: str) -> None:
        """Screenshot to build/screenshots/, and to docs/img/ on a deliberate refresh."""
        for folder in (SCREENSHOTS, DOCS_IMG) if REFRESH else (SCREENSHOTS,):
            folder.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(folder / f"workspace-{name}.png"), full_page=True)

    def close(self) -> None:
        assert self.violations == [], "\n".join(self.violations)
        self.context.close()


def follow(page: Page, act) -> None:
    """Do `act` (a click, a key press) and insist the page it leads to answered 200."""
    with page.expect_navigation() as navigation:
        act()
    answered = navigation.value.status if navigation.value else None
    assert answered == 200, f"{page.url}: expected 200, got {answered}"


def only(page: Page, selector: str):
    """The one element `selector` names, asserted present now (the server rendered it)."""
    locator = page.locator(selector)
    assert locator.count() == 1, f"{page.url}: expected one {selector}, found {locator.count()}"
    return locator


@pytest.fixture(scope="module")
def released_packet(browser, base_url, network_and_word) -> dict:
    """The analyst's whole path, in the browser: sign in, search, open the network and its graph, build
    the packet, review it, release it to AGENCY. Returns where it landed and what it saw on the way."""
    network_id, word = network_and_word
    analyst = Visitor(browser, base_url)
    page = analyst.sign_in("analyst")
    seen: dict = {"landing": analyst.path()}
    analyst.shoot("overview")

    page = analyst.open("/search")
    query = only(page, "form#search input[name=q]")
    query.fill(word)
    follow(page, lambda: query.press("Enter"))  # submits the form whatever its button says
    seen["search"] = analyst.path()
    results = only(page, "section#results")
    link = results.locator(f'a[href="/networks/{network_id}"]')
    assert link.count() >= 1, f"searching {word!r} shows no link to network {network_id}"
    analyst.shoot("search")

    follow(page, link.first.click)
    seen["network"] = analyst.path()
    graph = only(page, "div#graph")
    seen["graph_url"] = graph.get_attribute("data-graph-url")
    only(page, "section#controllers")
    only(page, "section#timeline")
    page.wait_for_selector("#graph canvas")  # Cytoscape drew it
    seen["graph_box"] = graph.bounding_box()
    detail = only(page, "aside#node-detail")
    seen["detail_before"] = detail.inner_text().strip()
    node = page.evaluate("""() => { const cy = document.querySelector('#graph')._cyreg?.cy;
        const n = cy ? cy.nodes()[0] : null; if (!n) return null;
        const p = n.renderedPosition(); return {x: p.x, y: p.y}; }""")
    box = graph.bounding_box()
    # network.js keeps its Cytoscape instance to itself; without it, the drawing's centre is a node in
    # every layout the graph uses (a network has a business at its heart) or the click lands on the
    # background and the test fails saying so.
    x, y = (node["x"], node["y"]) if node else (box["width"] / 2, box["height"] / 2)
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_function("() => document.querySelector('aside#node-detail').innerText.trim().length > 0")
    seen["detail_after"] = detail.inner_text().strip()
    analyst.shoot("network")

    follow(page, only(page, "a#build-packet").click)
    seen["review"] = analyst.path()
    form = only(page, "form#release")
    assert form.locator("input[name=network_id]").get_attribute("value") == network_id
    form.locator("select[name=agency_id]").select_option(label=AGENCY)
    form.locator("textarea[name=note]").fill("Released by the end-to-end test.")
    analyst.shoot("packet-review")
    follow(page, form.locator("button[type=submit]").click)  # 303 to the packet, which answers 200
    seen["packet"] = analyst.path()
    seen["packet_h1"] = only(page, "h1").inner_text()
    only(page, "section#controllers")
    seen["download"] = only(page, "a#download").get_attribute("href")
    analyst.shoot("packet")

    page = analyst.open("/outcomes")
    only(page, "table#ledger")
    seen["record_outcome"] = page.locator("form#record-outcome").count()
    analyst.shoot("outcomes")
    analyst.close()
    return seen


def test_analyst_searches_opens_a_network_and_releases_its_packet_to_an_agency(released_packet,
                                                                              network_and_word):
    network_id, word = network_and_word
    seen = released_packet
    assert seen["landing"] == "/overview"
    assert seen["search"].startswith("/search?") and f"q={word}" in seen["search"]
    assert seen["network"] == f"/networks/{network_id}"
    assert seen["graph_url"] == f"/api/networks/{network_id}/graph"
    assert seen["graph_box"]["width"] > 300 and seen["graph_box"]["height"] > 200
    assert seen["detail_after"] and seen["detail_after"] != seen["detail_before"]
    assert seen["review"] == f"/packets/new?network={network_id}"
    release = re.fullmatch(r"/packets/(\d+)", seen["packet"])
    assert release, f"releasing landed on {seen['packet']}"
    assert network_id in seen["packet_h1"]
    assert seen["download"] == f"{seen['packet']}/download"
    assert seen["record_outcome"] == 1  # analysts record outcomes


def test_investigator_of_the_agency_sees_the_release_and_opens_it(browser, base_url, released_packet,
                                                                  network_and_word):
    network_id, _ = network_and_word
    investigator = Visitor(browser, base_url)
    page = investigator.sign_in("investigator")
    assert investigator.path() == "/packets"
    releases = only(page, "table#releases")
    link = releases.locator(f'a[href="{released_packet["packet"]}"]')
    assert link.count() >= 1, "the release is not listed for its agency's investigator"
    follow(page, link.first.click)
    assert investigator.path() == released_packet["packet"]
    assert network_id in only(page, "h1").inner_text()
    investigator.close()


def test_investigator_of_other_agency_gets_403(browser, base_url, released_packet):
    other = Visitor(browser, base_url)
    other.sign_in("investigator-other")
    page = other.open(released_packet["packet"], status=403)
    assert "403" in only(page, "h1").inner_text()
    other.close()


def test_admin_reads_the_release_in_the_audit_log(browser, base_url, released_packet):
    admin = Visitor(browser, base_url)
    admin.sign_in("admin")
    page = admin.open("/admin/audit")
    log = only(page, "table#audit")
    assert "packet_release" in log.inner_text()
    admin.shoot("audit")
    admin.close()


def test_account_locks_after_five_wrong_passwords_and_refuses_the_right_one(browser, base_url):
    advocate = Visitor(browser, base_url)
    for _ in range(5):  # settings.lockout_after
        page = advocate.sign_in("advocate", "not the password")
        assert advocate.path() == "/login"
        assert "not accepted" in only(page, "p.error").inner_text()
    page = advocate.sign_in("advocate", PASSWORD)
    assert advocate.path() == "/login"
    assert "locked" in only(page, "p.error").inner_text()
    assert page.locator("form#search, header nav").count() == 0  # not signed in: no workspace navigation
    advocate.close()


def test_a_page_breaking_its_content_security_policy_is_caught(browser, base_url):
    """The check every test above ends with, shown to work: an inline script on a real page is refused
    by the policy the server sent, and the refusal is collected."""
    visitor = Visitor(browser, base_url)
    page = visitor.open("/login")
    assert "script-src 'self'" in page.request.get(f"{base_url}/login").headers["content-security-policy"]
    assert visitor.violations == []
    page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'document.title = "ran"'; document.body.appendChild(s); }""")
    page.wait_for_function("() => true")  # let the console event arrive
    assert page.title() != "ran"
    assert visitor.violations and "script-src" in " ".join(visitor.violations)
    visitor.violations.clear()
    visitor.close()
