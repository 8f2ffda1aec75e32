import pytest
from django.core import checks


def locking_errors():
    return [message.id for message in checks.run_checks() if message.id.startswith("locking.")]


def test_the_default_retry_after_passes():
    assert locking_errors() == []


@pytest.mark.parametrize("value", [0, -1, 2.5, "2", True])
def test_a_bad_retry_after_is_reported(settings, value):
    settings.LOCKING_RETRY_AFTER = value
    assert locking_errors() == ["locking.E001"]
