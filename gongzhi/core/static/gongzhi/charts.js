/* Draws every [data-chart] element with ECharts. The option is built on the server and sits
   in a <script type="application/json"> whose id is the data-chart value; data-chart-links
   names another one mapping a label to the page that lists its matters. */
(function () {
  "use strict";
  function json(id) {
    var el = id && document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function draw(root) {
    if (typeof echarts === "undefined") return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      el.dataset.drawn = "1";
      var chart = echarts.init(el);
      chart.setOption(json(el.dataset.chart));
      var links = json(el.dataset.chartLinks) || {};
      chart.on("click", function (params) {
        if (links[params.name]) window.location.href = links[params.name];
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();
