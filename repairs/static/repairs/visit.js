// The visit page on a phone (templates/repairs/field/visits/visit_detail.html): check-in with
// the browser's Geolocation API, photo uploads one by one with their progress (done, or failed
// with a retry: never lost silently), and the customer's signature drawn on a canvas with pointer
// events. A file, not an inline script, so the Content-Security-Policy can say script-src 'self'.
(function () {
  "use strict";

  function csrf(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function text(el, value) {
    if (el) el.textContent = value;
  }

  // --- check-in ---------------------------------------------------------------------------------
  var checkIn = document.querySelector("form[data-check-in]");
  if (checkIn) {
    var locate = checkIn.querySelector("[data-locate]");
    var status = checkIn.querySelector("[data-geo-status]");
    var fallback = checkIn.querySelector("[data-no-location]");
    var reason = checkIn.querySelector("input[name=location_unavailable_reason]");
    var field = function (name) { return checkIn.querySelector("input[name=" + name + "]"); };
    var L = document.documentElement.lang === "en";
    var msg = {
      locating: L ? "Getting your location…" : "正在获取定位…",
      located: L ? "Located, checking in…" : "已定位，正在签到…",
      unsupported: L ? "This browser cannot give a location" : "此浏览器不支持定位",
      denied: L ? "The browser refused the location (permission denied)" : "浏览器拒绝定位（未授权）",
      unavailable: L ? "No position available (no signal)" : "无法获取位置（无定位信号）",
      timeout: L ? "Locating timed out" : "定位超时",
      explain: L ? "No location: give the reason below and check in." : "未能定位：请在下方说明原因后签到。"
    };
    var noLocation = function (why) {
      field("latitude").value = "";
      field("longitude").value = "";
      field("accuracy_m").value = "";
      text(status, msg.explain + " (" + why + ")");
      status.className = "small mb-2 text-danger";
      fallback.open = true;
      if (reason && !reason.value) reason.value = why;
      if (reason) reason.focus();
      locate.disabled = false;
    };
    locate.classList.remove("d-none");
    locate.addEventListener("click", function () {
      if (!("geolocation" in navigator)) {
        noLocation(msg.unsupported);
        return;
      }
      locate.disabled = true;
      text(status, msg.locating);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var c = position.coords;
          field("latitude").value = c.latitude.toFixed(6);
          field("longitude").value = c.longitude.toFixed(6);
          field("accuracy_m").value = Math.round(c.accuracy);
          if (reason) reason.value = "";
          text(status, msg.located);
          checkIn.submit();
        },
        function (error) {
          var why = error.code === 1 ? msg.denied : error.code === 3 ? msg.timeout : msg.unavailable;
          noLocation(why);
        },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 }
      );
    });
    // a submit of the fallback never carries a stale position
    checkIn.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.type === "submit") {
        field("latitude").value = "";
        field("longitude").value = "";
        field("accuracy_m").value = "";
      }
    });
  }

  // --- photos -----------------------------------------------------------------------------------
  var list = document.querySelector("[data-upload-list]");
  var pending = 0;
  var failed = 0;
  var isEn = document.documentElement.lang === "en";
  var words = {
    uploading: isEn ? "Uploading" : "上传中",
    done: isEn ? "Uploaded" : "已上传",
    failed: isEn ? "Failed" : "上传失败",
    retry: isEn ? "Retry" : "重试",
    network: isEn ? "network error" : "网络错误",
    leave: isEn ? "Some photos are not uploaded yet." : "还有照片未上传成功。"
  };

  function key() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function item(upload) {
    var li = document.createElement("li");
    li.className = "border rounded p-2 mb-2";
    li.dataset.uploadItem = "";
    var head = document.createElement("div");
    head.className = "d-flex justify-content-between gap-2";
    var name = document.createElement("span");
    name.className = "text-break";
    name.textContent = upload.label + " · " + upload.file.name;
    var state = document.createElement("span");
    state.className = "text-nowrap";
    state.dataset.uploadState = "";
    head.appendChild(name);
    head.appendChild(state);
    var bar = document.createElement("div");
    bar.className = "progress mt-1";
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", upload.file.name);
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    var fill = document.createElement("div");
    fill.className = "progress-bar";
    bar.appendChild(fill);
    li.appendChild(head);
    li.appendChild(bar);
    upload.li = li;
    upload.state = state;
    upload.bar = bar;
    upload.fill = fill;
    list.appendChild(li);
  }

  function progress(upload, percent) {
    upload.fill.style.width = percent + "%";
    upload.bar.setAttribute("aria-valuenow", String(percent));
    upload.state.textContent = words.uploading + " " + percent + "%";
  }

  function finished(upload, ok, message, data) {
    pending -= 1;
    var old = upload.li.querySelector("[data-retry]");
    if (old) old.remove();
    if (ok) {
      upload.li.className = "border border-success rounded p-2 mb-2";
      upload.li.dataset.uploadItem = "done";
      upload.fill.className = "progress-bar bg-success";
      progress(upload, 100);
      upload.state.textContent = words.done;
      upload.state.className = "text-nowrap text-success";
      if (data && data.url) {
        var img = document.createElement("img");
        img.src = data.url;
        img.alt = (data.kind_label || upload.label) + " " + upload.file.name;
        img.className = "rounded border mt-1";
        img.style.height = "64px";
        upload.li.appendChild(img);
      }
      return;
    }
    failed += 1;
    upload.li.className = "border border-danger rounded p-2 mb-2";
    upload.li.dataset.uploadItem = "failed";
    upload.fill.className = "progress-bar bg-danger";
    upload.state.textContent = words.failed + "：" + message;
    upload.state.className = "text-danger";
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "btn btn-sm btn-outline-danger mt-1";
    retry.dataset.retry = "";
    retry.textContent = words.retry;
    retry.addEventListener("click", function () {
      failed -= 1;
      send(upload);
    });
    upload.li.appendChild(retry);
  }

  function errorText(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      var errors = body.errors || {};
      var texts = [];
      Object.keys(errors).forEach(function (k) { texts = texts.concat(errors[k]); });
      if (texts.length) return texts.join(" ");
    } catch (e) { /* not JSON */ }
    return "HTTP " + xhr.status;
  }

  function send(upload) {
    pending += 1;
    upload.li.className = "border rounded p-2 mb-2";
    upload.li.dataset.uploadItem = "uploading";
    upload.fill.className = "progress-bar";
    upload.state.className = "text-nowrap";
    progress(upload, 0);
    var data = new FormData();
    data.append("kind", upload.kind);
    data.append("file", upload.file, upload.file.name);
    data.append("upload_key", upload.key);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", upload.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", upload.csrf);
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) progress(upload, Math.min(99, Math.round((100 * event.loaded) / event.total)));
    });
    xhr.addEventListener("load", function () {
      if (xhr.status === 200 || xhr.status === 201) {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        finished(upload, true, "", body);
      } else {
        finished(upload, false, errorText(xhr));
      }
    });
    xhr.addEventListener("error", function () { finished(upload, false, words.network); });
    xhr.addEventListener("timeout", function () { finished(upload, false, words.network); });
    xhr.timeout = 120000;
    xhr.send(data);
  }

  if (list) {
    document.querySelectorAll("form[data-photo-form]").forEach(function (form) {
      var input = form.querySelector("[data-photo-input]");
      var button = form.querySelector("[data-no-script]");
      if (button) button.classList.add("d-none");
      var label = form.querySelector("label").textContent.replace("*", "").trim();
      input.addEventListener("change", function () {
        Array.prototype.forEach.call(input.files, function (file) {
          var upload = {
            file: file,
            kind: form.querySelector("input[name=kind]").value,
            key: key(),
            label: label,
            action: form.action,
            csrf: csrf(form)
          };
          item(upload);
          send(upload);
        });
        input.value = "";
      });
    });
    window.addEventListener("beforeunload", function (event) {
      if (pending > 0 || failed > 0) {
        event.preventDefault();
        event.returnValue = words.leave;
        return words.leave;
      }
    });
  }

  // --- signature --------------------------------------------------------------------------------
  var pad = document.querySelector("canvas[data-signature-pad]");
  if (pad) {
    var form = pad.closest("form");
    var ctx = pad.getContext("2d");
    var drawn = false;
    var drawing = false;
    var last = null;
    var empty = form.querySelector("[data-signature-empty]");

    var fit = function () {
      if (drawn) return; // resizing clears the canvas: keep what was drawn
      var ratio = window.devicePixelRatio || 1;
      pad.width = Math.round(pad.clientWidth * ratio);
      pad.height = Math.round(pad.clientHeight * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.5;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
    };
    var point = function (event) {
      var rect = pad.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    };
    fit();
    window.addEventListener("resize", fit);
    pad.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      pad.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      ctx.beginPath();
      ctx.arc(last.x, last.y, 1.2, 0, 2 * Math.PI);
      ctx.fillStyle = "#111";
      ctx.fill();
      drawn = true;
      empty.classList.remove("d-block");
    });
    pad.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      event.preventDefault();
      var p = point(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
    });
    var stop = function () { drawing = false; };
    pad.addEventListener("pointerup", stop);
    pad.addEventListener("pointercancel", stop);
    form.querySelector("[data-signature-clear]").addEventListener("click", function () {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, pad.width, pad.height);
      ctx.restore();
      drawn = false;
      fit();
    });
    var standIn = form.querySelectorAll("input[name=stand_in]");
    var nameField = form.querySelector("input[name=signer_name]");
    var toggle = function () {
      var checked = form.querySelector("input[name=stand_in]:checked");
      var on = checked && checked.value === "1";
      nameField.closest(".mb-3").classList.toggle("d-none", !on);
    };
    standIn.forEach(function (radio) { radio.addEventListener("change", toggle); });
    toggle();
    form.addEventListener("submit", function (event) {
      if (!drawn) {
        event.preventDefault();
        empty.classList.add("d-block");
        return;
      }
      form.querySelector("input[name=signature]").value = pad.toDataURL("image/png");
    });
  }
})();
