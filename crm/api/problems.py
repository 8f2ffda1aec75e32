"""
Errors as ``application/problem+json`` (RFC 9457).

Every error the API answers is a problem document: ``type`` (a URI naming
the kind of problem, here "about:blank" with the status's own meaning),
``title`` (the status's phrase), ``status``, ``detail`` (what went wrong, for
a person) and, for bad input, ``errors``: one ``{"field", "message"}`` per
field refused, ``field`` a dotted path such as ``body.emails.0.address``.
"""

from http import HTTPStatus

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from pydantic import Field

from ..exceptions import ContactBookError

MEDIA_TYPE = "application/problem+json"


class FieldError(Schema):
    field: str = Field(description="Where the value was refused: body.name, query.page...")
    message: str = Field(description="Why, for a person.")


class Problem(Schema):
    """An error, as RFC 9457 describes."""

    type: str = Field("about:blank", description="A URI naming the kind of problem.")
    title: str = Field(description="The HTTP status's phrase.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field("", description="What went wrong, for a person.")
    errors: list[FieldError] = Field(
        default_factory=list, description="The fields refused, when the input was bad."
    )


def problem(status: int, detail: str = "", *, errors=(), headers=None) -> JsonResponse:
    """Return the problem response of ``status``, saying ``detail``."""
    body = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=[FieldError(**error) for error in errors],
    )
    response = JsonResponse(body.model_dump(), status=status, content_type=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field(location) -> str:
    """
    Return a refused value's place as a dotted path. Ninja names the body by
    its parameter (``body.payload.name``): the client knows it as ``body.name``.
    """
    location = tuple(location)
    # Every operation names its body parameter ``payload``; errors made by
    # hand (a form's, crm/api/editing.py) name the body's field directly.
    if location[:2] == ("body", "payload"):
        location = ("body", *location[2:])
    return ".".join(str(part) for part in location)


def _validation(request, exc: ValidationError):
    errors = [
        {"field": _field(error.get("loc", ())), "message": error.get("msg", "Invalid value.")}
        for error in exc.errors
    ]
    return problem(422, "Some values were refused: see errors.", errors=errors)


def _authentication(request, exc):
    return problem(
        401,
        "Send a personal token (Authorization: Bearer ...) or sign in.",
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


def _http(request, exc: HttpError):
    return problem(exc.status_code, str(exc))


def _not_found(request, exc):
    return problem(404, "Not found.")


def _forbidden(request, exc):
    return problem(403, str(exc) or "You may not do this.")


def _conflict(request, exc):
    return problem(409, str(exc))


def _throttled(request, exc):
    # crm.api.limits.RateLimit notes when the window ends on the request.
    seconds = getattr(request, "api_retry_after", 1)
    return problem(
        429,
        f"Too many requests: try again in {seconds} seconds.",
        headers={"Retry-After": str(seconds)},
    )


def _too_big(request, exc):
    return problem(413, "The request body is larger than the server accepts.")


def install(api) -> None:
    """Make ``api`` answer its errors as problems."""
    api.add_exception_handler(ValidationError, _validation)
    api.add_exception_handler(AuthenticationError, _authentication)
    api.add_exception_handler(HttpError, _http)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(PermissionDenied, _forbidden)
    api.add_exception_handler(ContactBookError, _conflict)
    api.add_exception_handler(Throttled, _throttled)
    api.add_exception_handler(RequestDataTooBig, _too_big)


# What every operation may answer besides its success, for ``response=``.
ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem}

# What any operation behind authentication may answer, whether it says so or
# not: no or a bad token (401), over the rate limit (429); a write, also a
# read-only token or a missing CSRF token (403), a body too large (413) or
# not JSON (400). ``document()`` declares them on every operation.
AUTHENTICATED = {401: "Not signed in: no token, or a token refused.", 429: "Too many requests."}
WRITES = {
    400: "The body is not valid JSON.",
    403: "Not allowed: a read-only token, a missing CSRF token or the role's permission.",
    413: "The body is larger than the server accepts.",
}
_REF = "#/components/schemas/Problem"
# The headers that come with some errors.
HEADERS = {
    401: {"WWW-Authenticate": "How to authenticate: Bearer, with a personal token."},
    429: {"Retry-After": "Seconds until the rate limit's window ends."},
}


def _described(headers):
    return {
        name: {"description": description, "schema": {"type": "string"}}
        for name, description in headers.items()
    }


def document(schema: dict) -> dict:
    """
    Return the OpenAPI ``schema`` with every error response (4xx) declared
    as ``application/problem+json`` with the Problem schema, and the errors
    every authenticated operation may answer declared on each.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    definition = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(definition.pop("$defs", {}))
    components.setdefault("Problem", definition)
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            declared = {**(AUTHENTICATED if operation.get("security") else {})}
            if operation.get("security") and method not in ("get", "head", "options"):
                declared.update(WRITES)
            for status, description in declared.items():
                responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if 400 <= int(status) < 500:
                    response["content"] = {MEDIA_TYPE: {"schema": {"$ref": _REF}}}
                if int(status) in HEADERS:
                    response["headers"] = _described(HEADERS[int(status)])
    return schema
