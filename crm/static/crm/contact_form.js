// Contact form: add rows (emails, phones, addresses...) without a round trip,
// mark removed rows, keep one primary email. Without JavaScript the same
// buttons submit and the server adds the row.
(function () {
  "use strict";
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
