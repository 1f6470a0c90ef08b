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

  /* Lays out a category axis's labels; returns how far a turned first label reaches left of
     the plot (0 when the labels stay level). */
  function fitAxis(axis, room) {
    if (!axis || axis.type !== "category" || !axis.data || !axis.data.length) return 0;
    var slot = room / axis.data.length;
    var longest = Math.max.apply(null, axis.data.map(textWidth));
    // Two balanced lines ("琴湖" over "新村"), never one character alone on the second.
    var half = Math.ceil(longest / CHAR / 2) * CHAR + 2;
    var label = Object.assign({}, axis.axisLabel, { interval: 0, hideOverlap: false });
    if (longest <= slot - 4) {
      label.rotate = 0;
    } else if (longest >= 3 * CHAR && half <= slot - 4) {
      label.rotate = 0;
      label.width = half;
      label.overflow = "break";
    } else {
      label.rotate = 40;
      label.overflow = "none";
      delete label.width;
      axis.axisLabel = label;
      return Math.min(80, textWidth(axis.data[0]) * 0.77 - slot / 2);
    }
    axis.axisLabel = label;
    return 0;
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
    var reach = 0;
    list(option.xAxis).forEach(function (axis) { reach = Math.max(reach, fitAxis(axis, width - 70)); });
    // containLabel leaves out part of a long turned first label: give it the room.
    list(option.grid).forEach(function (grid) { grid.left = Math.max(grid.left, reach); });
    list(option.series).forEach(function (series) {
      if (series.type === "pie") {
        series.radius = series.radius || ["30%", "55%"];
        series.center = ["50%", "55%"];
        series.avoidLabelOverlap = true;
        // Labels line up along the chart's sides, each wrapping within the room it has there.
        series.label = Object.assign(
          { formatter: "{b}\n{c}", alignTo: "edge", edgeDistance: 6, minMargin: 4, overflow: "break" },
          series.label
        );
        series.labelLine = Object.assign({ length: 10, length2: 0, maxSurfaceAngle: 80 }, series.labelLine);
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
