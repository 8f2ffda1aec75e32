"""``manage.py crm_import``: a real file imported inline, --dry-run, --owner, --undo."""

import io

import pytest
from django.core.management import CommandError, call_command

from crm.models import Contact, Import, ImportChunk, ImportRow

from .uploads import PEOPLE

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(PEOPLE)
    return path


def crm_import(*args, stdout=None, **options):
    out = stdout or io.StringIO()
    call_command("crm_import", *map(str, args), stdout=out, **options)
    return out.getvalue()


def names():
    return sorted(Contact.objects.values_list("name", flat=True))


def test_the_command_previews_commits_and_prints_the_import_id(people, staff_user):
    output = crm_import(people)
    run = Import.objects.get()
    assert (run.status, run.author, run.file_name) == (
        Import.Status.COMMITTED,
        staff_user,
        "people.csv",
    )
    assert names() == ["Ada Lovelace", "Charles Babbage"]
    lines = output.splitlines()
    # No known layout: the mapping guessed from the header is shown.
    assert lines[0].startswith("The columns were mapped by their headers")
    assert "  'First name' -> Given name" in lines
    assert (
        "Preview of people.csv: 2 to create, 0 to update, 0 to skip, 1 with errors, "
        "0 matching an earlier row of the file." in lines
    )
    assert any(line.startswith("  Line 4: ") and "not-an-email@" in line for line in lines)
    assert lines[-1] == (
        f"Imported: 2 created, 0 updated. Import id: {run.pk} "
        f"(undo with: manage.py crm_import --undo {run.pk})"
    )


def test_a_dry_run_prints_the_preview_and_writes_nothing_at_all(people, staff_user):
    output = crm_import(people, dry_run=True)
    assert "Preview of people.csv: 2 to create" in output
    assert output.endswith("Dry run: nothing was written.\n")
    assert not Import.objects.exists()
    assert not ImportChunk.objects.exists()
    assert not ImportRow.objects.exists()
    assert names() == []


def test_importing_the_same_file_again_matching_by_email_skips_what_is_there(people, staff_user):
    crm_import(people)
    output = crm_import(people, match="email", on_match="skip")
    assert "Preview of people.csv: 0 to create, 0 to update, 2 to skip" in output
    assert "Imported: 0 created, 0 updated." in output
    assert names() == ["Ada Lovelace", "Charles Babbage"]


def test_undo_by_id(people, staff_user):
    crm_import(people)
    run = Import.objects.get()
    output = crm_import(undo=run.pk)
    assert output.startswith(f"Import #{run.pk} of people.csv undone")
    assert names() == []
    run.refresh_from_db()
    assert run.status == Import.Status.UNDONE
    with pytest.raises(CommandError, match="Cannot undo the import: the import is undone"):
        crm_import(undo=run.pk)
    with pytest.raises(CommandError, match="There is no import #999999"):
        crm_import(undo=999999)
    with pytest.raises(CommandError, match="neither a FILE nor --dry-run"):
        crm_import(people, undo=run.pk)


def test_the_undo_lists_the_contacts_changed_since(people, staff_user):
    crm_import(people)
    ada = Contact.objects.get(name="Ada Lovelace")
    ada.nickname = "Ada"
    ada.save()
    output = crm_import(undo=Import.objects.get().pk)
    assert "1 contact(s) changed since the import, left as they are:" in output
    assert f"  Ada Lovelace (#{ada.pk}): " in output
    assert names() == ["Ada Lovelace"]


def test_the_owner_is_named_or_the_only_superuser(people, make_user):
    with pytest.raises(CommandError, match="--owner USER: there is no superuser"):
        crm_import(people)
    bob = make_user("bob")
    crm_import(people, owner="bob", dry_run=True)
    with pytest.raises(CommandError, match="There is no active user 'carol'"):
        crm_import(people, owner="carol")
    make_user("root1", is_superuser=True)
    make_user("root2", is_superuser=True)
    with pytest.raises(CommandError, match="there are several superusers"):
        crm_import(people)
    crm_import(people, owner="bob")
    assert Import.objects.get().author == bob


def test_a_bad_file_is_refused_with_its_reason_and_writes_no_contact(tmp_path, staff_user):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="empty.csv: "):
        crm_import(empty)
    assert Import.objects.get().status == Import.Status.FAILED
    assert names() == []
    with pytest.raises(CommandError, match="Cannot read .*missing.csv"):
        crm_import(tmp_path / "missing.csv")
    with pytest.raises(CommandError, match="Name the FILE"):
        crm_import()


def test_a_file_over_the_limit_is_refused_before_it_is_read(people, staff_user, settings):
    settings.CRM_IMPORT_MAX_BYTES = 100
    with pytest.raises(
        CommandError,
        match="people.csv: The file is 164 bytes; an import takes files up to 100 bytes.",
    ):
        crm_import(people)
    assert not Import.objects.exists()


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_sees_a_progress_bar(people, staff_user):
    output = crm_import(people, stdout=Terminal())
    assert "] 3/3 rows" in output
    assert names() == ["Ada Lovelace", "Charles Babbage"]
