"""Helpers for race tests: many logged-in clients, one per thread."""

import queue

from django.test import Client


def logged_in_clients(user, count):
    """Return a queue of ``count`` clients logged in as ``user``; each thread takes one."""
    clients = queue.SimpleQueue()
    for _ in range(count):
        client = Client()
        client.force_login(user)
        clients.put(client)
    return clients


def redirected(response):
    """Assert ``response`` is a redirect (a successful form) and return it."""
    assert 300 <= response.status_code < 400, (response.status_code, response.content[:500])
    return response
