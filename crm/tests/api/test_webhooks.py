"""The API's webhooks: a manager's own, validated (test_fuzz.py fuzzes them)."""

import pytest

from crm.models import Webhook, WebhookEvent

pytestmark = pytest.mark.django_db

EVENTS = ["contact.created", "contact.merged"]


@pytest.fixture
def api(client, user):
    client.force_login(user)
    return client


def test_a_manager_registers_reads_changes_and_deletes_a_webhook(api, user):
    response = api.post(
        "/api/webhooks/",
        {"url": "https://example.org/hook", "events": EVENTS[::-1]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    webhook = Webhook.objects.get()
    assert (body["id"], body["events"], body["secret"]) == (webhook.pk, EVENTS, webhook.secret)
    assert webhook.owner == user
    response = api.patch(
        f"/api/webhooks/{webhook.pk}", {"is_active": False}, content_type="application/json"
    )
    assert response.json()["is_active"] is False and response.json()["events"] == EVENTS
    old = webhook.secret
    assert api.post(f"/api/webhooks/{webhook.pk}/secret").json()["secret"] != old
    WebhookEvent.objects.create(webhook=webhook, type="contact.created", payload={})
    (delivery,) = api.get(f"/api/webhooks/{webhook.pk}/deliveries").json()
    assert (delivery["type"], delivery["status"], delivery["attempts"]) == (
        "contact.created",
        "pending",
        0,
    )
    assert [w["id"] for w in api.get("/api/webhooks/").json()] == [webhook.pk]
    assert api.delete(f"/api/webhooks/{webhook.pk}").status_code == 204
    assert Webhook.objects.count() == WebhookEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "ftp://example.org/h", "events": EVENTS}, "body.url"),
        ({"url": "https://example.org/h", "events": []}, "body.events"),
        ({"url": "https://example.org/h", "events": ["contact.eaten"]}, "body.events.0"),
    ],
)
def test_a_bad_webhook_is_a_problem_naming_the_field(api, data, field):
    response = api.post("/api/webhooks/", data, content_type="application/json")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    fields = [error["field"] for error in response.json()["errors"]]
    assert field in fields
    assert Webhook.objects.count() == 0


def test_someone_elses_webhook_is_not_found_and_an_editor_is_refused(
    client, make_user, editor, user
):
    webhook = Webhook.objects.create(owner=user, url="https://example.org/h", events=EVENTS)
    other = make_user("mona", is_superuser=True)
    client.force_login(other)
    assert client.get(f"/api/webhooks/{webhook.pk}").status_code == 404
    assert client.delete(f"/api/webhooks/{webhook.pk}").status_code == 404
    assert client.get("/api/webhooks/").json() == []
    client.force_login(editor)
    response = client.get("/api/webhooks/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Your role does not allow you to manage webhooks."
    assert Webhook.objects.get() == webhook
