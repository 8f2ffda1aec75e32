// Contact form: add phone/address rows without a round trip, and mark removed
// rows. Without JavaScript the same buttons submit and the server adds the row.
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
      if (event.target.name && event.target.name.endsWith("-DELETE")) {
        event.target.closest("[data-row]").classList.toggle("removed", event.target.checked);
      }
    });
  });
})();
