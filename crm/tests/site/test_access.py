import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/admin/"])
def test_anonymous_requests_redirect_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert (
        response["Location"].startswith(reverse("login")) or "/admin/login/" in response["Location"]
    )


def test_home_requires_login_and_redirects_back(client):
    response = client.get("/")
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_admin_refuses_a_user_who_is_not_staff(client, user):
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_welcomes_staff(client, staff_user):
    client.force_login(staff_user)
    assert client.get("/admin/").status_code == 200


def test_login_with_a_wrong_password_shows_an_error_and_keeps_the_username(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert f'value="{user.username}"'.encode() in response.content


def test_login_then_logout(client, user, password):
    response = client.post(reverse("login"), {"username": user.username, "password": password})
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert user.username.encode() in page.content
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_logout_refuses_get(logged_in_client):
    assert logged_in_client.get(reverse("logout")).status_code == 405


def test_stylesheet_is_a_local_static_file(logged_in_client):
    page = logged_in_client.get("/").content.decode()
    assert "/static/crm/site.css" in page
    assert "//cdn" not in page and "https://" not in page


ARGUMENTS = {
    "pk": "1",
    "other_pk": "2",
    "keep_pk": "1",
    "duplicate_pk": "2",
    "app_slug": "app",
    "slug": "vip",
    "group_id": "1",
    "job_id": "1",
    "import_id": "1",
    "number": "0",
    "trashed_id": "1",
    "entry_id": "2",
    "token_id": "1",
    "webhook_id": "1",
}


def site_urls(patterns=None, prefix="", arguments=ARGUMENTS):
    """
    Yield a URL for every route of the site outside the admin and the API
    (crm/tests/api covers its own), ``arguments`` filled in.
    """
    from django.urls import URLPattern, URLResolver, get_resolver

    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(("admin/", "api/")):
            continue
        if isinstance(pattern, URLResolver):
            yield from site_urls(pattern.url_patterns, route, arguments)
        elif isinstance(pattern, URLPattern):
            yield "/" + re.sub(r"<(\w+):(\w+)>", lambda m: str(arguments[m[2]]), route)


# Deliberately public: the login page, and the log endpoints, which ask each
# application for its own credentials (401) instead of a login.
PUBLIC = {"/accounts/login/", "/remotelog/app/log/", "/remotelog/app/batch/"}


def test_every_page_but_the_public_ones_needs_a_login(client):
    urls = set(site_urls())
    assert "/contacts/1/relationships/2/remove/" in urls and urls >= PUBLIC
    for url in sorted(urls - PUBLIC):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, (url, response.status_code)
            # The staff-only log pages send visitors to the admin's login.
            login = "/admin/login/" if url.startswith("/remotelog/") else reverse("login")
            assert response["Location"].startswith(login), url
    assert client.get("/accounts/login/").status_code == 200
    for url in PUBLIC - {"/accounts/login/"}:
        assert client.post(url).status_code == 401, url


def test_every_form_outside_the_log_endpoints_needs_its_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    answers = {url: client.post(url, {"name": "x"}).status_code for url in site_urls()}
    # 403 from the CSRF check; 405 where the page takes no POST at all.
    refused = {url for url, status in answers.items() if status in (403, 405)}
    assert set(answers) - refused == {"/remotelog/app/log/", "/remotelog/app/batch/"}
    assert answers["/contacts/new/"] == answers["/contacts/1/relationships/2/remove/"] == 403
    # The login form too (an anonymous visitor's).
    assert Client(enforce_csrf_checks=True).post(reverse("login")).status_code == 403


def test_an_id_no_row_can_have_is_not_found(admin_client):
    too_large = "9" * 30
    for url in set(site_urls()):
        if "/1/" in url or "/2/" in url:
            url = url.replace("/1/", f"/{too_large}/").replace("/2/", f"/{too_large}/")
            assert admin_client.get(url).status_code in (404, 405), url
            assert admin_client.post(url).status_code in (404, 405), url
