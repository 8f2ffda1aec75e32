"""What every API answer carries: problems for every error, and no shared caching."""

import pytest

from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_an_answer_is_private_to_its_user(logged_in_client):
    response = logged_in_client.get("/api/me")
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]


def test_a_method_a_path_does_not_take_is_a_problem(logged_in_client):
    response = logged_in_client.delete("/api/me")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 405
    assert "GET" in response["Allow"]


def test_a_refused_body_value_is_named_as_the_client_sent_it(logged_in_client):
    contact = make_contact("Ada Lovelace")
    response = logged_in_client.post(
        f"/api/contacts/{contact.pk}/timeline", {"kind": 7}, content_type="application/json"
    )
    assert response.status_code == 422
    fields = [error["field"] for error in response.json()["errors"]]
    assert "body.kind" in fields, fields


def test_a_path_no_operation_takes_is_a_problem_but_the_site_keeps_its_page(logged_in_client):
    response = logged_in_client.get("/api/contacts/abc")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    page = logged_in_client.get("/contacts/abc/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
