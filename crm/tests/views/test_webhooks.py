"""The webhook pages: a manager's own subscriptions, their secret, deliveries and deletion."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test.utils import override_settings

from crm.models import Team, Webhook, WebhookEvent
from crm.roles import role_set
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db

EVENTS = ["contact.created", "contact.deleted"]


@pytest.fixture
def webhook(user):
    return Webhook.objects.create(owner=user, url="https://example.org/hook", events=EVENTS)


def test_a_manager_adds_a_webhook_and_is_shown_its_secret(logged_in_client, user, shown):
    response = logged_in_client.post(
        "/contacts/webhooks/new/",
        {"url": "https://example.org/hooks/crm", "events": EVENTS[::-1], "is_active": "on"},
    )
    webhook = Webhook.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/contacts/webhooks/{webhook.pk}/"
    )
    assert (webhook.owner, webhook.events, webhook.is_active) == (user, EVENTS, True)
    assert len(webhook.secret) >= 40
    page = logged_in_client.get(response["Location"])
    assert webhook.secret in page.content.decode()
    assert shown(page) == ["Webhook added. Give its secret to the receiver."]


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://example.org/hook", "Enter a full http:// or https:// address"),
        ("http://", "Enter a full http:// or https:// address"),
        ("", "This field is required."),
    ],
)
def test_a_wrong_url_is_refused_and_what_was_typed_kept(logged_in_client, url, error):
    response = logged_in_client.post("/contacts/webhooks/new/", {"url": url, "events": EVENTS})
    assert response.status_code == 200
    page = response.content.decode()
    assert error in page
    assert f'value="{url}"' in page or not url
    for event in EVENTS:
        assert re.search(rf'value="{re.escape(event)}"[^>]*checked', page), event
    assert not re.search(r'value="contact\.merged"[^>]*checked', page)
    assert Webhook.objects.count() == 0


def test_no_event_chosen_is_refused(logged_in_client):
    response = logged_in_client.post("/contacts/webhooks/new/", {"url": "https://example.org/h"})
    assert "Choose at least one event to receive." in response.content.decode()
    assert 'value="https://example.org/h"' in response.content.decode()
    assert Webhook.objects.count() == 0


def test_editing_changes_the_events_and_pauses(logged_in_client, webhook):
    response = logged_in_client.post(
        f"/contacts/webhooks/{webhook.pk}/",
        {"url": "https://example.org/other", "events": ["contact.merged"]},
    )
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.url, webhook.events, webhook.is_active) == (
        "https://example.org/other",
        ["contact.merged"],
        False,
    )


def test_a_new_secret_replaces_the_old(logged_in_client, webhook):
    old = webhook.secret
    response = logged_in_client.post(f"/contacts/webhooks/{webhook.pk}/secret/")
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert webhook.secret != old and len(webhook.secret) >= 40


def test_deleting_asks_first(logged_in_client, webhook):
    WebhookEvent.objects.create(webhook=webhook, type="contact.created", payload={})
    page = logged_in_client.get(f"/contacts/webhooks/{webhook.pk}/delete/").content.decode()
    assert "Delete the webhook?" in page and webhook.url in page
    assert Webhook.objects.count() == 1
    response = logged_in_client.post(f"/contacts/webhooks/{webhook.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/contacts/webhooks/"
    assert (Webhook.objects.count(), WebhookEvent.objects.count()) == (0, 0)


def test_someone_elses_webhook_is_not_found(client, make_user, webhook):
    other = make_user("mona")
    role_set(user=other, role="managers")
    client.force_login(other)
    for suffix in ("", "deliveries/", "delete/"):
        assert client.get(f"/contacts/webhooks/{webhook.pk}/{suffix}").status_code == 404
    for suffix in ("", "secret/", "test/", "delete/"):
        assert client.post(f"/contacts/webhooks/{webhook.pk}/{suffix}").status_code == 404
    assert "example.org/hook" not in client.get("/contacts/webhooks/").content.decode()
    assert Webhook.objects.get() == webhook


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_viewers_and_editors_may_not_manage_webhooks(request, client, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get("/contacts/webhooks/")
    assert response.status_code == 403
    assert "Your role does not allow you to manage webhooks." in response.content.decode()
    assert client.post("/contacts/webhooks/new/", {"url": "https://x.org"}).status_code == 403
    assert "/contacts/webhooks/" not in client.get("/").content.decode()


def test_the_list_shows_each_webhooks_last_delivery_in_constant_queries(
    logged_in_client, user, django_assert_max_num_queries
):
    for n in range(3):
        hook = Webhook.objects.create(owner=user, url=f"https://example.org/{n}", events=EVENTS)
        WebhookEvent.objects.create(
            webhook=hook, type="contact.created", payload={}, status="failed", answer_status=503
        )
    with django_assert_max_num_queries(12):
        page = logged_in_client.get("/contacts/webhooks/").content.decode()
    assert page.count("HTTP 503") == 3
    assert "https://example.org/2" in page
    assert 'href="/contacts/webhooks/"' in logged_in_client.get("/").content.decode()


@override_settings(CRM_VISIBILITY="team")
def test_deliveries_escape_the_answer_and_name_only_contacts_one_sees(client, make_user):
    sales, support = Team.objects.create(name="Sales"), Team.objects.create(name="Support")
    seller = make_user("sam")
    role_set(user=seller, role="editors")
    seller.user_permissions.add(Permission.objects.get(codename="manage_webhooks"))
    sales.members.add(seller)
    hook = Webhook.objects.create(owner=seller, url="https://example.org/h", events=EVENTS)
    seen, unseen = make_contact("Olivia Own", team=sales), make_contact("Oscar Other", team=support)
    for contact in (seen, unseen):
        WebhookEvent.objects.create(
            webhook=hook,
            type="contact.created",
            contact_id=contact.pk,
            payload={},
            attempts=2,
            answer_status=500,
            answer="<script>alert(1)</script>",
        )
    client.force_login(seller)
    page = client.get(f"/contacts/webhooks/{hook.pk}/deliveries/").content.decode()
    assert "Olivia Own" in page and "Oscar Other" not in page
    assert "A contact you cannot see" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_a_test_event_is_queued_for_the_worker(logged_in_client, webhook, shown):
    response = logged_in_client.post(f"/contacts/webhooks/{webhook.pk}/test/", follow=True)
    event = WebhookEvent.objects.get()
    assert (event.type, event.status, event.payload["contact"]) == ("webhook.test", "pending", None)
    assert "Test event queued" in shown(response)[0]
    assert "webhook.test" in response.content.decode()
