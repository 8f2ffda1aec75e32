"""
Uploading a file to import (whole, or in chunks as imports.js sends it), its
options and mapping, CSRF on every POST, and a whole import through the
real worker: preview, commit, undo.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from crm.imports.readers import MAX_IMPORT_BYTES
from crm.imports.storage import CHUNK_BYTES
from crm.imports.worker import run_pending
from crm.models import Contact, Import

from .imports_data import GOOGLE_CSV, make_import, upload

pytestmark = pytest.mark.django_db
Status = Import.Status
LIST = reverse("crm:import_list")
START = reverse("crm:import_start")


def start(client, *, size, name="contacts.csv"):
    return client.post(START, {"name": name, "size": size})


def send(client, response_json, number, data):
    url = f"{response_json['chunk_url']}{number}/"
    return client.post(url, data, content_type="application/octet-stream")


def test_a_file_posted_whole_is_stored_and_read(logged_in_client, user):
    response = logged_in_client.post(LIST, {"file": upload()})
    import_run = Import.objects.get()
    assert response.status_code == 302 and response.url == import_run.get_absolute_url()
    assert (import_run.author, import_run.file_name, import_run.size) == (
        user,
        "contacts.csv",
        len(GOOGLE_CSV),
    )
    assert import_run.status == Status.UPLOADED
    assert (import_run.format, import_run.layout) == ("csv", "google")
    page = logged_in_client.get(response.url).content.decode()
    assert "Recognised as a Google Contacts CSV" in page


def test_a_file_too_big_to_post_whole_is_refused_with_the_way_out(logged_in_client):
    content = b"Name,Email\n" + b"A,a@example.org\n" * (2 * 1024 * 1024 // 16)
    response = logged_in_client.post(LIST, {"file": upload(content)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Without JavaScript this page takes files up to 1.5 MiB" in page
    assert not Import.objects.exists()


def test_an_unreadable_file_posted_whole_fails_with_its_reason(logged_in_client):
    logged_in_client.post(LIST, {"file": upload(b"\x00\x01\x02binary\xff" * 50, "photo.csv")})
    import_run = Import.objects.get()
    assert import_run.status == Status.FAILED and import_run.error
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    assert "The import failed" in page and "Nothing was written" in page
    assert not Contact.objects.exists()


def test_a_chunked_upload_then_its_inspection(logged_in_client):
    content = GOOGLE_CSV
    answer = start(logged_in_client, size=len(content))
    assert answer.status_code == 201
    started = answer.json()
    import_run = Import.objects.get(pk=started["id"])
    assert started["chunk_url"] == f"/contacts/import/{import_run.pk}/chunk/"
    half = len(content) // 2
    assert send(logged_in_client, started, 0, content[:half]).json() == {
        "number": 0,
        "received": half,
    }
    assert send(logged_in_client, started, 1, content[half:]).status_code == 200
    inspected = logged_in_client.post(started["inspect_url"])
    assert inspected.json() == {"url": import_run.get_absolute_url()}
    import_run.refresh_from_db()
    assert import_run.status == Status.UPLOADED and import_run.layout == "google"


def test_the_start_refuses_an_empty_or_too_big_file(logged_in_client):
    assert start(logged_in_client, size=0).json() == {"error": "The file is empty."}
    response = start(logged_in_client, size=MAX_IMPORT_BYTES + 1)
    assert response.status_code == 400
    assert "an import takes files up to" in response.json()["error"]
    assert not Import.objects.exists()


def test_a_chunk_too_big_is_refused_before_it_is_read(logged_in_client):
    started = start(logged_in_client, size=3 * CHUNK_BYTES).json()
    response = send(logged_in_client, started, 0, b"x" * (CHUNK_BYTES + 1))
    assert response.status_code == 413
    assert response.json() == {
        "error": f"A chunk is at most {CHUNK_BYTES:,} bytes; this one has {CHUNK_BYTES + 1:,}."
    }
    assert not Import.objects.get().chunks.exists()


def test_chunks_out_of_order_or_twice_are_refused(logged_in_client):
    started = start(logged_in_client, size=30).json()
    response = send(logged_in_client, started, 1, b"b" * 10)
    assert response.status_code == 409
    assert response.json()["error"].startswith("Chunk 0 was expected, not chunk 1")
    assert send(logged_in_client, started, 0, b"a" * 10).status_code == 200
    response = send(logged_in_client, started, 0, b"a" * 10)
    assert response.status_code == 409
    assert response.json()["error"].startswith("Chunk 1 was expected, not chunk 0")
    assert list(Import.objects.get().chunks.values_list("number", flat=True)) == [0]


def test_more_bytes_than_announced_are_refused(logged_in_client):
    started = start(logged_in_client, size=10).json()
    response = send(logged_in_client, started, 0, b"a" * 11)
    assert response.status_code == 413
    assert "longer than the 10 bytes announced" in response.json()["error"]


def test_an_empty_chunk_is_refused(logged_in_client):
    started = start(logged_in_client, size=10).json()
    response = send(logged_in_client, started, 0, b"")
    assert (response.status_code, response.json()) == (400, {"error": "The chunk is empty."})


def test_an_incomplete_upload_is_not_inspected(logged_in_client):
    started = start(logged_in_client, size=len(GOOGLE_CSV)).json()
    send(logged_in_client, started, 0, GOOGLE_CSV[:20])
    response = logged_in_client.post(started["inspect_url"])
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"The upload is incomplete: 20 of {len(GOOGLE_CSV)}")
    assert Import.objects.get().status == Status.UPLOADING


def test_no_chunk_once_the_file_is_read(logged_in_client, user):
    import_run = make_import(user)
    response = logged_in_client.post(
        reverse("crm:import_chunk", args=[import_run.pk, 0]),
        b"more",
        content_type="application/octet-stream",
    )
    assert response.status_code == 409
    assert "has its whole file already" in response.json()["error"]


def test_every_post_needs_its_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    import_run = make_import(user, status=Status.UPLOADING, format="")
    posts = [
        (LIST, {"file": upload()}),
        (START, {"name": "a.csv", "size": "10"}),
        (reverse("crm:import_chunk", args=[import_run.pk, 0]), {}),
        (reverse("crm:import_inspect", args=[import_run.pk]), {}),
        (reverse("crm:import_options", args=[import_run.pk]), {"match": "email"}),
        (reverse("crm:import_commit", args=[import_run.pk]), {}),
        (reverse("crm:import_undo", args=[import_run.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert Import.objects.count() == 1 and not import_run.chunks.exists()
    # With the token (a header, as imports.js sends it) the same chunk is taken.
    token = client.get(LIST).cookies["csrftoken"].value
    response = client.post(
        reverse("crm:import_chunk", args=[import_run.pk, 0]),
        b"Who\n",
        content_type="application/octet-stream",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert import_run.chunks.get().number == 0


def options(import_run, **data):
    return reverse("crm:import_options", args=[import_run.pk]), {
        "match": "email",
        "on_match": "skip",
        **data,
    }


def test_a_field_chosen_twice_is_an_error_that_keeps_every_choice(logged_in_client, user):
    import_run = make_import(user)
    url, data = options(
        import_run,
        match="phone",
        on_match="update",
        column_0="given_name",
        column_1="email.work",
        column_2="given_name",
    )
    response = logged_in_client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "“Given name” is already filled by the column “Who”." in page
    assert re.search(r'name="match" value="phone"[^>]* checked>', page)
    assert re.search(r'name="on_match" value="update"[^>]* checked>', page)
    assert page.count('<option value="given_name" selected>') == 2
    assert '<option value="email.work" selected>' in page
    import_run.refresh_from_db()
    assert (import_run.status, import_run.match) == (Status.UPLOADED, "email")


def test_emails_may_come_from_several_columns(logged_in_client, user):
    import_run = make_import(user)
    url, data = options(
        import_run, column_0="full_name", column_1="email.work", column_2="email.work"
    )
    response = logged_in_client.post(url, data)
    assert response.status_code == 302
    import_run.refresh_from_db()
    assert import_run.status == Status.PREVIEW_QUEUED
    assert import_run.mapping == ["full_name", "email.work", "email.work"]


def test_every_column_ignored_is_an_error(logged_in_client, user):
    import_run = make_import(user)
    url, data = options(import_run, column_0="", column_1="", column_2="")
    page = logged_in_client.post(url, data).content.decode()
    assert "Choose a field for at least one column." in page
    assert Import.objects.get().status == Status.UPLOADED


def test_an_unknown_field_or_option_is_an_error(logged_in_client, user):
    import_run = make_import(user)
    url, data = options(import_run, match="shoe size", column_0="password", column_1="email.home")
    page = logged_in_client.post(url, data).content.decode()
    assert "Select a valid choice. shoe size is not one of the available choices." in page
    assert "Select a valid choice. password is not one of the available choices." in page
    assert Import.objects.get().status == Status.UPLOADED


def test_options_cannot_change_once_committed(logged_in_client, user, shown):
    import_run = make_import(user, status=Status.COMMITTED)
    url, data = options(import_run, column_0="full_name")
    response = logged_in_client.post(url, data, follow=True)
    assert shown(response) == ["The options of this import can no longer be changed."]
    assert Import.objects.get().status == Status.COMMITTED


def test_a_google_file_previewed_committed_and_undone_by_the_worker(logged_in_client, shown):
    logged_in_client.post(LIST, {"file": upload()})
    import_run = Import.objects.get()
    # As the page posts it: each column's select, prefilled with the layout's mapping.
    columns = {f"column_{i}": key for i, key in enumerate(import_run.mapping)}
    url, data = options(import_run, **columns)
    assert logged_in_client.post(url, data).status_code == 302
    assert (
        "Waiting for the import worker"
        in logged_in_client.get(import_run.get_absolute_url()).content.decode()
    )

    assert run_pending() == 1
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    assert "<strong>2</strong> To create" in page and "<strong>1</strong> With errors" in page
    assert "Ada Lovelace" in page and "Import 2 contacts" in page
    errors = logged_in_client.get(reverse("crm:import_errors", args=[import_run.pk]))
    assert "grace@" in b"".join(errors.streaming_content).decode("utf-8-sig")
    assert not Contact.objects.exists()

    logged_in_client.post(reverse("crm:import_commit", args=[import_run.pk]))
    # A second click finds the import queued already: nothing twice.
    response = logged_in_client.post(
        reverse("crm:import_commit", args=[import_run.pk]), follow=True
    )
    assert shown(response) == ["Cannot import: the import is waiting to import."]
    assert run_pending() == 1
    assert sorted(Contact.objects.values_list("name", flat=True)) == [
        "Ada Lovelace",
        "Charles Babbage",
    ]
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    assert "Undo this import" in page
    ada = Contact.objects.get(name="Ada Lovelace")
    assert f'href="{ada.get_absolute_url()}"' in page

    confirm = logged_in_client.get(
        reverse("crm:import_undo", args=[import_run.pk])
    ).content.decode()
    assert "2 contacts the import created will be removed." in confirm
    logged_in_client.post(reverse("crm:import_undo", args=[import_run.pk]))
    assert run_pending() == 1
    assert not Contact.objects.exists()
    page = logged_in_client.get(import_run.get_absolute_url()).content.decode()
    assert "Every contact the import created was removed" in page
