// The import pages. On the upload form: send the file in chunks (a request
// body must stay under the servers' 2 MiB cap), with a progress bar, then
// have it inspected and open its page. On an import's page while the worker
// runs: poll its progress and reload when the step ends. Without this script
// the form posts the file whole (up to 1.5 MiB) and the page refreshes itself.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // POST and read the JSON answer; a refusal rejects with the server's reason.
  function post(url, body, token, contentType) {
    var headers = { "X-CSRFToken": token, Accept: "application/json" };
    if (contentType) headers["Content-Type"] = contentType;
    return fetch(url, {
      method: "POST",
      body: body,
      headers: headers,
      credentials: "same-origin",
    }).then(function (response) {
      if (response.redirected) throw new Error("Your session has ended: log in again.");
      return response.json().catch(function () {
        throw new Error("The server answered " + response.status + ".");
      }).then(function (data) {
        if (!response.ok) throw new Error(data.error || "The server answered " + response.status + ".");
        return data;
      });
    });
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1) + " MiB";
  }

  function setUpUpload(form) {
    var input = form.querySelector("input[type=file]");
    var box = form.querySelector(".upload-progress");
    var bar = box.querySelector("progress");
    var text = box.querySelector("#upload-status");
    var failure = form.querySelector(".upload-error");
    var button = form.querySelector("button[type=submit]");
    var chunkBytes = parseInt(form.dataset.chunkBytes, 10) || 1048576;

    function show(sent, size) {
      bar.value = size ? Math.floor((sent * 100) / size) : 0;
      text.textContent = "Uploaded " + megabytes(sent) + " of " + megabytes(size);
    }

    function fail(error) {
      failure.textContent = "The file was not uploaded: " + error.message;
      failure.hidden = false;
      box.hidden = true;
      button.disabled = false;
    }

    function sendChunks(file, start, token) {
      var number = 0;
      function next() {
        var offset = number * chunkBytes;
        if (offset >= file.size) return Promise.resolve();
        var chunk = file.slice(offset, offset + chunkBytes);
        return post(start.chunk_url + number + "/", chunk, token, "application/octet-stream")
          .then(function () {
            number += 1;
            show(Math.min(file.size, offset + chunkBytes), file.size);
            return next();
          });
      }
      return next();
    }

    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      // No file: let the form post, and the server say what is missing.
      if (!file || !window.fetch || !file.slice) return;
      event.preventDefault();
      var token = csrfToken(form);
      failure.hidden = true;
      box.hidden = false;
      button.disabled = true;
      show(0, file.size);
      var body = new FormData();
      body.append("name", file.name);
      body.append("size", String(file.size));
      post(form.dataset.startUrl, body, token)
        .then(function (start) {
          if (start.chunk_bytes) chunkBytes = start.chunk_bytes;
          return sendChunks(file, start, token).then(function () {
            text.textContent = "Reading the file…";
            return post(start.inspect_url, null, token);
          });
        })
        .then(function (inspected) { window.location.assign(inspected.url); })
        .catch(fail);
    });
  }

  function setUpProgress(section) {
    var url = section.dataset.progressUrl;
    var status = section.dataset.status;
    var bar = section.querySelector("progress");
    var text = section.querySelector(".progress-text");

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok || response.redirected) throw new Error(response.status);
          return response.json();
        })
        .then(function (state) {
          // A new step (or the end): the page shows it, so load it again.
          if (state.status !== status) {
            window.location.reload();
            return;
          }
          bar.value = state.percent;
          bar.textContent = state.percent + "%";
          if (state.total) {
            text.textContent = state.done.toLocaleString() + " of " +
              (status === "previewing" ? "about " : "") + state.total.toLocaleString() + " rows";
          }
          window.setTimeout(poll, 1000);
        })
        // A failed poll (a restart, a dropped connection) tries again, more slowly.
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  }

  var form = document.getElementById("import-upload");
  if (form) setUpUpload(form);
  var section = document.querySelector(".import-progress[data-progress-url]");
  if (section) setUpProgress(section);
})();
