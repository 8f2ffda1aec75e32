"""Login throttling on the site login and the admin login (django-axes)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Each wrong password costs a full PBKDF2 run otherwise; these tests make dozens.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login_url(which):
    return reverse("login") if which == "site" else reverse("admin:login")


def attempt(client, url, username, password, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


@pytest.fixture(params=["site", "admin"])
def url(request):
    return login_url(request.param)


def test_wrong_passwords_lock_the_login_after_the_limit(
    client, staff_user, password, settings, url
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, url, staff_user.username, "wrong password")
        assert response.status_code == 200
        assert b"correct username and password" in response.content

    response = attempt(client, url, staff_user.username, "wrong password")
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content

    # Locked out: even the right password is refused now.
    response = attempt(client, url, staff_user.username, password)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_lifts_after_the_cool_off(client, staff_user, password, settings, url):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, url, staff_user.username, "wrong password")
    assert attempt(client, url, staff_user.username, password).status_code == 429

    # Move the recorded failures back past the cool-off instead of waiting for it.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time
        - settings.AXES_COOLOFF_TIME
        - timedelta(seconds=1)
    )
    response = attempt(client, url, staff_user.username, password)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_user.pk)


def test_a_successful_login_forgets_earlier_failures(client, user, password, settings):
    url = login_url("site")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, url, user.username, "wrong password")
    assert attempt(client, url, user.username, password).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, url, user.username, "wrong password").status_code == 200


def test_the_lock_is_per_username_and_address(client, make_user, password, settings):
    url = login_url("site")
    alice, bob = make_user("alice"), make_user("bob")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, url, alice.username, "wrong password", REMOTE_ADDR="192.0.2.1")

    assert (
        attempt(client, url, alice.username, password, REMOTE_ADDR="192.0.2.1").status_code == 429
    )
    # Another user from the same address, and the same user from elsewhere, log in.
    assert attempt(client, url, bob.username, password, REMOTE_ADDR="192.0.2.1").status_code == 302
    client.logout()
    assert (
        attempt(client, url, alice.username, password, REMOTE_ADDR="192.0.2.2").status_code == 302
    )


def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended(client, user, password, settings):
    settings.AXES_CLIENT_IP_CALLABLE = "crm.site.throttling.client_ip_behind_proxy"
    url = login_url("site")
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The attacker varies the part of the header it controls; it does not help.
        forwarded = f"10.0.0.{n}, 192.0.2.1"
        attempt(client, url, user.username, "wrong", HTTP_X_FORWARDED_FOR=forwarded, **proxy)

    locked = attempt(
        client, url, user.username, password, HTTP_X_FORWARDED_FOR="192.0.2.1", **proxy
    )
    assert locked.status_code == 429
    # Someone else behind the same proxy is not locked out.
    other = attempt(client, url, user.username, password, HTTP_X_FORWARDED_FOR="192.0.2.9", **proxy)
    assert other.status_code == 302


def test_logins_without_a_request_are_not_throttled(client, user, password, settings):
    url = login_url("site")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, url, user.username, "wrong password")
    # The test client's login() calls authenticate() without a request, as
    # management commands do; there is no address to throttle.
    assert client.login(username=user.username, password=password)
    assert not client.login(username=user.username, password="wrong password")


@pytest.mark.parametrize("username", ["x" * 10_000, "nul\x00in the name", ""])
def test_a_username_no_user_can_have_is_a_plain_failed_login(client, url, settings, username):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, url, username, "wrong password")
        assert response.status_code == 200
        assert response.context["form"].errors
    if username.isprintable() and username:
        # Still counted, so it is still throttled.
        assert attempt(client, url, username, "wrong password").status_code == 429
