"""Give each request a lazy ``request.messages``; hand messages to background requests."""

import json

from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.html import conditional_escape

#: A background request sends this header when its page will show the
#: messages that come back; any value but "" or "0" means yes.
REQUEST_HEADER = "X-Messages-Accept"
#: The response header carrying those messages as a JSON list.
RESPONSE_HEADER = "X-Messages"


class MessageMiddleware(DjangoMessageMiddleware):
    """
    Set up the message storage as ``request.messages`` (and ``request._messages``,
    where ``django.contrib.messages`` looks for it), and save it on the way out.

    A request that asks for them with the ``X-Messages-Accept`` header gets the
    messages not otherwise displayed in the ``X-Messages`` response header;
    they count as displayed. A request that does not ask leaves them stored.
    """

    #: Messages that would take the header past this many bytes stay stored
    #: for a later page: proxies refuse responses with very large headers.
    max_header_size = 4096

    def process_request(self, request):
        super().process_request(request)
        request.messages = request._messages

    def process_response(self, request, response):
        storage = getattr(request, "_messages", None)
        if storage is not None and request.method == "HEAD":
            # The body, and the messages rendered in it, never reach anyone.
            storage.forget_displayed()
        elif storage is not None and self.wants_messages(request, response):
            self.add_messages_header(storage, response)
        return super().process_response(request, response)

    def wants_messages(self, request, response):
        """Return True if the page that sent ``request`` shows messages from ``response``."""
        accepts = request.headers.get(REQUEST_HEADER, "") not in ("", "0")
        # Scripts never see a redirect (fetch follows it) nor a 304's own
        # headers, so messages put there would be lost; the final response
        # carries them.
        return accepts and not 300 <= response.status_code < 400

    def add_messages_header(self, storage, response):
        """Move the pending messages that fit into the ``X-Messages`` header."""
        items, size = [], 2  # the brackets of the JSON list
        for message in storage.pending():
            item = json.dumps(
                {
                    "level": message.level,
                    "level_tag": message.level_tag,
                    "tags": message.tags,
                    # Escaped here by the rule the template follows, so the page
                    # can insert it as HTML: markup survives only format_html().
                    "html": str(conditional_escape(message.message)),
                },
                separators=(",", ":"),
            )
            size += len(item) + (1 if items else 0)
            if size > self.max_header_size:
                break
            items.append(item)
            storage.mark_displayed(message)
        response[RESPONSE_HEADER] = "[" + ",".join(items) + "]"
        patch_vary_headers(response, [REQUEST_HEADER])
        add_never_cache_headers(response)
