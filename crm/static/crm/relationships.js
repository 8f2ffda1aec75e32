// Search-as-you-type on the "relate" page. Without this script the search
// form still works: it reloads the page with the results.
(function () {
  "use strict";
  var search = document.getElementById("relate-search");
  var results = document.getElementById("candidate-results");
  if (!search || !results) return;
  var input = search.querySelector("input[name=q]");
  var hiddenQuery = document.querySelector("#relate-form input[name=q]");
  var url = search.dataset.candidatesUrl;
  var timer = null;
  var pending = null;

  function refresh() {
    var query = input.value;
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(url + "?" + new URLSearchParams({ q: query }), {
      signal: pending.signal,
      headers: { Accept: "text/html" },
      credentials: "same-origin",
    })
      .then(function (response) {
        // A redirect means the session ended: leave the page as it is.
        if (!response.ok || response.redirected) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        // The fragment is rendered and escaped by the server.
        results.innerHTML = html;
        if (hiddenQuery) hiddenQuery.value = query;
      })
      .catch(function () { /* keep the current results; the form still works */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
  search.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    refresh();
  });
  // Someone quick may have typed before this script ran.
  if (input.value !== input.defaultValue) refresh();
})();
