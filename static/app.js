// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Ask before archiving and similar actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // A second click on a submit button must not send the form twice.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.disabled = true;
        b.setAttribute("aria-busy", "true");
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
