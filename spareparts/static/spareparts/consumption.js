// The parts consumption report's chart (templates/spareparts/consumption.html): per month the
// biggest consumers of the page stacked, the page's other lines as one more band. A file, so the
// Content-Security-Policy can say script-src 'self'. ECharts from the installed package.
(function () {
  var charts = window.serviceOpsCharts;
  var data = charts.json("consumption-data");
  var labels = charts.labels("consumption-labels");
  var chart = charts.init("chart-consumption", data.series.length, "260px");
  if (!chart) return;
  var series = data.series.map(function (s) {
    return { type: "bar", stack: "all", name: s.name, data: s.data };
  });
  if (data.rest.some(function (v) { return v > 0; })) {
    series.push({ type: "bar", stack: "all", name: labels.rest, data: data.rest, itemStyle: { color: "#adb5bd" } });
  }
  chart.setOption({
    grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value", minInterval: 1 },
    series: series
  });
})();
