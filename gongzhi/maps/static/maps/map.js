/* Draws the community map: registers the community's own GeoJSON with ECharts (no online
   tiles) and draws the option built on the server (maps/views.py). Tooltip lines and the
   list behind each place come with it, by region name; a click opens that list. */
(function () {
  "use strict";

  function escape(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function draw(el) {
    if (typeof echarts === "undefined" || el.dataset.drawn) return;
    el.dataset.drawn = "1";
    var data = JSON.parse(document.getElementById(el.dataset.map).textContent);
    echarts.registerMap(data.name, data.geojson);
    var option = data.option;
    var height = (el.clientWidth - 24) * data.ratio + 24;
    el.style.height = Math.round(Math.min(Math.max(height, 300), 720)) + "px";
    function tip(params) {
      var place = data.places[params.name];
      return place ? place.tip.map(escape).join("<br>") : "";
    }
    // The geo component's own tooltip would show the region's key ("grid:3").
    option.tooltip.formatter = tip;
    option.geo.tooltip.formatter = tip;
    var chart = echarts.init(el);
    chart.setOption(option);
    chart.on("click", function (params) {
      var place = data.places[params.name];
      if (place && place.link) window.location.href = place.link;
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map]").forEach(draw);
  });
})();
