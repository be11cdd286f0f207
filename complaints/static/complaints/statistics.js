// The complaint statistics' charts (templates/complaints/statistics.html), a file so the
// Content-Security-Policy can say script-src 'self'. ECharts from the installed package.
(function () {
  var charts = window.serviceOpsCharts;
  var data = charts.json("complaint-stats-data");
  var labels = charts.labels("complaint-stats-labels");
  var init = charts.init;
  var months = init("chart-months", data.months.length);
  if (months) {
    months.setOption({
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { type: "bar", name: labels.total, data: data.month_total, itemStyle: { color: "#0d6efd" } },
        { type: "line", name: labels.escalated, data: data.month_escalated, itemStyle: { color: "#dc3545" } }
      ]
    });
  }
  var categories = init("chart-categories", data.categories.length);
  if (categories) {
    categories.setOption({
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: data.categories, label: { formatter: "{b}: {c}" } }]
    });
  }
  var stages = init("chart-stages", data.stages.length);
  if (stages) {
    stages.setOption({
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", min: 0, max: 100 },
      yAxis: { type: "category", inverse: true, data: data.stages },
      series: [{ type: "bar", name: labels.rate, data: data.stage_rate, barMaxWidth: 20, itemStyle: { color: "#198754" }, label: { show: true, position: "right" } }]
    });
  }
  var units = init("chart-units", data.units.length);
  if (units) {
    units.setOption({
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: data.units, axisLabel: { width: 110, overflow: "truncate" } },
      series: [{ type: "bar", name: labels.total, data: data.unit_total, barMaxWidth: 20, label: { show: true, position: "right" } }]
    });
  }
})();
