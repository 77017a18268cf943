// A running replay's page: poll its status every 2 s, move the bar and the counts, then show the result in place.
(function () {
  "use strict";

  var EVERY_MS = 2000;

  function start() {
    var box = document.getElementById("replay-progress");
    var url = box && box.getAttribute("data-status-url");
    if (!url) { return; }
    var heading = document.getElementById("replay-heading");
    var bar = document.getElementById("replay-bar");
    var note = document.getElementById("replay-note");
    var failures = 0, noteText = note.textContent;

    function get(path, accept) {
      return fetch(path, { credentials: "same-origin", cache: "no-store", headers: { "Accept": accept } })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return accept === "application/json" ? response.json() : response.text();
        });
    }

    function show(run) {
      heading.textContent = run.status_display + ": " + run.done + " of " + run.total + " leads (" + run.percent + "%)";
      bar.value = run.percent;
      bar.textContent = run.percent + "%";
    }

    function showResult() {
      // The server renders the result (escaped by the template); swap it in as nodes, without a reload.
      return get(location.pathname, "text/html").then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("replay-body");
        var current = document.getElementById("replay-body");
        if (fresh && current) { current.replaceWith(document.importNode(fresh, true)); }
      });
    }

    function poll() {
      get(url, "application/json").then(function (run) {
        if (failures) { failures = 0; note.textContent = noteText; }
        show(run);
        if (run.finished) {
          note.textContent = run.status === "failed" ? "The replay failed." : "Done: loading the result…";
          return showResult().catch(function () { location.reload(); });
        }
        setTimeout(poll, EVERY_MS);
      }).catch(function () {
        failures += 1;
        note.textContent = "Could not reach the server; trying again…";
        setTimeout(poll, Math.min(30000, EVERY_MS * Math.pow(2, failures)));
      });
    }

    setTimeout(poll, EVERY_MS);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
