"""The list's bulk action "assign", and the list's filters by owner and by team."""

import pytest
from django.urls import reverse

from crm.models import BulkJob, Change, Contact, Team
from crm.services import jobs
from crm.tests.factories import make_contact, make_contacts

pytestmark = pytest.mark.django_db
BULK = reverse("crm:contact_bulk")
LIST = reverse("crm:contact_list")


@pytest.fixture
def teams(db):
    return Team.objects.create(name="Sales"), Team.objects.create(name="Support")


def names(contacts):
    return sorted(c.name for c in contacts)


def listed(client, **params):
    return names(client.get(LIST, params).context["contacts"])


def test_assigning_ticked_contacts_changes_owner_team_and_sharing(
    logged_in_client, user, make_user, teams, messages_of
):
    sales, support = teams
    bob = make_user("bob")
    ada, charles, other = make_contacts(3)
    data = {
        "action": "assign",
        "ids": [ada.pk, charles.pk],
        "new_owner": bob.pk,
        "new_team": sales.pk,
        "share": support.pk,
        "list": "sort=-created",
    }
    response = logged_in_client.post(BULK, data, follow=True)
    assert response.redirect_chain == [(f"{LIST}?sort=-created", 302)]
    assert messages_of(response) == [
        "Assigned 2 contacts: owner bob, team Sales, shared with Support."
    ]
    for contact in (ada, charles):
        contact.refresh_from_db()
        assert (contact.owner, contact.team, list(contact.shared_with.all())) == (
            bob,
            sales,
            [support],
        )
    other.refresh_from_db()
    assert (other.owner, other.team) == (None, None)
    recorded = Change.objects.filter(contact=ada).order_by("kind")
    assert [(c.kind, c.action, c.source, c.author) for c in recorded] == [
        ("owner", "add", "bulk", user),
        ("sharing", "add", "bulk", user),
        ("team", "add", "bulk", user),
    ]


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({}, "Choose an owner, a team, or a team to share with."),
        ({"new_owner": "999999"}, "Select a valid choice."),
        ({"share": "TEAM", "unshare": "TEAM"}, "not both"),
    ],
)
def test_assigning_without_a_valid_choice_says_so_and_changes_nothing(
    logged_in_client, teams, messages_of, extra, error
):
    contact = make_contact("Ada")
    extra = {k: str(teams[0].pk) if v == "TEAM" else v for k, v in extra.items()}
    response = logged_in_client.post(
        BULK, {"action": "assign", "ids": [contact.pk], **extra}, follow=True
    )
    assert error in " ".join(messages_of(response))
    assert not Change.objects.exists()


def test_a_deactivated_owner_is_not_offered_as_a_new_owner(logged_in_client, make_user):
    gone = make_user("gone", is_active=False)
    contact = make_contact("Ada")
    logged_in_client.post(BULK, {"action": "assign", "ids": [contact.pk], "new_owner": gone.pk})
    assert Contact.objects.get().owner is None


def test_only_those_who_may_assign_see_and_use_the_action(client, editor, make_user, teams):
    bob = make_user("bob")
    contact = make_contact("Ada")
    client.force_login(editor)
    assert 'value="assign"' not in client.get(LIST).content.decode()
    response = client.post(BULK, {"action": "assign", "ids": [contact.pk], "new_owner": bob.pk})
    assert response.status_code == 403
    assert Contact.objects.get().owner is None


def test_the_list_filters_by_owner_and_team_none_included_kept_in_its_url(
    logged_in_client, user, make_user, teams
):
    sales, _ = teams
    bob = make_user("bob")
    make_contact("Ada", owner=bob, team=sales)
    make_contact("Charles", owner=user)
    make_contact("Grace")
    assert listed(logged_in_client, owner=bob.pk) == ["Ada"]
    assert listed(logged_in_client, owner="none") == ["Grace"]
    assert listed(logged_in_client, team=sales.pk) == ["Ada"]
    assert listed(logged_in_client, team="none") == ["Charles", "Grace"]
    assert listed(logged_in_client, team="none", owner=user.pk) == ["Charles"]
    response = logged_in_client.get(LIST, {"owner": bob.pk, "team": "none"})
    chips = [(c["label"], c["value"]) for c in response.context["chips"]]
    assert chips == [("Owner", "bob"), ("Team", "No team")]
    page = response.content.decode()
    # The bulk bar and the export carry the filters.
    assert f'<input type="hidden" name="owner" value="{bob.pk}">' in page
    assert f"export.csv?owner={bob.pk}&amp;team=none" in page
    # A value that is no owner is an error beside the field, not a 500.
    response = logged_in_client.get(LIST, {"owner": "nobody"})
    assert response.status_code == 200
    assert response.context["form"].errors["owner"]
    assert len(response.context["contacts"]) == 3


