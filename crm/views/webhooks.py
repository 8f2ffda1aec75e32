"""
Pages of webhooks: a user's subscriptions, each one's form, secret and
recent deliveries. Each user sees and changes only their own; what they
receive is what they see (crm.services.webhooks).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..forms.webhooks import WebhookForm
from ..models import Contact, Webhook, WebhookEvent
from ..services.webhooks import webhook_remove, webhook_secret_renew, webhook_test

DELIVERIES_PER_PAGE = 50


def _own(request, webhook_id, *, lock=False):
    """
    Return the user's webhook ``webhook_id``; 404 for anyone else's. With
    ``lock`` (inside a transaction), its row is locked until the write is
    done: of an edit and a deletion at once, the second finds it gone (404).
    """
    webhooks = Webhook.objects.select_for_update() if lock else Webhook.objects
    return get_object_or_404(webhooks, pk=webhook_id, owner=request.user)


@require_GET
def webhook_list(request):
    """List the user's webhooks with how their last delivery went, in one query."""
    last = WebhookEvent.objects.filter(webhook=OuterRef("pk")).order_by("-id")
    webhooks = Webhook.objects.filter(owner=request.user).annotate(
        last_status=Subquery(last.values("status")[:1]),
        last_answer_status=Subquery(last.values("answer_status")[:1]),
        last_created=Subquery(last.values("created")[:1]),
    )
    return render(request, "crm/webhooks/list.html", {"webhooks": webhooks})


@require_http_methods(["GET", "POST"])
def webhook_create(request):
    """Show an empty form; save the new webhook, then show its secret."""
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance.owner = request.user
        webhook = form.save()
        messages.success(request, "Webhook added. Give its secret to the receiver.")
        return redirect(webhook)
    return render(request, "crm/webhooks/form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def webhook_edit(request, webhook_id):
    """Show the webhook's form and secret; save it."""
    with transaction.atomic():
        webhook = _own(request, webhook_id, lock=request.method == "POST")
        form = WebhookForm(request.POST or None, instance=webhook)
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(request, "Webhook saved.")
            return redirect("crm:webhook_list")
    return render(request, "crm/webhooks/form.html", {"form": form, "webhook": webhook})


@require_POST
def webhook_secret(request, webhook_id):
    """Give the webhook a new secret: the old one stops working at once."""
    with transaction.atomic():
        webhook = _own(request, webhook_id, lock=True)
        webhook_secret_renew(webhook=webhook)
    messages.success(
        request, "New secret made: give it to the receiver, the old one no longer signs."
    )
    return redirect(webhook)


@require_POST
def webhook_test_view(request, webhook_id):
    """Queue a test event; the worker sends it within seconds."""
    with transaction.atomic():
        webhook = _own(request, webhook_id, lock=True)
        webhook_test(webhook=webhook)
    if webhook.is_active:
        messages.success(request, "Test event queued: it is sent within seconds, see below.")
    else:
        messages.warning(request, "Test event queued: it is sent once the webhook is active.")
    return redirect("crm:webhook_deliveries", webhook.pk)


@require_http_methods(["GET", "POST"])
def webhook_delete(request, webhook_id):
    """Ask for confirmation, then delete the webhook and the events it has not sent."""
    if request.method == "POST":
        with transaction.atomic():
            webhook = _own(request, webhook_id, lock=True)
            webhook_remove(webhook=webhook)
        messages.success(request, f"Webhook {webhook.url} deleted.")
        return redirect("crm:webhook_list")
    webhook = _own(request, webhook_id)
    return render(request, "crm/webhooks/confirm_delete.html", {"webhook": webhook})


@require_GET
def webhook_deliveries(request, webhook_id):
    """
    List the webhook's events, newest first, with each delivery's state; a
    contact the user no longer sees is not named.
    """
    webhook = _own(request, webhook_id)
    page = Paginator(webhook.deliveries.all(), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    ids = {event.contact_id for event in page.object_list if event.contact_id}
    names = dict(
        Contact.all_objects.filter(pk__in=ids).visible_to(request.user).values_list("pk", "name")
    )
    for event in page.object_list:
        event.contact_name = names.get(event.contact_id)
    context = {"webhook": webhook, "page": page, "events": page.object_list}
    return render(request, "crm/webhooks/deliveries.html", context)
