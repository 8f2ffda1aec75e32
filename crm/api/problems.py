"""
Errors as ``application/problem+json`` (RFC 9457).

Every error the API answers is a problem document: ``type`` (a URI naming
the kind of problem, here "about:blank" with the status's own meaning),
``title`` (the status's phrase), ``status``, ``detail`` (what went wrong, for
a person) and, for bad input, ``errors``: one ``{"field", "message"}`` per
field refused, ``field`` a dotted path such as ``body.emails.0.address``.
"""

from http import HTTPStatus

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
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
    # ninja nests a body under its parameter's name, ``payload`` in every
    # operation: the client knows the body, not the parameter.
    if tuple(location[:2]) == ("body", "payload"):
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


def install(api) -> None:
    """Make ``api`` answer its errors as problems."""
    api.add_exception_handler(ValidationError, _validation)
    api.add_exception_handler(AuthenticationError, _authentication)
    api.add_exception_handler(HttpError, _http)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(PermissionDenied, _forbidden)
    api.add_exception_handler(ContactBookError, _conflict)


# What every operation may answer besides its success, for ``response=``.
ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem}
