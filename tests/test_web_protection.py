"""The crawl: as every account, open every page the workspace links to, every JSON twin and download, and
searches for every protected person's recorded names, and find none of their names or license numbers.
The store holds a hotline case file too (planted survivor fields, links confirmed to businesses of the released
network, consents to a shelter only): no account but the advocates' finds any survivor field.

Pages and routes are found from the app and from the links of its pages, so the crawl covers new
routes as they are merged. A failure names the URL and the index of the value (in sorted order), never
the value itself outside the assertion.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import select
from web_support import AGENCY, ACCOUNTS, app_routes, client_for, filled_url, open_workspace, released_world

from harborlight.cases.consent import Recipient, record_consent
from harborlight.read.hotline import hotline_summary
from harborlight.cases.intake import ContactForm, decide_link, record_contact
from harborlight.store.models import CaseMention, HotlineCase, User

from harborlight.web import policy
from harborlight.web.app import create_app

CAP = 400  # pages per account
SKIP = ("/logout", "/static/")
ECHO = "zqxv-sentinel"  # a search for this finds nothing, so counting it in the answer counts the echoes


class Links(HTMLParser):
    """Same-origin links of a page: <a href>, and the graph's data-graph-url."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name == "data-graph-url" or (tag == "a" and name == "href")):
                self.found.append(value)


def same_origin(link: str) -> str | None:
    parts = urlsplit(link)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver") or not parts.path.startswith("/"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return None if path.startswith(SKIP) else path


def readable(response) -> str:
    """The response's text as a reader would see it: entities decoded, JSON unescaped, archives opened."""
    kind = response.headers.get("content-type", "")
    if "zip" in kind:
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    text = response.content.decode("utf-8", "replace")
    if "json" in kind:
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    return html.unescape(text)


# Survivor fields planted in the case file; the phone is searched for by its digits in any format.
SURVIVOR_VALUES = ["Esperanza Villalobos-Thorne", "Quillon Marchetti", "she hid the key under the jade frog",
                   "text after ten, ask for auntie Brisebois", "behind the Saltmarsh Laundromat on Pier 9",
                   "told me the manager takes everyone's papers at the Calloway", "Unit 3B, Wrenfield Court"]
SURVIVOR_PHONES = ["3055550188", "7865550123"]


def phone_pattern(digits: str) -> re.Pattern:
    return re.compile(r"\D{0,3}".join(digits))  # (305) 555-0188, 305.555.0188, +1 305 555 0188, 3055550188


def plant_case_file(workspace, business_ids: list[str]) -> None:
    """Hotline contacts holding every survivor field, their links to `business_ids` confirmed by the advocate
    (so signals show on those businesses' pages), consented to a shelter for every field, and to the
    investigators' agency only under the wrong class (other, not law enforcement)."""
    v = SURVIVOR_VALUES
    forms = [
        ContactForm(channel="call", language="ko", anonymous=False, reporter_role="survivor", state="FL",
                    caller_name=v[0], caller_phone="(305) 555-0188", callback=v[3], location=v[4],
                    narrative=f"{v[0]} said {v[2]}; the boss keeps their passports.", businesses=("the spa",)),
        ContactForm(channel="text", language="zh", anonymous=False, reporter_role="family", caller_name=v[1],
                    caller_phone="786.555.0123", callback="mornings only", location=v[6], narrative=v[5],
                    phones=("786-555-0123",)),
        ContactForm(channel="webform", anonymous=True, narrative=f"{v[5]}, {v[2]}", location=v[4],
                    addresses=("12 Harbor Row",)),
    ]
    with workspace.store.writing() as session:
        advocate = session.execute(select(User).where(User.handle == "advocate")).scalar_one()
        for index, form in enumerate(forms):
            business = business_ids[index % len(business_ids)]
            contact = record_contact(session, workspace.keyring(), form, by=advocate,
                                     lookup=lambda kind, key, b=business: {b})
            for mention in session.execute(select(CaseMention).where(CaseMention.contact_id == contact.id)).scalars():
                decide_link(session, mention.id, confirm=True, by=advocate, entity_id=business)
            hotline_case = session.get(HotlineCase, contact.case_id)
            until = datetime.now(timezone.utc) + timedelta(days=60)
            for recipient in (Recipient("Safe Harbor Shelter", "service_provider"), Recipient(AGENCY, "other"),
                              Recipient(AGENCY, "service_provider")):
                record_consent(session, hotline_case, recipient=recipient,
                               fields=("caller_name", "caller_phone", "callback", "narrative", "location"),
                               purpose="shelter and services", expires_at=until, by=advocate)


