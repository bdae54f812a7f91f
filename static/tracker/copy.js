// Copy buttons: <button class="copy" data-copy="TEXT">. Loaded as a file (strict CSP: no
// inline script). Without JavaScript the full value stays readable in the button's title.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button || !navigator.clipboard) { return; }
  navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
    var label = button.textContent;
    button.textContent = "copied";
    setTimeout(function () { button.textContent = label; }, 1500);
  });
});

document.addEventListener("DOMContentLoaded", function () {
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("button[data-copy][hidden]").forEach(function (button) {
    button.hidden = false;
  });
});
