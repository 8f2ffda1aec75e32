"""Every page carries the site's Content-Security-Policy; no shared cache keeps personal data."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from crm.models import ApiToken, BulkJob, Import, RelationshipType, Tag, Webhook
from crm.services.relationships import relationship_add
from crm.services.timeline import entry_add
from crm.services.trash import contact_trash
from crm.tests.factories import make_contact
from remotelog.models import Application, LogGroup

from .test_access import PUBLIC, site_urls

pytestmark = pytest.mark.django_db

# What Django sends; deploy/ has Apache send the same. django-csp joins the
# directives in no fixed order (it builds them from a set), so they are compared
# as a set.
CSP = {
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}
DOWNLOADS = {"/contacts/export.csv", "/contacts/export.vcf"}


def policy(response):
    """Return the directives of the response's Content-Security-Policy, as a set."""
    return set(response.get("Content-Security-Policy", "").split("; "))


@pytest.fixture
def rows(admin_user):
    """Return a row of every kind the site and the admin show, by URL argument name."""
    ada = make_contact("Ada Lovelace", phones=["555 0100"], addresses=["London"])
    charles = make_contact("Charles Babbage", phones=[ada.phones.get()])
    kind = RelationshipType.objects.create(name="Colleague", slug="colleague")
    relationship_add(contact=ada, other=charles, types=[kind])
    ada.tags.add(Tag.objects.create(name="VIP", slug="vip"))
    application = Application(slug="app", name="App")
    application.set_new_secret()
    application.save()
    now = timezone.now()
    group = LogGroup.objects.create(
        application=application,
        fingerprint="f" * 64,
        levelno=40,
        levelname="ERROR",
        logger="app",
        template="failed",
        first_seen=now,
        last_seen=now,
    )
    job = BulkJob.objects.create(
        author=admin_user,
        action="tag",
        tag_name="VIP",
        filters=[["q", "ada"]],
        list_url="/contacts/?q=ada",
        matched=1,
    )
    trashed = make_contact("Grace Hopper")
    contact_trash(contact=trashed)
    # The admin's own, on ada: anyone else's entry is not found.
    entry = entry_add(contacts=[ada, charles], author=admin_user, kind="call", at=now)
    contact_import = Import.objects.create(
        author=admin_user, file_name="contacts.csv", format="csv", status="previewed"
    )
    return {
        "pk": ada.pk,
        "job_id": job.pk,
        "import_id": contact_import.pk,
        "number": 0,
        "other_pk": charles.pk,
        "keep_pk": ada.pk,
        "duplicate_pk": charles.pk,
        "app_slug": application.slug,
        "slug": "vip",
        "group_id": group.pk,
        "trashed_id": trashed.pk,
        "entry_id": entry.pk,
        # The admin's own: anyone else's token is not found.
        "token_id": ApiToken.objects.issue(user=admin_user, name="Script", scope="read")[0].pk,
        "webhook_id": Webhook.objects.create(
            owner=admin_user, url="https://example.org/hook", events=["contact.created"]
        ).pk,
    }


def test_every_page_sends_the_policy_and_keeps_out_of_shared_caches(admin_client, rows):
    urls = set(site_urls(arguments=rows))
    downloads = {url for url in urls if url.endswith((".csv", ".vcf"))}
    assert downloads == DOWNLOADS | {
        f"/contacts/{rows['pk']}/contact.vcf",
        f"/contacts/import/{rows['import_id']}/errors.csv",
    }
    for url in sorted(urls):
        response = admin_client.get(url)
        # The live tail's feed needs its cursor (?after=): without one, a 400.
        expected = (400,) if url == "/remotelog/records/feed/" else (200, 302, 401, 405)
        assert response.status_code in expected, (url, response.status_code)
        assert policy(response) == CSP, url
        cache_control = response.get("Cache-Control", "")
        if url in downloads:
            assert cache_control == "no-store, private", url
        elif url in PUBLIC - {"/accounts/login/"}:
            # The log endpoints answer programs and show no contact.
            assert not cache_control, url
        else:
            assert "private" in cache_control.split(", "), (url, cache_control)


def test_a_page_that_is_not_found_sends_the_policy_too(admin_client):
    response = admin_client.get("/no-such-page/")
    assert response.status_code == 404
    assert policy(response) == CSP


def admin_urls():
    """Yield the admin's index, and every registered model's list, add and change pages."""
    yield reverse("admin:index")
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        yield reverse("admin:{}_{}_changelist".format(*info))
        yield reverse("admin:{}_{}_add".format(*info))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            yield reverse("admin:{}_{}_change".format(*info), args=[first.pk])


def test_every_admin_page_sends_the_policy_and_is_never_cached(admin_client, rows):
    for url in admin_urls():
        response = admin_client.get(url)
        assert response.status_code in (200, 403), (url, response.status_code)
        assert policy(response) == CSP, url
        cache_control = response["Cache-Control"].split(", ")
        assert "private" in cache_control, url
        if response.status_code == 200:
            # The admin's own never_cache, left as it is.
            assert "no-store" in cache_control, url
