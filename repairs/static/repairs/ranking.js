// The year-end ranking charts (templates/repairs/ranking.html): a file, not an inline script,
// so the Content-Security-Policy can say script-src 'self'.
(function () {
  var charts = window.serviceOpsCharts;
  var data = charts.json("ranking-data");
  function draw(id, series, unitLabel) {
    var height = Math.max(140, 40 * series.names.length + 50) + "px";
    var chart = charts.init(id, series.names.length, height);
    if (!chart) return;
    chart.setOption({
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: series.names, axisLabel: { width: 90, overflow: "truncate" } },
      series: [{
        type: "bar", name: unitLabel, barMaxWidth: 24, label: { show: true, position: "right" },
        data: series.units.map(function (v, i) {
          return { value: v, itemStyle: { color: series.flagged[i] ? "#dc3545" : "#0d6efd" } };
        })
      }]
    });
  }
  var unitLabel = document.getElementById("ranking-unit-label").dataset.unitLabel || "";
  draw("chart-provinces", data.provinces, unitLabel);
  draw("chart-branches", data.branches, unitLabel);
})();
