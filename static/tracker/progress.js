// Run progress on cached pages: each <span data-progress-url> is filled from the run's
// uncached progress fragment, and again every 5 s while the run runs. Loaded as a file
// (strict CSP). Without JavaScript the block links to the fragment.
(function () {
  var EVERY_MS = 5000;

  function refresh(block) {
    fetch(block.getAttribute("data-progress-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();  // our own template, escaped on the server
        var fresh = holder.firstElementChild;
        if (!fresh) { return; }
        block.replaceWith(fresh);
        if (fresh.getAttribute("data-running") === "1") {
          setTimeout(function () { refresh(fresh); }, EVERY_MS);
        }
      })
      .catch(function () { /* the placeholder's link stays */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-progress-url]").forEach(refresh);
  });
})();
