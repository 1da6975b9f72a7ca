// extguard console: the little it needs beyond htmx (no inline script is
// allowed by the Content-Security-Policy). A button with data-copy copies
// the text of the element it names, e.g. a new API key's secret.
document.addEventListener("click", function (ev) {
  var b = ev.target.closest("button[data-copy]");
  if (!b) return;
  var el = document.getElementById(b.dataset.copy);
  if (el && navigator.clipboard) {
    navigator.clipboard.writeText(el.textContent.trim()).then(function () { b.textContent = "Copied"; });
  }
});
