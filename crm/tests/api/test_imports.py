"""
Importing through the API: a file announced, sent in chunks, inspected,
previewed, committed and undone, the worker run for real between the steps.
"""

from pathlib import Path

import pytest
from django.test import override_settings

from crm.api import imports as api_imports
from crm.imports import storage
from crm.imports.worker import run_pending
from crm.models import Contact, Email, Import, ImportChunk, Team
from crm.roles import role_set
from crm.tests.factories import make_contact
from crm.tests.imports.uploads import PEOPLE, PEOPLE_MAPPING, csv_file
from crm.tests.races.clients import logged_in_clients
from locking.testing import test_concurrently

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent.parent / "imports" / "fixtures"
API = "/api/imports/"
Status = Import.Status


class Importer:
    """Drive the import API as a client would, as ``user``."""

    def __init__(self, client, user):
        client.force_login(user)
        self.client = client

    def start(self, data, name="people.csv", status=201):
        response = self.client.post(
            API, {"file_name": name, "size": len(data)}, content_type="application/json"
        )
        assert response.status_code == status, response.content
        return response.json()

    def put(self, url, data):
        return self.client.put(url, data, content_type="application/octet-stream")

    def chunk(self, started, number, data):
        url = started["upload"]["url_template"].replace("{number}", str(number))
        return self.put(url, data)

    def send(self, started, data, order=None):
        size = started["upload"]["chunk_size"]
        pieces = [data[i : i + size] for i in range(0, len(data), size)]
        assert len(pieces) == started["upload"]["chunks_expected"]
        for number in order or range(len(pieces)):
            response = self.chunk(started, number, pieces[number])
            assert response.status_code == 204, response.content

    def post(self, url, body=None):
        return self.client.post(url, body or {}, content_type="application/json")

    def get(self, url, **params):
        return self.client.get(url, params)

    def uploaded(self, data, name="people.csv"):
        """Start, send and inspect ``data``; return the import as the inspection answers it."""
        started = self.start(data, name)
        self.send(started, data)
        response = self.post(f"{started['url']}/inspect")
        assert response.status_code == 200, response.content
        return response.json()

    def step(self, run, action, body=None, status=202):
        response = self.post(f"{run['url']}/{action}", body)
        assert response.status_code == status, response.content
        return response

    def worked(self, run):
        """Run the worker on what is queued; return the import as the API then shows it."""
        assert run_pending(once=False) >= 1
        response = self.get(run["url"])
        assert response.status_code == 200
        return response.json()


