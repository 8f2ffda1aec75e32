"""The API's schema declares its errors as problems, where any operation may answer them."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture
def schema():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", method, operation


def test_every_error_is_a_problem(schema):
    assert schema["openapi"].startswith("3.1")
    assert {"Problem", "FieldError"} <= set(schema["components"]["schemas"])
    errors = 0
    for name, _, operation in operations(schema):
        for status, response in operation["responses"].items():
            if 400 <= int(status) < 500:
                errors += 1
                assert response["content"] == PROBLEM, (name, status)
    assert errors


def test_what_any_authenticated_operation_may_answer_is_declared_on_each(schema):
    for name, method, operation in operations(schema):
        declared = set(operation["responses"])
        assert operation["security"] == [{"TokenAuth": []}, {"SessionAuth": []}], name
        assert {"401", "429"} <= declared, name
        if method in ("post", "put", "patch", "delete"):
            assert {"400", "403", "413"} <= declared, name
        assert "Retry-After" in operation["responses"]["429"]["headers"], name
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"], name
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_the_schema_is_openapi_3_1_and_says_what_everything_is(schema):
    assert schema["openapi"].startswith("3.1")
    undescribed = [
        f"{name}.{field}"
        for name, component in schema["components"]["schemas"].items()
        for field, value in component.get("properties", {}).items()
        if "description" not in value
    ]
    assert undescribed == []
    for label, _method, operation in operations(schema):
        assert operation.get("summary") and operation.get("description"), label
        for parameter in operation.get("parameters", []):
            assert "description" in parameter or "description" in parameter["schema"], (
                label,
                parameter["name"],
            )


def test_the_documentation_page_is_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"/api/openapi.json" in response.content
