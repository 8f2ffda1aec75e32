// Keyboard shortcuts of the signed-in pages, listed in the "?" dialog of
// templates/base.html:
//   /        focus the header's search box (Esc leaves it again)
//   j, k     on a contact list, move to the next or previous contact
//   Enter    open the current contact
//   x        tick or untick the current contact's checkbox, if the list has one
//   n        new contact
//   ?        show the list of shortcuts (Esc or its button closes it)
// None fires while one types in a field, nor with Ctrl, Alt or Meta held, so
// the browser's and the screen reader's own shortcuts keep working.
(function () {
  "use strict";
  var script = document.currentScript;
  var ROWS = "table.contacts tbody tr";
  var CURRENT = "keys-current";
  // Inputs that take no typing: a key pressed on them is still a shortcut.
  var NOT_TYPED = ["checkbox", "radio", "button", "submit", "reset", "image", "file", "range", "color"];

  function isTyping(element) {
    if (!element || element === document.body) return false;
    if (element.isContentEditable) return true;
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    return tag === "INPUT" && NOT_TYPED.indexOf(element.type) === -1;
  }

  // A field changed and not saved: "n" must not throw the edit away. Only
  // forms that post can hold an edit; the list's search, sort and filters
  // (GET) are in its URL.
  function hasUnsavedInput() {
    var fields = document.querySelectorAll("form[method=post] :is(input, textarea, select)");
    return Array.prototype.some.call(fields, function (field) {
      if (field.type === "hidden") return false;
      if (field.tagName === "SELECT") {
        var options = field.options;
        var marked = Array.prototype.some.call(options, function (option) {
          return option.defaultSelected;
        });
        // A single choice with none marked selected shows its first option
        // (the bulk bar's "new owner", say): that is its unchanged value.
        if (!marked && !field.multiple) return field.selectedIndex > 0;
        return Array.prototype.some.call(options, function (option) {
          return option.selected !== option.defaultSelected;
        });
      }
      if (field.type === "checkbox" || field.type === "radio") {
        return field.checked !== field.defaultChecked;
      }
      return field.value !== field.defaultValue;
    });
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll(ROWS));
  }

  function currentRow() {
    return document.querySelector(ROWS + "." + CURRENT);
  }

  // The row's contact: its name link, else the row's first link (a checkbox
  // cell before it has none; mail and phone links come after it).
  function rowLink(row) {
    return row.querySelector("a.contact-link") || row.querySelector("td a[href]");
  }

  function makeCurrent(row) {
    var previous = currentRow();
    if (previous && previous !== row) {
      previous.classList.remove(CURRENT);
      previous.removeAttribute("aria-current");
    }
    row.classList.add(CURRENT);
    row.setAttribute("aria-current", "true");
  }

  // Focusing the link moves the real focus: a screen reader reads the name,
  // and Tab continues from there.
  function moveTo(row) {
    makeCurrent(row);
    var link = rowLink(row);
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function step(by) {
    var all = rows();
    if (!all.length) return false;
    var index = all.indexOf(currentRow());
    // The first j or k starts at the first row.
    var next = index === -1 ? 0 : Math.min(Math.max(index + by, 0), all.length - 1);
    moveTo(all[next]);
    return true;
  }

  function openCurrent() {
    var row = currentRow();
    var link = row && rowLink(row);
    if (!link) return false;
    window.location.assign(link.href);
    return true;
  }

  function toggleCurrent() {
    var row = currentRow();
    var box = row && row.querySelector("input.select-row");
    if (!box) return false;
    // click(), not checked = ..., so the bulk bar hears the change.
    box.click();
    return true;
  }

  function focusSearch() {
    var search = document.getElementById("site-search");
    if (!search) return false;
    search.focus();
    search.select();
    return true;
  }

  function newContact() {
    var url = script && script.dataset.newContactUrl;
    if (!url || hasUnsavedInput()) return false;
    window.location.assign(url);
    return true;
  }

  var dialog = document.getElementById("shortcuts");

  function showShortcuts() {
    if (!dialog || dialog.open) return false;
    dialog.showModal();
    return true;
  }

  if (dialog) {
    dialog.querySelector("[data-shortcuts-close]").addEventListener("click", function () {
      dialog.close();
    });
    document.querySelectorAll("[data-shortcuts-open]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", showShortcuts);
    });
  }

  // A click or Tab into a row makes it the current one: j and k go on from there.
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest(ROWS);
    if (row) makeCurrent(row);
  });

  var SHORTCUTS = {
    "/": focusSearch,
    "?": showShortcuts,
    j: function () { return step(1); },
    k: function () { return step(-1); },
    x: toggleCurrent,
    n: newContact,
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
    var target = event.target;
    if (event.key === "Escape" && target.type === "search") {
      // Leave the search box for the shortcuts, keeping what it says.
      event.preventDefault();
      target.blur();
      return;
    }
    if (isTyping(target) || (dialog && dialog.open)) return;
    var handled;
    if (event.key === "Enter") {
      // On a link or a button Enter already does what it says.
      handled = !target.closest("a[href], button, input, summary") && openCurrent();
    } else {
      var shortcut = SHORTCUTS[event.key];
      handled = shortcut ? shortcut() : false;
    }
    if (handled) event.preventDefault();
  });
})();
