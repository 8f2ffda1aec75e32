"""The API's documentation page renders its operations under the site's Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_list_the_operations_with_no_script_refused(page):
    refused = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and refused.append(message.text),
    )
    page.goto("/api/docs/")
    expect(page.locator(".opblock-summary-path", has_text="/api/me")).to_be_visible()
    expect(page.get_by_text("Who am I")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert refused == []
