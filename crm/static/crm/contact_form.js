// Contact form: add rows (emails, phones, addresses...) without a round trip,
// mark removed rows, keep one primary email, label only other dates. Without
// JavaScript the same buttons submit and the server adds the row.
(function () {
  "use strict";
  // A date's label names another date; a birthday is called a birthday.
  function showDateLabel(kind) {
    var label = kind.closest("[data-row]").querySelector("[data-date-label]");
    if (label) {
      label.hidden = kind.value !== "other";
    }
  }
  document
    .querySelectorAll("[data-formset=dates] [data-rows] select[name$='-kind']")
    .forEach(showDateLabel);

  document.querySelectorAll("[data-formset]").forEach(function (section) {
    var prefix = section.dataset.formset;
    var total = section.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var max = section.querySelector("input[name='" + prefix + "-MAX_NUM_FORMS']");
    var rows = section.querySelector("[data-rows]");
    var template = section.querySelector("template[data-empty-row]");
    var add = section.querySelector("[data-add-row]");

    add.addEventListener("click", function (event) {
      event.preventDefault();
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) {
        return;
      }
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var kind = rows.lastElementChild.querySelector("select[name$='-kind']");
      if (kind) {
        showDateLabel(kind);
      }
      var first = rows.lastElementChild.querySelector("input:not([type=hidden]):not([type=checkbox])");
      if (first) {
        first.focus();
      }
    });

    section.addEventListener("change", function (event) {
      var name = event.target.name || "";
      if (name.endsWith("-DELETE")) {
        event.target.closest("[data-row]").classList.toggle("removed", event.target.checked);
      }
      if (name.endsWith("-kind")) {
        showDateLabel(event.target);
      }
      // One primary email: ticking one unticks the others, as radio buttons would.
      if (name.endsWith("-primary") && event.target.checked) {
        section.querySelectorAll("input[name$='-primary']").forEach(function (other) {
          if (other !== event.target) {
            other.checked = false;
          }
        });
      }
    });
  });
})();

// While typing: show the contacts this one looks like, before saving. Without
// this script, saving shows the same matches and asks to confirm.
(function () {
  "use strict";
  var form = document.getElementById("contact-form");
  var shown = document.getElementById("live-duplicates");
  if (!form || !shown || !form.dataset.duplicatesUrl) return;
  // The fields the duplicate rules read: the name, its parts, emails and phones.
  var watched = /^(name|honorific_prefix|given_name|additional_names|family_name|honorific_suffix|nickname|organization)$|^emails-\d+-address$|^phones-\d+-(number|label)$/;
  var timer = null;
  var pending = null;

  function refresh() {
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(form.dataset.duplicatesUrl, {
      method: "POST",
      body: new FormData(form),
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
        shown.innerHTML = html;
      })
      .catch(function () { /* saving still checks */ });
  }

  function changed(event) {
    if (!watched.test(event.target.name || "")) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
})();
