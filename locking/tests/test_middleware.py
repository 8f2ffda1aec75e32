import pytest

from crm.models import Contact

from .threads import LockHeldElsewhere

pytestmark = [pytest.mark.urls("locking.tests.urls"), pytest.mark.django_db(transaction=True)]


def test_lock_not_available_becomes_a_busy_page_with_retry_after(logged_in_client):
    response = logged_in_client.get("/busy/?page=2")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "Busy, please try again" in page
    assert "nothing was saved" in page
    assert 'href="/busy/?page=2"' in page


def test_retry_after_follows_the_setting(logged_in_client, settings):
    settings.LOCKING_RETRY_AFTER = 7
    response = logged_in_client.get("/busy/")
    assert response["Retry-After"] == "7"
    assert "Wait 7 seconds" in response.content.decode()


def test_a_form_held_up_by_a_lock_is_answered_busy_and_can_be_sent_again(logged_in_client):
    with LockHeldElsewhere(Contact, mode="SHARE ROW EXCLUSIVE"):
        response = logged_in_client.post(
            "/contacts/create/", {"name": "Ada"}, headers={"referer": "http://testserver/form/"}
        )
        assert response.status_code == 503
        assert 'href="http://testserver/form/"' in response.content.decode()
        assert not Contact.objects.exists()
    response = logged_in_client.post("/contacts/create/", {"name": "Ada"})
    assert response.status_code == 201
    assert Contact.objects.get().name == "Ada"


def test_a_foreign_referer_is_not_offered(logged_in_client):
    response = logged_in_client.post("/busy/", headers={"referer": "https://evil.example/"})
    assert response.status_code == 503
    assert "evil.example" not in response.content.decode()


def test_other_exceptions_are_left_alone(logged_in_client):
    with pytest.raises(RuntimeError):
        logged_in_client.get("/fails/")
