/* Phone layout helpers (progressive: every page works without them).
   1. Tables with class "rows" become cards on a phone; each cell gets its column's name as
      data-label, which the stylesheet prints before the value.
   2. The list filters sit in <details class="filters-fold"> (folded behind 筛选 on a phone);
      on a wide screen they are simply open. */
(function () {
  "use strict";
  function label(root) {
    root.querySelectorAll("table.rows").forEach(function (table) {
      var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (td, i) {
          if (names[i] && !td.hasAttribute("data-label")) td.setAttribute("data-label", names[i]);
        });
      });
    });
  }
  function unfold() {
    if (!window.matchMedia("(min-width: 641px)").matches) return;
    document.querySelectorAll("details.filters-fold").forEach(function (d) { d.open = true; });
  }
  document.addEventListener("DOMContentLoaded", function () { label(document); unfold(); });
  document.addEventListener("htmx:afterSwap", function (event) { label(event.target); });
})();
