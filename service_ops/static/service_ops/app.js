// Small behaviours of the shell, kept out of inline handlers so the Content-Security-Policy can
// say script-src 'self': a button with data-action="print" prints the page.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-action='print']");
  if (button) {
    window.print();
  }
});
