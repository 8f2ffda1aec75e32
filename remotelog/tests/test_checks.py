import pytest

from remotelog.checks import check_settings


def ids(errors):
    return [error.id for error in errors]


def test_defaults_pass():
    assert check_settings(None) == []


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("REMOTELOG_MAX_BODY", 0, "remotelog.E001"),
        ("REMOTELOG_MAX_BODY", "64k", "remotelog.E001"),
        ("REMOTELOG_BATCH_MAX_RECORDS", -1, "remotelog.E002"),
        ("REMOTELOG_BATCH_MAX_BODY", 1.5, "remotelog.E003"),
        ("REMOTELOG_PURGE_CHUNK_SIZE", True, "remotelog.E004"),
        ("REMOTELOG_BATCH_MAX_BODY", 10 * 1024 * 1024, "remotelog.E005"),
        ("REMOTELOG_MAX_MESSAGE", 99, "remotelog.E006"),
        ("REMOTELOG_MAX_MESSAGE", "32k", "remotelog.E006"),
        ("REMOTELOG_OUTBOXES", ["crm.outbox.NoSuchOutbox"], "remotelog.E007"),
        ("REMOTELOG_OUTBOXES", ["remotelog.alerts.outbox.retry_at"], "remotelog.E007"),
    ],
)
def test_bad_settings_are_reported(settings, name, value, check_id):
    setattr(settings, name, value)
    assert ids(check_settings(None)) == [check_id]


def test_the_sites_outboxes_pass(settings):
    assert settings.REMOTELOG_OUTBOXES == ["crm.outbox.WebhookEvents"]
    assert check_settings(None) == []
