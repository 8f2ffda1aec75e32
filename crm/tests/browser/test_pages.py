"""Journeys through the site in a real Chromium."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_journey(page, user, password):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username")

    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator(".site-user .username")).to_have_text(user.username)
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_no_page_needs_an_inline_script_or_style(browser, live_server, staff_user, password):
    """Chromium, held to the site's Content-Security-Policy, refuses nothing on any page."""
    import logging

    from crm.models import RelationshipType
    from crm.services.relationships import relationship_add
    from crm.tests.factories import make_contact
    from remotelog.models import Application, LogMessage

    ada = make_contact("Ada Lovelace", phones=["+33 6 12 34 56 78"], addresses=["London"])
    twin = make_contact("Ada Lovelace", phones=[ada.phones.get()])
    charles = make_contact("Charles Babbage")
    relationship_add(contact=ada, other=charles)
    RelationshipType.objects.create(name="Colleague", slug="colleague")
    application = Application(slug="pump", name="Pump")
    application.set_new_secret()
    application.save()
    record = LogMessage.objects.create(
        application=application,
        levelno=logging.ERROR,
        levelname="ERROR",
        name="pump",
        msg="stalled",
        message="stalled",
        exc_text="Traceback (most recent call last):\n  boom",
        created=timezone.now(),
    )
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    refused = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and refused.append((page.url, message.text[:80]))
        ),
    )
    page.goto("/accounts/login/")
    page.fill("input[name=username]", staff_user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    for url in [
        "/",
        ada.get_absolute_url(),
        "/contacts/duplicates/",
        f"/contacts/merge/{ada.pk}/{twin.pk}/",
        f"/contacts/{ada.pk}/relationships/{charles.pk}/",
        "/remotelog/",
        "/admin/",
        f"/admin/crm/contact/{ada.pk}/change/",
        "/admin/crm/phone/add/",
        "/admin/crm/relationshiptype/add/",
        "/admin/remotelog/logmessage/",
        f"/admin/remotelog/logmessage/{record.pk}/change/",
    ]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    # Scripts at work: a new form row, a search as one types, the admin's widgets.
    page.goto(f"/contacts/{ada.pk}/edit/")
    page.get_by_role("button", name="+ Add a phone").click()
    page.goto(f"/contacts/{ada.pk}/relationships/add/")
    page.fill("#relate-q", "Charles")
    page.wait_for_load_state("networkidle")
    page.goto(f"/admin/crm/contact/{ada.pk}/change/")
    page.locator(".select2-selection").first.click()
    page.wait_for_load_state("networkidle")
    context.close()
    assert not refused, refused
