/*
 * Flash messages in the page: close buttons, and messages that arrive with
 * background requests (see "Flash messages" in README.md).
 *
 *   messaging.fetch(url, options)  fetch() that asks for the pending messages
 *                                  and shows them when the response comes;
 *   HTMX requests do the same on their own when htmx is on the page.
 * A plain fetch() does not ask, and leaves the messages for the next page.
 */
(function () {
  "use strict";
  if (window.messaging) return;

  var REQUEST_HEADER = "X-Messages-Accept";
  var RESPONSE_HEADER = "X-Messages";

  function list() {
    var ul = document.querySelector("[data-messages]");
    if (!ul) {
      ul = document.createElement("ul");
      ul.className = "messages";
      ul.setAttribute("data-messages", "");
      (document.querySelector("main") || document.body).prepend(ul);
    }
    return ul;
  }

  // Each item: {level, level_tag, tags, html}; html is escaped by the server.
  function show(messages) {
    if (!messages || !messages.length) return;
    var ul = list();
    messages.forEach(function (message) {
      var li = document.createElement("li");
      li.className = ("message " + (message.tags || "")).trim();
      li.setAttribute("role", message.level_tag === "error" ? "alert" : "status");
      var text = document.createElement("span");
      text.className = "message-text";
      text.innerHTML = message.html;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "dismiss";
      button.setAttribute("data-dismiss-message", "");
      button.setAttribute("aria-label", "Dismiss");
      button.textContent = "\u00d7";
      li.append(text, button);
      ul.append(li);
    });
  }

  function showFromHeader(value) {
    if (!value) return;
    try {
      show(JSON.parse(value));
    } catch (error) {
      // A malformed header must not break the page that asked.
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss-message]");
    if (!button) return;
    var item = button.closest(".message");
    var ul = item.parentNode;
    item.remove();
    if (!ul.querySelector(".message")) ul.remove();
  });

  function fetchWithMessages(input, init) {
    init = Object.assign({}, init);
    var headers = new Headers(init.headers || {});
    headers.set(REQUEST_HEADER, "1");
    init.headers = headers;
    return window.fetch(input, init).then(function (response) {
      showFromHeader(response.headers.get(RESPONSE_HEADER));
      return response;
    });
  }

  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers[REQUEST_HEADER] = "1";
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    showFromHeader(event.detail.xhr.getResponseHeader(RESPONSE_HEADER));
  });

  window.messaging = { fetch: fetchWithMessages, show: show };
})();
