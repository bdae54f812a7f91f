// The scoring sheet: a live "N of M criteria answered", a link to the next unanswered
// criterion, Ctrl+S (or Cmd+S) saves a draft instead of saving the web page, and a
// warning before leaving with unsaved changes. The page works without it.
(function () {
  "use strict";
  var form = document.getElementById("scoring-form");
  if (!form) { return; }
  var blocks = Array.prototype.slice.call(form.querySelectorAll("[data-criterion]"));
  var total = blocks.length;
  var liveText = document.getElementById("progress-live");
  var headText = document.getElementById("progress-text");
  var bar = document.querySelector("#progress progress");
  var dirty = false;

  function answered(block) {
    return block.querySelector('input[type="radio"][name$="-verdict"]:checked') !== null;
  }
  function update() {
    var done = blocks.filter(answered).length;
    var text = done + " of " + total + " criteria answered";
    if (liveText) { liveText.textContent = text; }
    if (headText) { headText.textContent = text; }
    if (bar) { bar.value = done; }
  }
  form.addEventListener("change", function () { dirty = true; update(); });
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  var next = document.getElementById("next-unanswered");
  if (next) {
    next.addEventListener("click", function (event) {
      event.preventDefault();
      var target = blocks.filter(function (b) { return !answered(b); })[0];
      if (!target) { next.textContent = "Every criterion has a verdict"; return; }
      target.scrollIntoView({ block: "start" });
      var first = target.querySelector("input, textarea");
      if (first) { first.focus({ preventScroll: true }); }
    });
  }
  document.addEventListener("keydown", function (event) {
    var key = (event.key || "").toLowerCase();
    if (key !== "s" || !(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) {
      return;
    }
    var draft = form.querySelector('button[name="_save_draft"]');
    if (!draft) { return; }
    event.preventDefault();
    dirty = false;
    draft.click();
  });
  update();
})();
