// The list's bulk bar: count the ticked rows, tick a whole page, offer "all
// N matching" once the page is ticked, and enable the actions that fit the
// selection. Without this script the bar still posts the ticked rows.
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) return;
  var rows = Array.prototype.slice.call(
    document.querySelectorAll('input.select-row[form="bulk-form"]')
  );
  var pageLabel = form.querySelector("label.select-page");
  var page = form.querySelector("input.select-page");
  var allLabel = form.querySelector("label.bulk-all");
  var all = form.querySelector("input[name=all]");
  var count = form.querySelector(".bulk-count");
  var actions = form.querySelectorAll("button[name=action]");
  var merge = form.querySelector("button[value=merge]");
  var matching = parseInt(form.dataset.matching, 10) || 0;
  var matchingLabel = form.dataset.matchingLabel || String(matching);

  function ticked() {
    return rows.filter(function (row) { return row.checked; }).length;
  }

  function update() {
    var n = ticked();
    var whole = rows.length > 0 && n === rows.length;
    page.checked = whole;
    page.indeterminate = n > 0 && !whole;
    if (!whole) all.checked = false;
    // Only worth offering when more match than this page shows.
    allLabel.hidden = !(whole && matching > rows.length);
    var selected = all.checked ? matching : n;
    count.textContent = all.checked
      ? "All " + matchingLabel + " matching selected"
      : n ? n + " selected" : "Select contacts to act on them";
    for (var i = 0; i < actions.length; i++) actions[i].disabled = selected === 0;
    merge.disabled = selected !== 2;
    form.classList.toggle("has-selection", selected > 0);
  }

  pageLabel.hidden = rows.length === 0;
  page.addEventListener("change", function () {
    rows.forEach(function (row) { row.checked = page.checked; });
    update();
  });
  all.addEventListener("change", update);
  rows.forEach(function (row) { row.addEventListener("change", update); });
  // The browser may restore ticks on "back": count them.
  window.addEventListener("pageshow", update);
  update();
})();
