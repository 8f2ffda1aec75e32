"""Small views the messaging tests drive: add messages, redirect, render, answer in JSON."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template import engines
from django.urls import reverse
from django.utils.html import format_html

import messaging

_django = engines["django"]
PAGE = _django.from_string(
    '{% extends "base.html" %}{% block content %}<h1>Messages page</h1>{% endblock %}'
)
FIRST_TWO = _django.from_string(
    '{% for message in messages|slice:":2" %}<p class="shown">{{ message }}</p>{% endfor %}'
)
SAVE_FORM = _django.from_string(
    """{% extends "base.html" %}{% block content %}
<h1>New note</h1>
<form method="post" action="{% url 'messaging_tests:save' %}">{% csrf_token %}
  <label for="name">Name</label><input type="text" id="name" name="name">
  <button type="submit">Save</button>
</form>
{% endblock %}"""
)


def _level(name):
    return getattr(messages, name.upper(), messages.INFO)


@login_not_required
def add(request):
    """Add each ``text``, then redirect to ``next``."""
    data = request.POST or request.GET
    level = _level(data.get("level", "info"))
    for text in data.getlist("text"):
        messaging.add_message(request, level, text)
    return redirect(data.get("next") or reverse("messaging_tests:show"))


@login_not_required
def add_both_ways(request):
    """Add one message through messaging and one through django.contrib.messages."""
    messaging.success(request, "Through messaging.")
    messages.warning(request, "Through django.contrib.messages.")
    return redirect("messaging_tests:show")


@login_not_required
def add_markup(request):
    messaging.info(request, "<script>alert('hi')</script>")
    messaging.info(request, format_html("<strong>{}</strong> kept", "Bold & <b>escaped</b>"))
    return redirect("messaging_tests:show")


@login_not_required
def redirect_chain(request, hops):
    """Redirect ``hops`` more times, then to the page that shows messages."""
    if hops > 1:
        return redirect("messaging_tests:redirect", hops=hops - 1)
    return redirect("messaging_tests:show")


@login_not_required
def show(request):
    return HttpResponse(PAGE.render({}, request))


@login_not_required
def show_first_two(request):
    return HttpResponse(FIRST_TWO.render({}, request))


@login_not_required
def add_silently(request):
    """Add messages and answer with a page that never shows them."""
    messaging.success(request, "Added quietly.")
    messaging.info(request, "Also quietly.")
    return HttpResponse("Done.", content_type="text/plain")


@login_not_required
def untouched(request):
    """Answer a background request without looking at the messages."""
    return JsonResponse({"ok": True})


@login_not_required
def note(request):
    """Add a message and answer in JSON, as a background write does."""
    messaging.success(request, "Noted in the background.")
    return JsonResponse({"ok": True})


@login_not_required
def inspect(request):
    """Use request.messages the ways a view may: len(), truth, indexing."""
    stored = request.messages
    return JsonResponse(
        {
            "len": len(stored),
            "truthy": bool(stored),
            "first": str(stored[0]) if stored else None,
        }
    )


@login_not_required
def save_form(request):
    return HttpResponse(SAVE_FORM.render({}, request))


@login_not_required
def save(request):
    """Save, as a form view does: say so, then redirect."""
    messaging.success(request, f"Saved {request.POST['name']}.")
    return redirect("messaging_tests:show")
