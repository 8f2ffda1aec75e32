"""
Schemathesis over every operation of /api/openapi.json, with a read and
write token of each role on a small book: never a 5xx, every answer as the
schema says (status codes, content types, bodies, problems included).

The operations come from the schema itself, so those added later are fuzzed
without a change here. Examples are few and derandomized per operation,
which keeps the run short and the same from one run to the next.
"""

import pytest
from django.utils.timezone import now
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from crm.models import Tag, Team
from crm.services.relationships import relationship_add
from crm.services.timeline import entry_add
from crm.tests.factories import make_contact

from .conftest import bearer
from .openapi import SCHEMA

# Per operation and generation mode (valid, invalid): enough to reach each
# operation's answers (success, 404, 422...), few enough for some sixty
# operations to run in well under a minute on either database.
EXAMPLES = 5


@pytest.fixture
def book(db, role_users):
    """A few contacts in two teams, related, tagged, with a timeline entry."""
    sales, support = Team.objects.create(name="Sales"), Team.objects.create(name="Support")
    for user in role_users.values():
        sales.members.add(user)
    ada = make_contact("Ada Lovelace", email="ada@example.org", phones=["555 0100"], team=sales)
    charles = make_contact("Charles Babbage", team=sales)
    grace = make_contact("Grace Hopper", team=support)
    relationship_add(contact=ada, other=charles)
    ada.tags.add(Tag.objects.create(name="VIP", slug="vip"))
    entry_add(contacts=[ada, grace], author=role_users["editors"], kind="call", at=now())
    return [ada, charles, grace]


@pytest.fixture
def role_headers(book, role_users, token_for, settings, connection_kept):
    """Return the headers sending a read and write token of each role's user, unlimited."""
    settings.CRM_API_RATE_LIMIT = "1000000/minute"
    return {role: bearer(token_for(user)) for role, user in role_users.items()}


# One test per operation of the schema the site serves.
schema = SCHEMA


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case, role_headers):
    # A valid request is sent as each role; an invalid one, refused before
    # any role matters, as one. That every operation refuses a request
    # without credentials, test_visibility.py checks once for each: this
    # check would probe twice more per example. A request the schema allows
    # may still be refused for what a schema cannot say (a phone number's
    # rules, a tag that does not exist, a cursor of another list): a 422
    # problem naming the field, which the other checks hold to the schema.
    roles = list(role_headers.values())
    if case.meta is not None and case.meta.generation.mode.is_negative:
        roles = roles[-1:]
    for headers in roles:
        case.call_and_validate(
            headers=headers, excluded_checks=[ignored_auth, positive_data_acceptance]
        )
