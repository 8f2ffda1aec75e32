"""
The API's schema as the site serves it, read once when the tests are
collected, and its operations: what the generated tests walk, so that an
operation added later is tested without a change to them.
"""

import re

import schemathesis

import crm.wsgi

SCHEMA = schemathesis.openapi.from_wsgi("/api/openapi.json", crm.wsgi.application)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# Path parameters that name a contact: one the user cannot see is not found.
NAMING = {"contact_id", "other_id", "duplicate_id"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def parameters(operation) -> set[str]:
    """Return the names of the path parameters of ``operation``."""
    return set(re.findall(r"{(\w+)}", operation.path))


def url(operation, values) -> str:
    """Return the path of ``operation`` with its parameters taken from ``values``."""
    return re.sub(r"{(\w+)}", lambda match: str(values[match[1]]), operation.path)


def label(operation) -> str:
    return f"{operation.method.upper()} {operation.path}"