def test_reassigning_a_deactivated_user_s_contacts_in_bulk(
    logged_in_client, user, make_user, teams, messages_of
):
    sales, _ = teams
    gone, bob = make_user("gone"), make_user("bob")
    theirs = [make_contact(f"Client {i}", owner=gone, team=sales) for i in range(4)]
    make_contact("Someone else's", owner=bob)
    gone.is_active = False
    gone.save()
    page = logged_in_client.get(LIST, {"owner": gone.pk})
    assert names(page.context["contacts"]) == [c.name for c in theirs]
    assert f'<option value="{gone.pk}" selected>gone, deactivated</option>' in (
        page.content.decode()
    )
    response = logged_in_client.post(
        BULK,
        {"action": "assign", "all": "1", "owner": gone.pk, "new_owner": bob.pk},
        follow=True,
    )
    assert messages_of(response) == ["Assigned 4 contacts: owner bob."]
    assert not Contact.objects.filter(owner=gone).exists()
    assert Contact.objects.filter(owner=bob).count() == 5
    assert set(Contact.objects.filter(owner=bob).values_list("team", flat=True)) == {
        sales.pk,
        None,
    }
    for contact in theirs:
        [change] = Change.objects.filter(contact=contact, kind="owner")
        assert (change.before, change.after, change.author) == (
            {"id": gone.pk, "name": "gone"},
            {"id": bob.pk, "name": "bob"},
            user,
        )
    assert listed(logged_in_client, owner=gone.pk) == []


def test_assigning_all_matching_past_the_limit_is_left_to_the_worker(
    logged_in_client, user, make_user, teams, monkeypatch
):
    monkeypatch.setattr(jobs, "INLINE_MAX", 3)
    monkeypatch.setattr("crm.views.bulk.INLINE_MAX", 3)
    sales, support = teams
    bob = make_user("bob")
    make_contacts(5)
    make_contact("Other", team=support)
    data = {"action": "assign", "all": "1", "team": "none", "new_owner": bob.pk}
    response = logged_in_client.post(BULK, {**data, "new_team": sales.pk, "share": support.pk})
    job = BulkJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert (job.action, job.matched) == ("assign", 5)
    assert job.assignment == {"owner": bob.pk, "team": sales.pk, "share": support.pk}
    assert not Contact.objects.filter(owner=bob).exists()
    assert jobs.bulk_jobs_run_pending() == 1
    job.refresh_from_db()
    assert (job.status, job.count) == ("done", 5)
    assert Contact.objects.filter(owner=bob, team=sales, shared_with=support).count() == 5
    assert Contact.objects.get(name="Other").owner is None
    assert {c.ref for c in Change.objects.filter(kind="owner")} == {str(job.pk)}
    page = logged_in_client.get(job.get_absolute_url()).content.decode()
    assert "Assigned 5 contacts." in page


def test_a_job_whose_team_was_removed_meanwhile_fails_and_changes_nothing(
    logged_in_client, teams, monkeypatch
):
    monkeypatch.setattr(jobs, "INLINE_MAX", 1)
    monkeypatch.setattr("crm.views.bulk.INLINE_MAX", 1)
    make_contacts(3)
    logged_in_client.post(BULK, {"action": "assign", "all": "1", "new_team": teams[1].pk})
    teams[1].delete()
    jobs.bulk_jobs_run_pending()
    job = BulkJob.objects.get()
    assert (job.status, job.error) == ("failed", "The team chosen was deleted meanwhile.")
    assert not Contact.objects.exclude(team=None).exists()


def test_the_history_page_says_whose_the_contact_was_and_became(logged_in_client, make_user, teams):
    ada, bob = make_user("ada"), make_user("bob")
    contact = make_contact("Grace", owner=ada)
    data = {"action": "assign", "ids": [contact.pk], "new_owner": bob.pk, "share": teams[0].pk}
    logged_in_client.post(BULK, data)
    page = logged_in_client.get(reverse("crm:contact_history", args=[contact.pk]))
    text = " ".join(page.content.decode().split())
    assert "Changed the owner" in text
    assert "Added the sharing with the team Sales" in text
    assert ">ada<" in text and ">bob<" in text
