// The call screen (templates/callcenter/callbacks/detail.html): the business result (valid,
// satisfaction, comments) is asked only when the customer was reached. A file, not an inline
// script, so the Content-Security-Policy can say script-src 'self'. Without it every field shows.
(function () {
  var form = document.getElementById("call-form");
  var block = document.getElementById("business-result");
  if (!form || !block) return;
  var reached = block.dataset.reached;
  function sync() {
    var checked = form.querySelector("input[name=result]:checked");
    block.hidden = !checked || checked.value !== reached;
  }
  form.addEventListener("change", sync);
  sync();
})();