@pytest.fixture(scope="module")
def released_workspace(networked_world, tmp_path_factory):
    """One workspace over `networked_world` with its strongest controlled network released to Bay County, and
    a case file whose links are confirmed to businesses of that network (`plant_case_file`)."""
    workspace = open_workspace(networked_world, f"sqlite:///{tmp_path_factory.mktemp('crawl') / 'store.sqlite'}")
    ids = released_world(workspace)
    reader = workspace.warehouse()
    try:
        members = [row[0] for row in reader.rows("SELECT business_id FROM network_members WHERE network_id = ? "
                                                 "ORDER BY business_id LIMIT 2", [ids["network"]])]
    finally:
        reader.close()
    plant_case_file(workspace, members)
    yield workspace, ids
    workspace.close()


@pytest.fixture(scope="module")
def protected_values(protected_identities) -> list[str]:
    values = sorted(protected_identities["values"])
    assert values, "the world has no protected identities: the crawl would pass without checking anything"
    return values


def starting_urls(handle: str, routes, ids) -> list[str]:
    role = ACCOUNTS[handle][0]
    urls = ["/", policy.LANDING[role]]
    for route in routes:
        if "GET" in route.methods and route.name not in ("openapi", "login_page"):
            try:
                urls.append(filled_url(route, ids))
            except AssertionError:  # a parameter no id fits: the role matrix names it
                continue
    return urls


def crawl(client, starts: list[str]) -> dict[str, tuple[int, str]]:
    """url -> (status, readable body) for every page reached from `starts`, up to CAP pages."""
    seen: dict[str, tuple[int, str]] = {}
    queue = list(dict.fromkeys(starts))
    while queue and len(seen) < CAP:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        body = readable(response)
        seen[url] = (response.status_code, body)
        links = [response.headers.get("location", "")]
        if "html" in response.headers.get("content-type", ""):
            parser = Links()
            parser.feed(response.text)
            links += parser.found
        for link in links:
            path = same_origin(html.unescape(link)) if link else None
            if path and path not in seen:
                queue.append(path)
    return seen


def leaks(body: str, values: list[str], allowed: dict[int, int] | None = None) -> list[int]:
    """Indexes of values found in `body` (case-insensitive), beyond `allowed` echoes of a searched one."""
    lowered = body.lower()
    allowed = allowed or {}
    return [i for i, value in enumerate(values) if lowered.count(value.lower()) > allowed.get(i, 0)]


@pytest.fixture(scope="module")
def crawled(released_workspace, protected_values):
    """handle -> {url: (status, body)}, each account's crawl, searches for every protected value included.
    Searched URLs are kept apart: handle -> [(url, index of the searched value, allowed echoes, body)]."""
    workspace, ids = released_workspace
    routes = app_routes(create_app(workspace=workspace))
    search_routes = [r for r in routes if r.name in ("search_page", "api_search")]
    pages, searches = {}, {}
    for handle in ACCOUNTS:
        client = client_for(workspace, handle)
        pages[handle] = crawl(client, starting_urls(handle, routes, ids))
        searches[handle] = []
        for route in search_routes:
            if not policy.allowed(route.name, ACCOUNTS[handle][0]):
                continue  # the others are refused (the role matrix checks that)
            echoes = readable(client.get(f"{route.path}?q={ECHO}")).lower().count(ECHO)
            for index, value in enumerate(protected_values):
                url = f"{route.path}?q={quote(value)}"
                searches[handle].append((url, index, echoes, readable(client.get(url))))
    return pages, searches


