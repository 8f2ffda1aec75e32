"""
The contact book's models: contacts and what they hold, the rows they share
(phones, addresses), tags and relationships, timeline entries, and contact
imports. One module per topic.
"""

from .api import IdempotencyKey
from .contacts import Contact, ContactDate, Email, Url
from .history import Change
from .imports import Import, ImportChunk, ImportRow
from .jobs import BulkJob
from .names import NAME_FIELDS, NAME_PARTS, display_name, list_key, sort_key
from .relationships import ContactRelationship, RelatedContactsField, RelationshipType
from .shared import (
    ADDRESS_FIELDS,
    ADDRESS_LINE,
    Address,
    ContactAddress,
    ContactPhone,
    Phone,
    address_line,
)
from .tags import Tag
from .teams import Team
from .timeline import Entry, Participation
from .tokens import ApiRequestCount, ApiToken
from .webhooks import Webhook, WebhookEvent

__all__ = [
    "ADDRESS_FIELDS",
    "ADDRESS_LINE",
    "NAME_FIELDS",
    "NAME_PARTS",
    "Address",
    "ApiRequestCount",
    "ApiToken",
    "BulkJob",
    "Change",
    "Contact",
    "ContactAddress",
    "ContactDate",
    "ContactPhone",
    "ContactRelationship",
    "Email",
    "Entry",
    "IdempotencyKey",
    "Import",
    "ImportChunk",
    "ImportRow",
    "Participation",
    "Phone",
    "RelatedContactsField",
    "RelationshipType",
    "Tag",
    "Team",
    "Url",
    "Webhook",
    "WebhookEvent",
    "address_line",
    "display_name",
    "list_key",
    "sort_key",
]
