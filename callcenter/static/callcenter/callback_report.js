// The callback report's charts (templates/callcenter/reports/callbacks.html), a file so the
// Content-Security-Policy can say script-src 'self'.
(function () {
  var charts = window.serviceOpsCharts;
  var data = charts.json("callback-report-data");
  var labels = charts.labels("callback-report-labels");
  var init = charts.init;
  var months = init("chart-months", data.months.length);
  if (months) {
    months.setOption({
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: data.months },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 5 }],
      series: [
        { type: "bar", stack: "calls", name: labels.reached, data: data.reached, itemStyle: { color: "#198754" } },
        { type: "bar", stack: "calls", name: labels.unreached, data: data.unreached, itemStyle: { color: "#adb5bd" } },
        { type: "line", yAxisIndex: 1, name: labels.average, data: data.average, itemStyle: { color: "#0d6efd" } }
      ]
    });
  }
  var purposes = init("chart-purposes", data.purposes.length);
  if (purposes) {
    purposes.setOption({
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", min: 0, max: 5 },
      yAxis: { type: "category", inverse: true, data: data.purposes, axisLabel: { width: 110, overflow: "truncate" } },
      series: [{ type: "bar", name: labels.average, data: data.purpose_average, barMaxWidth: 20, label: { show: true, position: "right" } }]
    });
  }
})();
