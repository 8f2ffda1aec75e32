"""``GET /api/me``: who the API takes the caller for, and with what token."""

from typing import Literal

from ninja import Router, Schema
from pydantic import Field

from ..roles import ROLES
from .problems import Problem

router = Router(tags=["Account"])


class TokenInfo(Schema):
    name: str = Field(description="The token's name, as its user gave it.", max_length=100)
    prefix: str = Field(description="The token's first characters, to recognise it.")
    scope: Literal["read", "write"] = Field(description="read, or write for read and write.")


class Me(Schema):
    username: str = Field(description="The user the request acts as.")
    roles: list[str] = Field(
        description=f"The user's roles in the contact book: some of {', '.join(ROLES)}."
    )
    teams: list[str] = Field(description="The names of the user's teams.")
    token: TokenInfo | None = Field(
        description="The personal token the request came with; null with the session."
    )


@router.get(
    "/me",
    response={200: Me, 401: Problem, 429: Problem},
    summary="Who am I",
    description="The user the request acts as, their roles and teams, and the token used.",
)
def me(request):
    """Say whom the API takes the caller for."""
    user = request.user
    groups = set(user.groups.values_list("name", flat=True))
    token = getattr(request, "api_token", None)
    return {
        "username": user.get_username(),
        "roles": [role for role, group in ROLES.items() if group in groups],
        "teams": list(user.crm_teams.order_by("name").values_list("name", flat=True)),
        "token": token and {"name": token.name, "prefix": token.prefix, "scope": token.scope},
    }
