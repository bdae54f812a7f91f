// The scoring sheet: a live "N of M criteria answered", a link to the next unanswered
// criterion, Ctrl+S (or Cmd+S) saves a draft instead of saving the web page and brings the
// adjudicator back to the field they were in, the sticky bar never covers the focused
// field, and a warning before leaving with unsaved changes. The page works without it.
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
  // Keep the bar off the field being typed in: the page's scroll-padding is the bar's
  // height (scoring.css), and a field the browser left under the bar is scrolled clear.
  var actions = document.querySelector(".sheet-actions");
  function barHeight() {
    if (!actions || getComputedStyle(actions).position !== "sticky") { return 0; }
    return actions.getBoundingClientRect().height;
  }
  function measureBar() {
    document.documentElement.style.setProperty("--sheet-bar-height", barHeight() + "px");
  }
  function clearOfBar(field) {
    if (!actions || actions.contains(field)) { return; }
    var hidden = field.getBoundingClientRect().bottom - (window.innerHeight - barHeight() - 8);
    if (hidden > 0) { window.scrollBy(0, hidden); }
  }
  measureBar();
  window.addEventListener("resize", measureBar);
  form.addEventListener("focusin", function (event) { clearOfBar(event.target); });

  // Ctrl+S or "Save draft" reloads the page: come back to the field the adjudicator was in.
  var RETURN_KEY = "scoring-sheet-return:" + location.pathname;
  var lastField = null;
  form.addEventListener("focusin", function (event) {
    if (event.target.id && !event.target.matches("button")) { lastField = event.target.id; }
  });
  function rememberField() {
    try { if (lastField) { sessionStorage.setItem(RETURN_KEY, lastField); } } catch (e) { /* private mode */ }
  }
  function returnToField() {
    var id = null;
    try { id = sessionStorage.getItem(RETURN_KEY); sessionStorage.removeItem(RETURN_KEY); } catch (e) { return; }
    var field = id && document.getElementById(id);
    if (!field) { return; }
    field.focus({ preventScroll: true });
    if (field.tagName === "TEXTAREA") {  // the caret back at the end of what was typed
      field.setSelectionRange(field.value.length, field.value.length);
    }
    field.scrollIntoView({ block: "center" });
  }
  var draftButton = form.querySelector('button[name="_save_draft"]');
  if (draftButton) { draftButton.addEventListener("click", rememberField); }

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
    draft.click();  // its click handler remembers the field
  });
  update();
  returnToField();
})();
