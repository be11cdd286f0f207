// The agent desk (来电登记): keyboard first. No inline handlers (the CSP says script-src 'self').
// - Enter in the number field picks the first match (or keeps the one picked) and moves on;
//   ArrowDown goes into the matches; Alt+1…9 picks the nth match from anywhere.
// - In a group of radio buttons (category, outcome) the digit keys pick the nth choice.
// - Ctrl+Enter (or Cmd+Enter) saves from anywhere, a textarea included.
// - The sections of the outcome chosen are shown, the others hidden (all shown without script).
// - The time since the form was opened ticks beside the title.
(function () {
  "use strict";
  var form = document.getElementById("call-form");
  if (!form) {
    return;
  }
  var phone = document.getElementById("id_phone");

  function radios(name) {
    return Array.prototype.slice.call(form.querySelectorAll("input[type=radio][name='" + name + "']"));
  }

  function pick(input) {
    if (!input) {
      return;
    }
    input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function next(field) {
    var target = document.getElementById(field);
    if (target) {
      target.focus();
    }
  }

  // --- outcome sections ---------------------------------------------------------------------
  function showOutcome() {
    var chosen = form.querySelector("input[name='outcome']:checked");
    var value = chosen ? chosen.value : "";
    form.querySelectorAll("[data-outcome-section]").forEach(function (section) {
      section.hidden = section.getAttribute("data-outcome-section") !== value;
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "outcome") {
      showOutcome();
    }
  });
  showOutcome();

  // --- keys ---------------------------------------------------------------------------------
  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (target === phone && event.key === "Enter") {
      event.preventDefault();
      var list = radios("caller");
      var checked = list.filter(function (r) { return r.checked && r.value; })[0];
      if (!checked && list.length > 1) {
        pick(list[0]);
        checked = list[0];
      }
      next(checked && checked.value ? "id_product_model" : "id_caller_name");
      return;
    }
    if (target === phone && event.key === "ArrowDown") {
      var first = radios("caller").filter(function (r) { return r.checked; })[0] || radios("caller")[0];
      if (first) {
        event.preventDefault();
        first.focus();
      }
      return;
    }
    if (event.altKey && /^[1-9]$/.test(event.key)) {
      var match = form.querySelector("input[name='caller'][data-index='" + event.key + "']");
      if (match) {
        event.preventDefault();
        pick(match);
      }
      return;
    }
    if (target.type === "radio" && target.name !== "caller" && /^[1-9]$/.test(event.key)) {
      var choice = radios(target.name)[Number(event.key) - 1];
      if (choice) {
        event.preventDefault();
        pick(choice);
        choice.focus();
      }
      return;
    }
    if (target.type === "radio" && target.name === "caller" && event.key === "Enter") {
      event.preventDefault();
      next(target.value ? "id_product_model" : "id_caller_name");
    }
  });

  // --- elapsed time -------------------------------------------------------------------------
  var elapsed = document.getElementById("elapsed");
  var started = elapsed ? Date.parse(elapsed.getAttribute("data-started")) : NaN;
  if (elapsed && !isNaN(started)) {
    var tick = function () {
      var seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
      var text = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
      elapsed.textContent = text;
      elapsed.classList.toggle("text-bg-dark", seconds < 60);
      elapsed.classList.toggle("text-bg-danger", seconds >= 60);
    };
    tick();
    window.setInterval(tick, 1000);
  }
})();
