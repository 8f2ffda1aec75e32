"""Fixtures of the contact book's tests: the usual contacts and relationship types."""

import pytest

from .factories import make_contact, make_relationship_types


@pytest.fixture
def ada(db):
    return make_contact("Ada Lovelace")


@pytest.fixture
def charles(db):
    return make_contact("Charles Babbage", email="charles@example.org")


@pytest.fixture
def relationship_types(db):
    """Return the types Colleague, Friend and Mentor, by name."""
    return make_relationship_types("Colleague", "Friend", "Mentor")


@pytest.fixture
def colleague(relationship_types):
    return relationship_types["Colleague"]


@pytest.fixture
def friend(relationship_types):
    return relationship_types["Friend"]


@pytest.fixture
def messages_of():
    """Return a function listing the flash messages a response's page was given."""

    def messages_of(response):
        return [str(message) for message in response.context["messages"]]

    return messages_of
