"""
The API's rate limit (crm.api.limits): CRM_API_RATE_LIMIT requests per
window for each token and each signed-in user, counted in the database.

The limits here are per day, so that no window ends during a test.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from crm.api.limits import Rate, parse_rate
from crm.checks import check_settings
from crm.models import ApiRequestCount, ApiToken
from locking.testing import test_concurrently

from .conftest import api_client

PROBLEM = "application/problem+json"


@pytest.mark.django_db
@override_settings(CRM_API_RATE_LIMIT="3/day")
def test_the_request_over_the_limit_answers_429_with_retry_after(editor, token_for):
    script = api_client(token_for(editor))
    assert [script.get("/api/me").status_code for _ in range(3)] == [200, 200, 200]
    response = script.get("/api/me")
    assert response.status_code == 429 and response["Content-Type"] == PROBLEM
    seconds = int(response["Retry-After"])
    assert 1 <= seconds <= 86400
    assert response.json()["detail"] == f"Too many requests: try again in {seconds} seconds."
    assert script.get("/api/me").status_code == 429, "refused requests count too"


@pytest.mark.django_db
@override_settings(CRM_API_RATE_LIMIT="2/day")
def test_tokens_and_sessions_are_counted_apart(editor, viewer, token_for):
    first, second = api_client(token_for(editor)), api_client(token_for(editor))
    other = api_client(token_for(viewer))
    for _ in range(2):
        assert first.get("/api/me").status_code == 200
    assert first.get("/api/me").status_code == 429
    assert second.get("/api/me").status_code == 200
    assert other.get("/api/me").status_code == 200
    browser = Client()
    browser.force_login(editor)
    assert [browser.get("/api/me").status_code for _ in range(3)] == [200, 200, 429]
    a, b, c = ApiToken.objects.order_by("pk").values_list("pk", flat=True)
    assert dict(ApiRequestCount.objects.values_list("client", "hits")) == {
        f"token:{a}": 3,
        f"token:{b}": 1,
        f"token:{c}": 1,
        f"user:{editor.pk}": 3,
    }


@pytest.mark.django_db
def test_a_request_costs_one_statement_of_counting(editor, token_for):
    script = api_client(token_for(editor))
    script.get("/api/me")
    with CaptureQueriesContext(connection) as queries:
        script.get("/api/me")
    counting = [q["sql"] for q in queries if "crm_apirequestcount" in q["sql"]]
    assert len(counting) == 1 and counting[0].startswith("INSERT")


@pytest.mark.django_db
def test_anonymous_requests_are_refused_before_they_are_counted():
    assert Client().get("/api/me").status_code == 401
    assert not ApiRequestCount.objects.exists()


THREADS = 16
LIMIT = 10


@pytest.mark.django_db(transaction=True)
@override_settings(CRM_API_RATE_LIMIT=f"{LIMIT}/day")
def test_concurrent_requests_are_each_counted_once(editor, token_for):
    secret = token_for(editor)
    answers = []

    @test_concurrently(THREADS)
    def call():
        answers.append(api_client(secret).get("/api/me").status_code)

    call()
    assert sorted(answers) == [200] * LIMIT + [429] * (THREADS - LIMIT)
    assert ApiRequestCount.objects.get().hits == THREADS


@pytest.mark.parametrize(
    "text, rate",
    [("600/minute", Rate(600, 60)), (" 5 / second", Rate(5, 1)), ("1/day", Rate(1, 86400))],
)
def test_rates_are_read_from_the_setting(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "600", "0/minute", "-1/hour", "10/fortnight", "ten/day"])
def test_a_setting_that_is_no_rate_stops_the_site(text):
    with override_settings(CRM_API_RATE_LIMIT=text):
        errors = [error for error in check_settings(None) if error.id == "crm.E006"]
    assert len(errors) == 1 and repr(text) in errors[0].msg
    with override_settings(CRM_API_RATE_LIMIT="100/hour"):
        assert not [error for error in check_settings(None) if error.id == "crm.E006"]
