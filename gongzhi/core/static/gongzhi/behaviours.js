/* Small behaviours that pages declare with data attributes instead of inline handlers (the
   Content-Security-Policy runs no inline script):
   - data-autosubmit on a <select>: changing it submits its form;
   - data-print on a button: prints the page;
   - data-back on a link: goes back to the previous page;
   - data-submit-once on a <form>: its submit button is disabled once the form is sent. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) field.form.submit();
  });
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-print], [data-back]");
    if (!el) return;
    event.preventDefault();
    if (el.hasAttribute("data-print")) window.print();
    else window.history.back();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-submit-once]")) return;
    form.querySelectorAll("[type=submit]").forEach(function (button) { button.disabled = true; });
  });
})();