@pytest.mark.parametrize("handle", list(ACCOUNTS))
def test_no_page_api_answer_or_download_names_a_protected_person(handle, crawled, protected_values):
    pages, searches = crawled
    assert len(pages[handle]) >= 3, f"the crawl as {handle} reached almost nothing"
    found = [f"{url}: value #{i}" for url, (_, body) in pages[handle].items() for i in leaks(body, protected_values)]
    for url, index, echoes, body in searches[handle]:
        # the search form shows back what was typed: the searched value may appear as often as a query's echo
        found += [f"{url}: value #{i}" for i in leaks(body, protected_values, {index: echoes})]
    assert found == [], f"protected identities shown as {handle}"


def survivor_leaks(body: str) -> list[str]:
    """Which planted survivor fields `body` shows, by index (never the value)."""
    lowered = body.lower()
    found = [f"field #{i}" for i, value in enumerate(SURVIVOR_VALUES) if value.lower() in lowered]
    return found + [f"phone #{i}" for i, digits in enumerate(SURVIVOR_PHONES) if phone_pattern(digits).search(body)]


@pytest.mark.parametrize("handle", [h for h, (role, _) in ACCOUNTS.items() if role != "advocate"])
def test_no_page_api_answer_or_download_shows_a_survivor_field(handle, crawled):
    pages, searches = crawled
    found = [f"{url}: {leak}" for url, (_, body) in pages[handle].items() for leak in survivor_leaks(body)]
    found += [f"{url}: {leak}" for url, _, _, body in searches[handle] for leak in survivor_leaks(body)]
    assert found == [], f"survivor fields shown as {handle}"


def test_the_crawl_sees_the_signals_without_the_survivors(crawled, released_workspace):
    """The case file was planted where the crawl looks: the analyst's and the investigator's network page
    count its contacts, and the investigator's packet page reads the consents (and finds none for police)."""
    pages, _ = crawled
    workspace, ids = released_workspace
    reader = workspace.warehouse()
    try:  # the world's own tips, imported at ingest: the planted file's 3 cases come on top of them
        members = [r[0] for r in reader.rows("SELECT business_id FROM network_members WHERE network_id = ?",
                                             [ids["network"]])]
        imported = hotline_summary(reader, members).contacts
    finally:
        reader.close()
    for handle in ("analyst", "investigator"):
        status, body = pages[handle][f"/api/networks/{ids['network']}"]
        assert status == 200 and json.loads(body)["hotline"]["contacts"] == imported + 3
    status, body = pages["investigator"][f"/api/packets/{ids['release']}"]
    assert status == 200 and json.loads(body)["hotline"]["contacts"] == imported + 3
    assert json.loads(body)["shared_cases"] == []


def test_the_crawl_reaches_no_server_error(crawled):
    pages, searches = crawled
    errors = [f"{h} {url}: {status}" for h, seen in pages.items() for url, (status, _) in seen.items() if status >= 500]
    assert errors == []


def test_the_crawl_visits_network_pages_with_their_controllers(crawled, released_workspace):
    pages, _ = crawled
    workspace, ids = released_workspace
    names = {route.name for route in app_routes(create_app(workspace=workspace))}
    if "controller_page" not in names:
        pytest.skip("the network and controller pages arrive with the findings routes")
    controller = re.compile(r"^/networks/[^/?]+/controllers/[^/?]+$")
    for handle in ("analyst", "investigator"):
        visited = [url for url, (status, _) in pages[handle].items() if status == 200 and controller.match(url)]
        assert visited, f"the crawl as {handle} opened no controller page"
    assert f"/networks/{ids['network']}" in pages["investigator"]
    assert pages["investigator"][f"/networks/{ids['network']}"][0] == 200
