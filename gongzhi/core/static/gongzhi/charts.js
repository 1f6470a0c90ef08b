/* Draws every [data-chart] element with ECharts. The option is built on the server and sits
   in a <script type="application/json"> whose id is the data-chart value. A data point with a
   "link" (core/charts.py) opens that list when clicked.

   fit() gives every chart the same label layout, so short Chinese labels ("线上反映") are never
   cut to "线…": the plot area makes room for its labels (containLabel), category labels wrap
   onto a second line when there is room and turn only when there is not, legends scroll on one
   line instead of running over the plot, pie and radar labels keep inside the box. */
(function () {
  "use strict";
  var CHAR = 13; // px of one Chinese character at ECharts' default 12px label size

  function json(id) {
    var el = id && document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function list(value) {
    return value === undefined ? [] : [].concat(value);
  }
  function textWidth(label) {
    return String(label).length * CHAR;
  }

  function fitAxis(axis, room) {
    if (!axis || axis.type !== "category" || !axis.data || !axis.data.length) return;
    var slot = room / axis.data.length;
    var longest = Math.max.apply(null, axis.data.map(textWidth));
    var label = Object.assign({}, axis.axisLabel, { interval: 0, hideOverlap: false });
    if (longest <= slot - 4) {
      label.rotate = 0;
    } else if (slot >= 2.5 * CHAR && longest <= 2 * (slot - 4)) {
      // Two lines of characters fit under each bar.
      label.rotate = 0;
      label.width = slot - 4;
      label.overflow = "break";
    } else {
      label.rotate = 40;
      label.overflow = "none";
      delete label.width;
    }
    axis.axisLabel = label;
  }

  function fit(option, el) {
    var width = el.clientWidth || 320;
    var legend = option.legend;
    var legendShown = legend && legend.show !== false && (legend.data || []).length > 0;
    if (legendShown) {
      option.legend = Object.assign({}, legend, { type: "scroll", top: 0, left: "center" });
    }
    list(option.grid).forEach(function (grid) {
      grid.containLabel = true;
      grid.left = 8;
      grid.right = 12;
      grid.bottom = 8;
      grid.top = legendShown ? 36 : 16;
    });
    list(option.xAxis).forEach(function (axis) { fitAxis(axis, width - 70); });
    list(option.series).forEach(function (series) {
      if (series.type === "pie") {
        series.radius = series.radius || ["30%", "55%"];
        series.center = ["50%", "55%"];
        series.avoidLabelOverlap = true;
        series.label = Object.assign(
          { formatter: "{b}\n{c}", overflow: "break", width: Math.max(60, width / 4) },
          series.label
        );
      }
    });
    if (option.radar) {
      list(option.radar).forEach(function (radar) {
        radar.radius = "58%";
        radar.center = ["50%", "55%"];
        radar.axisName = Object.assign({ overflow: "break", width: 5 * CHAR }, radar.axisName);
      });
    }
    return option;
  }

  function draw(root) {
    if (typeof echarts === "undefined") return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      el.dataset.drawn = "1";
      var option = json(el.dataset.chart);
      var chart = echarts.init(el);
      chart.setOption(fit(option, el));
      chart.on("click", function (params) {
        var link = params.data && params.data.link;
        if (link) window.location.href = link;
      });
      window.addEventListener("resize", function () {
        chart.setOption(fit(option, el));
        chart.resize();
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();
