"""The advocates' case file end to end: a real uvicorn server (test_web_e2e's), Debian's Chromium driven
by Playwright.

An advocate records a named contact whose words give a business's phone, confirms the proposed link,
records the survivor's consent for a shelter (a provider of the world) and none for the police, and
refers the case to the shelter: the page shows what was sent, the consented field and not the others.
An analyst then reads that business and finds nothing of the survivor. No page may break its CSP.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from test_web_e2e import Visitor, base_url, follow, only, served_workspace  # noqa: F401 - fixtures, shared
from web_support import SURVIVOR_CALLBACK, SURVIVOR_NAME, SURVIVOR_PHONE, hotline_target

from harborlight.cases.consent import Recipient, permitted_fields
from harborlight.cases.intake import case_by_ref
from harborlight.read.hotline import hotline_summary

POLICE = Recipient("Harbor City Police", "law_enforcement")


def typed(e164: str) -> str:
    digits = e164.removeprefix("+1")
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


@pytest.fixture(scope="module")
def target(served_workspace):  # noqa: F811 - the shared fixture, by name
    return hotline_target(served_workspace[1])


@pytest.fixture(scope="module")
def advocates_path(browser, base_url, target) -> dict:  # noqa: F811
    """The advocate's whole path, in the browser; returns what it saw on the way."""
    advocate = Visitor(browser, base_url)
    advocate.sign_in("advocate")
    seen: dict = {"landing": advocate.path()}
    page = advocate.page
    follow(page, only(page, "a#record-contact").click)
    contact = only(page, "form#contact-form")
    contact.locator("select[name=channel]").select_option("call")
    contact.locator("input[name=language]").fill("zh")
    contact.locator("input#anonymous").uncheck()
    contact.locator("input[name=caller_name]").fill(SURVIVOR_NAME)
    contact.locator("input[name=caller_phone]").fill(SURVIVOR_PHONE)
    contact.locator("input[name=callback]").fill(SURVIVOR_CALLBACK)
    contact.locator("input[name=wants][value=shelter]").check()
    contact.locator("textarea[name=narrative]").fill(
        f"They took her passport. The manager's number is {typed(target.business_phone)}.")
    follow(page, contact.locator("button[type=submit]").click)
    seen["case"] = advocate.path()
    ref = seen["case"].removeprefix("/cases/")
    seen["ref"] = ref

    row = page.locator("table#link-table tr", has=page.locator(f"code:text-is('{target.business_id}')"))
    assert row.count() == 1, f"no proposed link to {target.business_id} on the case page"
    follow(page, row.locator("button[value=confirm]").click)
    seen["link_status"] = page.locator("table#link-table tr", has=page.locator(
        f"code:text-is('{target.business_id}')")).locator("td.link-status").inner_text()

    consent = only(page, "form#add-consent")
    consent.locator("input[name=recipient_org]").fill(target.provider_name)
    consent.locator("select[name=recipient_class]").select_option("service_provider")
    consent.locator("input[name=fields][value=callback]").check()
    consent.locator("input[name=purpose]").fill("shelter intake")
    consent.locator("input[name=expires_on]").fill((date.today() + timedelta(days=30)).isoformat())
    follow(page, consent.locator("button[type=submit]").click)
    seen["consents"] = only(page, "table#consent-table").inner_text()

    referral = only(page, "form#add-referral")
    referral.locator("select[name=provider]").select_option(target.provider_key)
    referral.locator("input[name=services][value=shelter]").check()
    follow(page, referral.locator("button[type=submit]").click)
    seen["after_referral"] = advocate.path()
    sent = page.locator("div.referral").last
    seen["sent"] = sent.locator("dl.sent").inner_text()
    seen["withheld"] = sent.locator("p.withheld").inner_text()
    advocate.shoot("case")
    advocate.close()
    return seen


def test_advocate_records_a_contact_confirms_its_link_and_refers_with_consent(advocates_path, target):
    seen = advocates_path
    assert seen["landing"] == "/cases"
    assert re.fullmatch(r"/cases/case-[0-9a-f]{12}", seen["case"])
    assert seen["link_status"] == "confirmed"
    assert target.provider_name in seen["consents"] and "Police" not in seen["consents"]
    assert seen["after_referral"].startswith(seen["case"])
    assert SURVIVOR_CALLBACK in seen["sent"]
    assert SURVIVOR_NAME not in seen["sent"] and SURVIVOR_PHONE not in seen["sent"]
    assert "name" in seen["withheld"] and "phone" in seen["withheld"]


def test_the_police_get_nothing_of_the_survivor(advocates_path, served_workspace):  # noqa: F811
    workspace = served_workspace[1]
    with workspace.store.session() as session:
        allowed, _ = permitted_fields(session, case_by_ref(session, advocates_path["ref"]), POLICE)
    assert allowed == frozenset()


def test_analyst_reads_the_business_and_finds_nothing_of_the_survivor(browser, base_url, advocates_path, target,  # noqa: F811
                                                                       served_workspace):  # noqa: F811
    analyst = Visitor(browser, base_url)
    analyst.sign_in("analyst")
    page = analyst.open(f"/businesses/{target.business_id}")
    shown = page.content()
    answer = page.request.get(f"{base_url}/api/businesses/{target.business_id}")
    assert answer.status == 200
    # The signal reaches the analyst: the business page counts the confirmed case, and says how it was
    # mentioned, with none of the survivor's details.
    reader = served_workspace[1].warehouse()
    try:  # the world's own tips about the business, imported at ingest; the advocate's case is one more
        imported = hotline_summary(reader, [target.business_id]).contacts
    finally:
        reader.close()
    hotline = answer.json()["hotline"]
    assert hotline["contacts"] == imported + 1 and hotline["by_mention"]["phone"] >= 1
    assert "Hotline signals" in shown
    for value in (SURVIVOR_NAME, SURVIVOR_PHONE, SURVIVOR_CALLBACK, "passport"):
        assert value not in shown and value not in answer.text(), value
    assert analyst.page.request.get(f"{base_url}/api/cases/{advocates_path['ref']}").status == 403
    analyst.close()
