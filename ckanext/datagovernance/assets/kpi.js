/* The dashboard's charts (Chart.js). The figures come from the JSON block the
 * page renders from datagovernance_kpi_show; every chart has a table with the
 * same figures beside it, so nothing depends on this script. */
(function () {
  "use strict";
  var COLORS = ["#1f5f8b", "#3f8f4f", "#d9822b", "#b03a48", "#6b4c9a", "#7a7a7a", "#2a9d8f"];

  function draw() {
    var el = document.getElementById("dg-kpi-data");
    if (!el || typeof Chart === "undefined") { return; }
    var data = JSON.parse(el.textContent);
    var locale = document.documentElement.lang || "de";
    window.dgKpiCharts = {};
    document.querySelectorAll("canvas[data-dg-chart]").forEach(function (canvas) {
      var spec = data.charts[canvas.getAttribute("data-dg-chart")];
      if (!spec) { return; }
      var datasets = spec.datasets.map(function (ds, i) {
        var color = spec.type === "line" ? COLORS[i % COLORS.length] : spec.labels.map(function (_, j) {
          return COLORS[(spec.datasets.length > 1 ? i : j) % COLORS.length];
        });
        return Object.assign({backgroundColor: color, borderColor: spec.type === "line" ? color : undefined,
                              tension: 0.2, spanGaps: true}, ds);
      });
      window.dgKpiCharts[canvas.getAttribute("data-dg-chart")] = new Chart(canvas, {
        type: spec.type,
        data: {labels: spec.labels, datasets: datasets},
        options: {
          animation: false, responsive: true, maintainAspectRatio: false, locale: locale,
          indexAxis: spec.horizontal ? "y" : "x",
          plugins: {legend: {display: spec.type === "line" || spec.type === "doughnut"}},
          scales: spec.type === "doughnut" ? {} : {y: {beginAtZero: true}}
        }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
