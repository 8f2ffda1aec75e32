"""The driver production builds from source is the one the tests run, prebuilt."""

import re

from servers import BASE_DIR


def pinned(name, requirements):
    """Return the version ``requirements`` pins ``name`` to."""
    text = (BASE_DIR / requirements).read_text()
    return re.search(rf"^{re.escape(name)}==(\S+)", text, flags=re.M).group(1)


def test_production_builds_the_version_the_tests_run():
    production = pinned("psycopg2", "requirements-production.txt")
    assert production == pinned("psycopg2-binary", "requirements-dev.txt")


def test_production_never_takes_a_prebuilt_driver():
    lines = (BASE_DIR / "requirements-production.txt").read_text().splitlines()
    assert "--no-binary psycopg2" in lines
    assert not any(line.startswith("psycopg2-binary") for line in lines)


def test_runtime_requirements_name_no_driver():
    # Both files include it: a driver there would be installed beside their own.
    lines = (BASE_DIR / "requirements.txt").read_text().splitlines()
    assert not any(line.startswith("psycopg2") for line in lines)
