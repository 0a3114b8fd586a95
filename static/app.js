// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // A time-zone picker with nothing chosen yet starts at the browser's own zone.
  document.querySelectorAll("select[data-browser-zone]").forEach(function (select) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === zone) { select.selectedIndex = i; break; }
    }
  });

  // A recent diagnosis code, clicked, joins the codes typed in its form.
  document.querySelectorAll("button[data-code]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = button.form && button.form.querySelector("input[name=diagnosis]");
      if (!input) return;
      var code = button.getAttribute("data-code");
      var codes = input.value.split(/[\s,;]+/).filter(function (c) { return c; });
      if (codes.indexOf(code) < 0) codes.push(code);
      input.value = codes.join(", ");
      input.focus();
    });
  });

  // A print button (hidden until this script can make it work).
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // Ask before archiving and similar actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // A second click on a submit button must not send the form twice. The buttons are
  // disabled only after this turn, so that the button pressed still sends its value.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      if (form.getAttribute("data-sending")) { event.preventDefault(); return; }
      form.setAttribute("data-sending", "yes");
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) {
          b.disabled = true;
          b.setAttribute("aria-busy", "true");
        });
      }, 0);
    });
  });
  // Coming back to a page (the back button) must not leave its forms unusable.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      form.removeAttribute("data-sending");
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.disabled = false;
        b.removeAttribute("aria-busy");
      });
    });
  });

  // Insurance fields only matter when insurance is the billing type.
  var insurance = document.querySelector("[data-show-when=insurance]");
  if (insurance) {
    var radios = document.querySelectorAll("input[name=billing_type]");
    var update = function () {
      var checked = document.querySelector("input[name=billing_type]:checked");
      insurance.hidden = !!checked && checked.value !== "insurance";
    };
    radios.forEach(function (r) { r.addEventListener("change", update); });
    update();
  }

  // Say at once when a chosen file is over the size limit, before it is sent.
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      var file = input.files && input.files[0];
      input.setCustomValidity(file && file.size > max ? "This file is larger than the limit shown above." : "");
      input.reportValidity();
    });
  });
})();

// Copy buttons: copy the named field's text.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    var done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    else { document.execCommand("copy"); done(); }
  });
});

// Import: say that a large upload is on its way, and follow an analysis's progress
// without the page's own refresh (which stays as the fallback).
(function () {
  "use strict";
  var form = document.querySelector("form[data-upload]");
  if (form) {
    form.addEventListener("submit", function () {
      var s = form.querySelector("[data-upload-status]");
      if (s) s.hidden = false;
    });
  }
  var box = document.querySelector("[data-import-progress]");
  if (!box || !window.fetch) return;
  var meta = document.querySelector("meta[http-equiv=refresh]");
  if (meta) meta.parentNode.removeChild(meta);
  var url = box.getAttribute("data-import-progress");
  var label = box.querySelector("[data-progress-label]");
  var count = box.querySelector("[data-progress-count]");
  var bar = box.querySelector("[data-progress-bar]");
  var poll = function () {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!r.ok || !json) throw new Error("stop");
        return r.json();
      })
      .then(function (s) {
        if (s.status !== "queued" && s.status !== "analysing") { window.location.reload(); return; }
        if (s.label && label) label.textContent = s.label;
        if (s.total > 0) {
          if (count) count.textContent = ": " + s.done + " of " + s.total + " rows";
          if (bar) { bar.max = s.total; bar.value = s.done; }
        }
        window.setTimeout(poll, 700);
      })
      // Signed out or gone: the page's own refresh takes over.
      .catch(function () {});
  };
  window.setTimeout(poll, 500);
})();

// Import review: typing an email into a row that lacked one selects it.
document.querySelectorAll("table.import-rows tr[data-status=invalid]").forEach(function (row) {
  var email = row.querySelector("input[type=email]");
  var box = row.querySelector("input[type=checkbox][name=select]");
  if (!email || !box) return;
  email.addEventListener("input", function () {
    box.checked = !!email.value.trim();
  });
});

// A SimplePractice export dropped anywhere on its upload page is chosen and sent.
(function () {
  "use strict";
  var form = document.querySelector("form[data-dropzone]");
  if (!form) return;
  var input = form.querySelector("input[type=file]");
  var over = function (event) {
    event.preventDefault();
    form.classList.add("dragging");
  };
  document.addEventListener("dragenter", over);
  document.addEventListener("dragover", over);
  document.addEventListener("dragleave", function () { form.classList.remove("dragging"); });
  document.addEventListener("drop", function (event) {
    event.preventDefault();
    form.classList.remove("dragging");
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!input || !files || files.length !== 1) return;
    input.files = files;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
})();

// Questionnaires: each answer is saved as it is given (the form's own buttons stay the
// fallback), and on a phone one question fills the screen at a time, with Back and Next.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var save = function () {
    if (!window.fetch || !window.FormData) return;
    var data = new URLSearchParams(new FormData(form));
    data.set("action", "autosave");
    // getAttribute: form.action would be the buttons named "action".
    fetch(form.getAttribute("action"), { method: "POST", credentials: "same-origin", body: data }).catch(function () {});
  };
  form.addEventListener("change", save);

  var items = Array.prototype.slice.call(form.querySelectorAll(".q-item"));
  var narrow = window.matchMedia && window.matchMedia("(max-width: 640px)").matches;
  if (!narrow || items.length < 2) return;
  form.classList.add("stepping");
  var submit = form.querySelector(".q-submit");
  var nav = document.createElement("div");
  nav.className = "q-steps";
  var back = document.createElement("button");
  back.type = "button";
  back.className = "button secondary";
  back.textContent = "Back";
  var progress = document.createElement("span");
  progress.className = "q-progress";
  progress.setAttribute("aria-live", "polite");
  var next = document.createElement("button");
  next.type = "button";
  next.className = "button";
  next.textContent = "Next";
  nav.appendChild(back);
  nav.appendChild(progress);
  nav.appendChild(next);
  form.insertBefore(nav, submit);
  // Start at the first question without an answer (or one the server marked).
  var answered = function (item) { return !!item.querySelector("input:checked"); };
  var at = items.findIndex(function (i) { return i.classList.contains("missing"); });
  if (at < 0) at = items.findIndex(function (i) { return !answered(i) && !i.classList.contains("q-optional"); });
  if (at < 0) at = items.length - 1;
  var show = function (focus) {
    items.forEach(function (item, n) { item.classList.toggle("current", n === at); });
    var last = at === items.length - 1;
    back.disabled = at === 0;
    next.hidden = last;
    submit.hidden = !last;
    progress.textContent = "Question " + (at + 1) + " of " + items.length;
    // Each questionnaire's heading stays with its first question only.
    form.querySelectorAll(".questionnaire").forEach(function (q) {
      q.querySelector("h2").hidden = !q.contains(items[at]) ;
    });
    if (focus) {
      var input = items[at].querySelector("input:checked") || items[at].querySelector("input");
      if (input) input.focus();
      items[at].scrollIntoView({ block: "nearest" });
    }
  };
  back.addEventListener("click", function () { if (at > 0) { at--; show(true); } });
  next.addEventListener("click", function () { if (at < items.length - 1) { at++; show(true); } });
  // Choosing an answer moves on, after a moment to see it chosen.
  items.forEach(function (item, n) {
    item.addEventListener("change", function () {
      if (n === at && at < items.length - 1) window.setTimeout(function () { at++; show(true); }, 250);
    });
  });
  show(false);
})();
