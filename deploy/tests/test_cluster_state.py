"""Nothing a user or a program needs stays in one app server: any of them may answer.

Two gunicorns over one database through pgbouncer (cluster.py); each test
talks to each server directly, as the balancer would, to choose which answers.
"""

import base64
from urllib.parse import urlencode

import pytest
from cluster import needs_postgresql
from django.urls import reverse

from crm.tests.views.test_contact_form import form_data
from remotelog.models import Application, LogMessage

pytestmark = [needs_postgresql, pytest.mark.django_db(transaction=True)]


def test_a_session_and_its_messages_survive_being_served_by_the_other_server(
    cluster, user, password
):
    first, second = cluster.app_servers
    browser = first.client()
    login = {"username": user.username, "password": password}
    assert browser.post(reverse("login"), login).status_code == 302
    saved = browser.post(reverse("crm:contact_create"), form_data("Ada Lovelace"))
    assert saved.status_code == 302, saved.content[:500]

    # The same browser's next request goes to the other server.
    elsewhere = second.client(cookies=browser.browser.cookies)
    page = elsewhere.get(saved.url)
    assert page.status_code == 200, cluster.log_text()
    assert b"Contact saved." in page.content
    assert b"Ada Lovelace" in page.content
    # Shown once, wherever the browser goes next.
    back = first.client(cookies=elsewhere.browser.cookies).get(saved.url)
    assert back.status_code == 200
    assert b"Contact saved." not in back.content


def test_failed_logins_on_both_servers_count_together(cluster, user, password):
    """django-axes keeps its counts in the database: five failures anywhere lock the login out."""
    wrong = {"username": user.username, "password": "not the password"}
    # The form again for the first four, wherever they land; the fifth locks the login out.
    for turn, expected in enumerate([200, 200, 200, 200, 429]):
        answer = cluster.app_servers[turn % 2].client().post(reverse("login"), wrong)
        assert answer.status_code == expected, (turn, answer.content[-1500:])
    right = {"username": user.username, "password": password}
    for app_server in cluster.app_servers:
        answer = app_server.client().post(reverse("login"), right)
        assert answer.status_code == 429, answer.content[:500]


def send_record(app_server, slug, secret, message):
    """POST one record to ``app_server`` as the stock HTTPHandler does; return the status."""
    credentials = base64.b64encode(f"{slug}:{secret}".encode()).decode()
    return (
        app_server.client()
        .browser.request(
            "POST",
            reverse("remotelog:log", args=[slug]),
            body=urlencode(
                {"name": "cluster", "msg": message, "levelno": 30, "levelname": "WARNING"}
            ),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": f"Basic {credentials}",
                "X-Forwarded-Proto": "https",
            },
        )
        .status
    )


def each_server_remembers(cluster, application, secret):
    """Have every server store a record, so each remembers the application's grant."""
    for app_server in cluster.app_servers:
        status = send_record(app_server, application.slug, secret, "remembered")
        assert status == 201, cluster.log_text()


def test_a_disabled_log_application_is_refused_by_every_server_at_once(
    cluster, cluster_application
):
    application, secret = cluster_application
    each_server_remembers(cluster, application, secret)
    # Disabled elsewhere: the admin on any server, or crm-manage.
    Application.objects.filter(pk=application.pk).update(is_active=False)
    for app_server in cluster.app_servers:
        status = send_record(app_server, application.slug, secret, "after")
        assert status == 401, cluster.log_text()
    assert LogMessage.objects.count() == len(cluster.app_servers)


def test_a_rotated_log_secret_is_refused_by_every_server_at_once(cluster, cluster_application):
    application, old = cluster_application
    each_server_remembers(cluster, application, old)
    new = application.set_new_secret()
    application.save()
    for app_server in cluster.app_servers:
        assert send_record(app_server, application.slug, old, "old secret") == 401
        assert send_record(app_server, application.slug, new, "new secret") == 201
    assert LogMessage.objects.filter(msg="old secret").count() == 0
    assert LogMessage.objects.filter(msg="new secret").count() == len(cluster.app_servers)