@pytest.fixture
def importer(client, user):
    return Importer(client, user)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 500 bytes, so that the small fixture files take several."""
    monkeypatch.setattr(storage, "CHUNK_BYTES", 500)


def emails():
    return sorted(Email.objects.values_list("address", flat=True))


def test_a_google_csv_in_chunks_previewed_committed_and_undone(importer, small_chunks):
    data = (FIXTURES / "google.csv").read_bytes()
    started = importer.start(data, "google.csv")
    assert started["status"] == "uploading"
    assert started["upload"] == {
        "chunk_size": 500,
        "chunks_expected": 3,
        "chunks_received": 0,
        "url_template": f"/api/imports/{started['id']}/chunks/{{number}}",
    }
    assert started["url"] == f"/api/imports/{started['id']}"
    # In any order, one sent twice (a retry): the file is as it was.
    importer.send(started, data, order=[2, 0, 1, 1])
    run = importer.get(started["url"]).json()
    assert run["upload"]["chunks_received"] == 3

    run = importer.post(f"{started['url']}/inspect").json()
    assert run["status"] == "uploaded"
    assert (run["file"]["format"], run["file"]["layout"]) == ("csv", "google")
    columns = run["file"]["columns"]
    assert columns[0] == {
        "index": 0,
        "heading": "First Name",
        "field": "given_name",
        "samples": ["José", "Zoë"],
    }
    assert run["upload"]["chunks_received"] is None  # no longer uploading
    assert run["options"]["mapping"] == [column["field"] for column in columns]

    response = importer.step(run, "preview", {"match": "email", "on_match": "skip"})
    assert response["Location"] == run["url"]
    assert response.json()["status"] == "preview_queued"
    run = importer.worked(run)
    assert run["status"] == "previewed", run["error"]
    preview = run["preview"]
    assert preview["counts"] == {"create": 3, "update": 0, "skip": 0, "error": 0, "duplicate": 0}
    assert [row["outcome"] for row in preview["sample"]] == ["create"] * 3
    assert preview["sample"][0]["name"].startswith("Dr. José")
    assert not Contact.objects.exists()  # a preview writes nothing

    assert importer.step(run, "commit").json()["status"] == "commit_queued"
    run = importer.worked(run)
    assert run["status"] == "committed", run["error"]
    assert Contact.objects.count() == 3
    assert "jose.muller@acme.example" in emails()
    created = [row["contact"]["id"] for row in run["preview"]["sample"]]
    assert sorted(created) == sorted(Contact.objects.values_list("pk", flat=True))

    assert importer.step(run, "undo").json()["status"] == "undo_queued"
    run = importer.worked(run)
    assert (run["status"], run["left_by_undo"]) == ("undone", [])
    assert not Contact.objects.exists()


def test_a_vcard_file_in_chunks_updates_a_contact_matched_by_name(importer, small_chunks):
    kept = make_contact("Jürgen Müller", email="old@example.org")
    data = (FIXTURES / "android.vcf").read_bytes()
    started = importer.start(data, "android.vcf")
    assert started["upload"]["chunks_expected"] == 3
    importer.send(started, data)
    run = importer.post(f"{started['url']}/inspect").json()
    assert (run["file"]["format"], run["file"]["columns"]) == ("vcard", [])
    response = importer.post(
        f"{run['url']}/preview", {"match": "name", "on_match": "update", "mapping": ["nickname"]}
    )
    assert (response.status_code, response.json()["detail"]) == (
        409,
        "Only a CSV file has columns to map.",
    )
    importer.step(run, "preview", {"match": "name", "on_match": "update"})
    run = importer.worked(run)
    assert run["status"] == "previewed", run["error"]
    counts = run["preview"]["counts"]
    assert (counts["create"], counts["update"]) == (1, 1)
    update = next(row for row in run["preview"]["sample"] if row["outcome"] == "update")
    assert update["contact"] == {"id": kept.pk, "name": "Jürgen Müller"}
    assert {"field": "Email", "before": "", "after": "juergen@example.de (home)"} in update["diff"]
    assert update["warnings"] == ["Photo skipped: photos are not imported."]
    importer.step(run, "commit")
    run = importer.worked(run)
    assert run["status"] == "committed", run["error"]
    assert Contact.objects.count() == 2
    kept.refresh_from_db()
    assert "j.mueller@example.com" in kept.emails.values_list("address", flat=True)
    importer.step(run, "undo")
    assert importer.worked(run)["status"] == "undone"
    assert list(Contact.objects.all()) == [kept]
    assert list(kept.emails.values_list("address", flat=True)) == ["old@example.org"]


def test_a_file_over_a_chunk_is_sent_in_chunks_of_the_real_size(importer):
    rows = [[f"Person{i}", "Test", f"person{i}@example.org", ""] for i in range(30000)]
    data = csv_file(["First name", "Last name", "Email", "Phone"], *rows)
    assert storage.CHUNK_BYTES < len(data) < 2 * storage.CHUNK_BYTES
    started = importer.start(data)
    assert started["upload"]["chunks_expected"] == 2
    # One byte too many is refused before the body is read, and nothing is stored.
    response = importer.chunk(started, 0, data[: storage.CHUNK_BYTES + 1])
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "A chunk is at most 1,048,576 bytes; this one has 1,048,577."
    )
    assert not ImportChunk.objects.exists()
    importer.send(started, data)
    run = importer.post(f"{started['url']}/inspect").json()
    assert run["status"] == "uploaded", run["error"]
    assert run["size"] == len(data)
    assert run["file"]["columns"][2]["samples"][:1] == ["person0@example.org"]


def test_bad_chunks_are_refused_with_their_reason_and_change_nothing(importer, small_chunks):
    data = PEOPLE + b"x" * (1100 - len(PEOPLE))  # 3 chunks: 500, 500, 100
    started = importer.start(data)

    def refused(number, body, status):
        response = importer.chunk(started, number, body)
        assert response.status_code == status, response.content
        assert response["Content-Type"] == "application/problem+json"
        return response.json()

    assert refused(3, b"x" * 100, 409)["detail"] == "The file has 3 chunks, numbered from 0 to 2."
    assert refused(0, data[:499], 409)["detail"] == (
        "Chunk 0 holds bytes 0 to 499 of the file: 500 bytes, not 499."
    )
    assert refused(2, b"", 409)["detail"].endswith("100 bytes, not 0.")
    assert refused(0, b"x" * 501, 413)["detail"] == (
        "A chunk is at most 500 bytes; this one has 501."
    )
    assert refused(-1, b"x", 422)["errors"][0]["field"] == "path.number"
    assert refused("one", b"x", 422)["errors"][0]["field"] == "path.number"
    assert not ImportChunk.objects.exists()

    assert importer.chunk(started, 0, data[:500]).status_code == 204
    # Inspected before the whole file arrived: told which chunks are missing, nothing changes.
    response = importer.post(f"{started['url']}/inspect")
    assert response.status_code == 409
    assert response.json()["detail"] == "The upload is incomplete: chunks 1, 2 are missing."
    assert Import.objects.get().status == Status.UPLOADING

    importer.send(started, data)
    assert importer.post(f"{started['url']}/inspect").status_code == 200
    # After the inspection the file is what it is.
    assert refused(0, data[:500], 409)["detail"] == (
        "Cannot add to the file: the import is uploaded."
    )
    # An inspection asked again answers the same.
    again = importer.post(f"{started['url']}/inspect")
    assert (again.status_code, again.json()["status"]) == (200, "uploaded")


def test_a_file_that_cannot_be_imported_fails_at_inspection_with_its_reason(importer):
    data = b"\x00\x01\x02binary" * 10
    started = importer.start(data, "photo.csv")
    importer.send(started, data)
    response = importer.post(f"{started['url']}/inspect")
    assert response.status_code == 422
    reason = response.json()["detail"]
    run = importer.get(started["url"]).json()
    assert (run["status"], run["error"]) == ("failed", reason)
    assert not ImportChunk.objects.exists()
    response = importer.post(f"{started['url']}/preview", {"match": "email", "on_match": "skip"})
    assert (response.status_code, response.json()["detail"]) == (409, f"Cannot preview: {reason}")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"file_name": "people.csv", "size": 0}, "size"),
        ({"file_name": " ", "size": 10}, "file_name"),
        ({"file_name": "C:\\", "size": 10}, "file_name"),
        ({"file_name": "a\x00.csv", "size": 10}, "file_name"),
        ({"file_name": "people.csv"}, "size"),
    ],
)
def test_a_bad_announcement_is_refused_and_nothing_is_started(importer, body, field):
    response = importer.post(API, body)
    assert response.status_code == 422
    # Refused by the schema (ninja names the fields through its parameter).
    [error] = response.json()["errors"]
    assert error["field"].startswith("body.") and error["field"].endswith(f".{field}")
    assert not Import.objects.exists()


def test_a_file_over_the_limit_is_refused_when_announced(importer, settings):
    settings.CRM_IMPORT_MAX_BYTES = 1000
    response = importer.post(API, {"file_name": "people.csv", "size": 1001})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "body.size",
            "message": "The file is 1,001 bytes; an import takes files up to 1,000 bytes.",
        }
    ]
    assert not Import.objects.exists()
    schema = importer.get("/api/openapi.json").json()
    assert schema["components"]["schemas"]["StartIn"]["properties"]["size"]["maximum"] == 1000


def test_the_options_are_checked_by_the_web_s_form_and_nothing_is_queued(importer):
    run = importer.uploaded(PEOPLE)
    url = f"{run['url']}/preview"

    def refused(body, status=422):
        response = importer.post(url, body)
        assert response.status_code == status, response.content
        return [(error["field"], error["message"]) for error in response.json()["errors"]]

    options = {"match": "email", "on_match": "skip"}
    mapping = ["given_name", "given_name", "email.home", ""]
    assert refused({**options, "mapping": mapping}) == [
        ("body.mapping.1", "“Given name” is already filled by the column “First name”.")
    ]
    assert refused({**options, "mapping": ["", "", "", ""]}) == [
        ("body", "Choose a field for at least one column.")
    ]
    assert refused({**options, "mapping": ["given_name"]}, 409) == [
        ("body.mapping", "The file has 4 columns; the mapping names 1.")
    ]
    assert refused({**options, "mapping": ["shoe_size", "", "", ""]})[0][0].endswith(".mapping.0")
    # Refused by the schema (ninja names the fields through its parameter).
    assert refused({"match": "fax", "on_match": "skip"})[0][0].endswith(".match")
    assert Import.objects.get().status == Status.UPLOADED

    importer.step(run, "preview", {**options, "mapping": PEOPLE_MAPPING})
    run = importer.worked(run)
    assert run["options"] == {**options, "mapping": PEOPLE_MAPPING}
    assert run["preview"]["counts"]["error"] == 1


def test_a_step_asked_in_the_wrong_state_is_a_conflict_with_the_service_s_reason(importer):
    run = importer.uploaded(PEOPLE)
    detail = importer.step(run, "commit", status=409).json()["detail"]
    assert detail == "Cannot import: the import is uploaded."
    detail = importer.step(run, "undo", status=409).json()["detail"]
    assert detail == "Cannot undo the import: the import is uploaded."
    options = {"match": "email", "on_match": "skip", "mapping": PEOPLE_MAPPING}
    importer.step(run, "preview", options)
    detail = importer.step(run, "preview", options, status=409).json()["detail"]
    assert detail == "Cannot preview: the import is waiting to preview."
    run = importer.worked(run)
    importer.step(run, "commit")
    assert importer.step(run, "commit", status=409).json()["detail"] == (
        "Cannot import: the import is waiting to import."
    )
    run = importer.worked(run)
    importer.step(run, "undo")
    run = importer.worked(run)
    assert run["status"] == "undone"
    assert importer.step(run, "undo", status=409).json()["detail"] == (
        "Cannot undo the import: the import is undone."
    )
    assert not Contact.objects.exists()


def test_the_rows_with_errors_are_listed_a_page_at_a_time(
    importer, monkeypatch, django_assert_max_num_queries
):
    people = csv_file(
        ["First name", "Last name", "Email", "Phone"],
        ["Ada", "Lovelace", "ada@", ""],
        ["Charles", "Babbage", "charles@example.org", ""],
        ["Grace", "Hopper", "grace@", ""],
        ["Alan", "Turing", "alan@", ""],
    )
    run = importer.uploaded(people)
    assert importer.get(f"{run['url']}/errors").json() == {"items": [], "next": None}
    importer.step(run, "preview", {"match": "email", "on_match": "skip", "mapping": PEOPLE_MAPPING})
    run = importer.worked(run)
    assert run["preview"]["counts"]["error"] == 3
    assert run["preview"]["errors_url"] == f"{run['url']}/errors"
    page = importer.get(run["preview"]["errors_url"], limit=2).json()
    assert [(row["line"], row["name"], row["cells"]) for row in page["items"]] == [
        (2, "Ada Lovelace", ["Ada", "Lovelace", "ada@", ""]),
        (4, "Grace Hopper", ["Grace", "Hopper", "grace@", ""]),
    ]
    assert "ada@" in page["items"][0]["errors"][0]
    page = importer.get(run["preview"]["errors_url"], limit=2, cursor=page["next"]).json()
    assert ([row["line"] for row in page["items"]], page["next"]) == ([5], None)
    # A page's cells are bounded too: 15 + 17 characters fit in 40, a third row of 15 does not.
    monkeypatch.setattr(api_imports, "ERRORS_PAGE_CHARS", 40)
    with django_assert_max_num_queries(6):
        page = importer.get(run["preview"]["errors_url"]).json()
    assert ([row["line"] for row in page["items"]], page["next"]) == ([2, 4], "4")
    with django_assert_max_num_queries(8):
        assert importer.get(run["url"]).status_code == 200


def test_the_list_is_the_user_s_imports_newest_first_in_pages(
    importer, make_user, django_assert_max_num_queries
):
    other = make_user("olga")
    ids = [importer.start(PEOPLE)["id"] for _ in range(5)]
    Import.objects.create(author=other, file_name="hers.csv", size=3)
    with django_assert_max_num_queries(6):
        page = importer.get(API, limit=2).json()
    assert [run["id"] for run in page["items"]] == ids[::-1][:2]
    seen = [run["id"] for run in page["items"]]
    while page["next"]:
        with django_assert_max_num_queries(6):
            page = importer.get(API, limit=2, cursor=page["next"]).json()
        seen += [run["id"] for run in page["items"]]
    assert seen == ids[::-1]
    response = importer.get(API, limit=201)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.limit"


def test_viewers_may_not_import_editors_may_not_undo(client, viewer, editor, make_user):
    importer = Importer(client, viewer)
    response = importer.post(API, {"file_name": "people.csv", "size": 10})
    assert response.status_code == 403
    assert response.json()["detail"] == "Your role does not allow you to import contacts."
    assert importer.get(API).status_code == 403

    importer = Importer(client, editor)
    run = importer.uploaded(PEOPLE)
    importer.step(run, "preview", {"match": "email", "on_match": "skip", "mapping": PEOPLE_MAPPING})
    importer.worked(run)
    importer.step(run, "commit")
    run = importer.worked(run)
    assert run["status"] == "committed"
    response = importer.step(run, "undo", status=403)
    assert response.json()["detail"] == "Your role does not allow you to undo imports."
    assert Contact.objects.count() == 2
    # A viewer does not see it either: refused before it is looked for.
    importer = Importer(client, viewer)
    assert importer.get(run["url"]).status_code == 403
    assert importer.put(f"{run['url']}/chunks/0", b"x").status_code == 403


def test_another_user_s_import_is_not_found_staff_see_it(client, user, make_user, staff_user):
    run = Importer(client, user).uploaded(PEOPLE)
    olga = make_user("olga")
    role_set(user=olga, role="managers")
    importer = Importer(client, olga)
    for method, path in [
        ("get", ""),
        ("get", "/errors"),
        ("post", "/inspect"),
        ("post", "/commit"),
        ("post", "/undo"),
    ]:
        response = getattr(importer, method)(f"{run['url']}{path}")
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/problem+json"
    options = {"match": "email", "on_match": "skip"}
    assert importer.post(f"{run['url']}/preview", options).status_code == 404
    assert importer.put(f"{run['url']}/chunks/0", b"x").status_code == 404
    assert importer.get(API).json()["items"] == []
    assert Import.objects.get().status == Status.UPLOADED

    staff = Importer(client, staff_user)
    assert staff.get(run["url"]).json()["id"] == run["id"]
    assert staff.step(run, "preview", options).json()["status"] == "preview_queued"


@override_settings(CRM_VISIBILITY="team")
def test_in_team_visibility_an_import_never_matches_a_contact_its_author_cannot_see(client, editor):
    sales, support = Team.objects.create(name="Sales"), Team.objects.create(name="Support")
    sales.members.add(editor)
    hidden = make_contact("Ada Byron", email="ada@example.org", team=support)
    seen = make_contact("Charles B.", email="charles@example.org", team=sales)
    importer = Importer(client, editor)
    run = importer.uploaded(PEOPLE)
    options = {"match": "email", "on_match": "update", "mapping": PEOPLE_MAPPING}
    importer.step(run, "preview", options)
    run = importer.worked(run)
    rows = {row["line"]: row for row in run["preview"]["sample"]}
    # Ada's email is a contact of another team: the row creates a new contact.
    assert (rows[2]["outcome"], rows[2]["contact"]) == ("create", None)
    assert rows[3]["outcome"] == "update"
    assert rows[3]["contact"] == {"id": seen.pk, "name": "Charles B."}
    importer.step(run, "commit")
    run = importer.worked(run)
    assert run["status"] == "committed", run["error"]
    hidden.refresh_from_db()
    assert (hidden.name, hidden.team) == ("Ada Byron", support)
    assert Contact.objects.filter(emails__address="ada@example.org").count() == 2
    assert Contact.objects.get(name="Ada Lovelace").team == sales


@override_settings(CRM_VISIBILITY="team")
def test_in_team_visibility_an_editor_in_no_team_may_not_start_an_import(client, editor):
    response = Importer(client, editor).post(API, {"file_name": "people.csv", "size": 10})
    assert response.status_code == 403
    assert response.json()["detail"] == "You belong to no team: ask a manager to add you to one."
    assert not Import.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_chunk_sent_at_once_many_times_is_stored_once(make_user, small_chunks):
    user = make_user()
    role_set(user=user, role="editors")
    run = Import.objects.create(author=user, file_name="people.csv", size=len(PEOPLE))
    clients = logged_in_clients(user, 6)
    url = f"/api/imports/{run.pk}/chunks/0"
    statuses = []

    @test_concurrently(6)
    def send():
        response = clients.get().put(url, PEOPLE[:500], content_type="application/octet-stream")
        statuses.append(response.status_code)

    send()
    assert set(statuses) <= {204, 409} and 204 in statuses
    assert list(ImportChunk.objects.values_list("number", flat=True)) == [0]
