"""Request the site through Django's test client in a fresh interpreter.

``python -m crm.tests.production_probe`` prints what a browser would see from
the settings in the environment as JSON: status codes, security headers and
cookie flags. The tests run it with a production environment, which a test
process (configured for development) cannot load into itself.
"""

import json
import os

import django

HOST = "crm.example.org"
PASSWORD = "a long probe password"


def cookie_flags(response):
    return {
        name: {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"])}
        for name, morsel in response.cookies.items()
    }


def probe():
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.template import engines
    from django.test import Client

    call_command("migrate", verbosity=0)
    get_user_model().objects.create_user("probe", password=PASSWORD)
    client = Client(HTTP_HOST=HOST)
    page = client.get("/accounts/login/", secure=True)
    login = client.post(
        "/accounts/login/",
        {"username": "probe", "password": PASSWORD},
        secure=True,
    )
    home = client.get("/", secure=True)
    export = client.get("/contacts/export.csv", secure=True)
    missing = client.get("/no-such-page/", secure=True)
    return {
        "plain_http": {
            "status": (plain := Client(HTTP_HOST=HOST).get("/accounts/login/")).status_code,
            "location": plain.get("Location"),
        },
        "forwarded_https": Client(HTTP_HOST=HOST)
        .get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
        .status_code,
        "login_page": {
            "status": page.status_code,
            "headers": dict(page.headers),
            "cookies": cookie_flags(page),
        },
        "login": {"status": login.status_code, "cookies": cookie_flags(login)},
        "home": {"status": home.status_code, "headers": dict(home.headers)},
        "export": {"status": export.status_code, "headers": dict(export.headers)},
        "not_found": {"status": missing.status_code, "body": missing.content.decode()},
        "template_loaders": [
            type(loader).__module__ + "." + type(loader).__name__
            for loader in engines["django"].engine.template_loaders
        ],
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    django.setup()
    print(json.dumps(probe()))
