/*
 * Live tail of the log viewer (templates/remotelog/records.html).
 *
 * Every few seconds, asks the feed for the records newer than the newest
 * shown (?after=<microseconds>,<id>, the same filters as the page) and puts
 * the rows it answers above the others. Pause stops asking; Resume asks
 * again at once. Without JavaScript the "Newer" link does the same by hand.
 */
(function () {
  "use strict";
  var tail = document.querySelector(".remotelog-tail[data-tail-url]");
  var list = document.querySelector(".remotelog-records");
  if (!tail || !list || !window.fetch) {
    return;
  }
  var button = tail.querySelector(".remotelog-tail-toggle");
  var status = tail.querySelector(".remotelog-tail-status");
  var none = document.querySelector(".remotelog-none");
  var newer = document.querySelector(".remotelog-pager a[rel=prev]");
  var interval = (Number(tail.dataset.interval) || 3) * 1000;
  var after = tail.dataset.after;
  var paused = false;
  var timer = null;
  var asking = false;

  function later(delay) {
    if (!paused && !asking && timer === null) {
      timer = window.setTimeout(ask, delay);
    }
  }

  function show(answer) {
    if (answer.html.trim()) {
      // Rows rendered (and escaped) by the server's template, marked as new.
      var holder = document.createElement("template");
      holder.innerHTML = answer.html;
      holder.content.querySelectorAll(".remotelog-record").forEach(function (row) {
        row.classList.add("remotelog-new");
      });
      list.prepend(holder.content);
      if (none) {
        none.hidden = true;
      }
    }
    after = answer.after;
    if (newer) {
      var url = new URL(newer.href);
      url.searchParams.set("after", after);
      newer.href = url.toString();
    }
    status.textContent = "Live: newest shown.";
  }

  function ask() {
    timer = null;
    asking = true;
    var url = new URL(tail.dataset.tailUrl, window.location.href);
    url.searchParams.set("after", after);
    var more = false;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || response.headers.get("Content-Type") !== "application/json") {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (answer) {
        show(answer);
        more = answer.more;
      })
      .catch(function () {
        status.textContent = "Live tail interrupted; trying again.";
      })
      .then(function () {
        asking = false;
        later(more ? 0 : interval);
      });
  }

  button.addEventListener("click", function () {
    paused = !paused;
    button.setAttribute("aria-pressed", String(paused));
    button.textContent = paused ? "Resume live tail" : "Pause live tail";
    status.textContent = paused ? "Paused." : "Live: asking for newer records.";
    if (paused && timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    later(0);
  });
  button.hidden = false;
  status.textContent = "Live: newer records appear at the top.";
  later(interval);
})();
