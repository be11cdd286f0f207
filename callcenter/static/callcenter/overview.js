// The call-centre overview's small charts (templates/callcenter/overview/overview.html), a file
// so the Content-Security-Policy can say script-src 'self'.
(function () {
  var charts = window.serviceOpsCharts;
  var data = charts.json("overview-data");
  var labels = charts.labels("overview-labels");
  function init(id) { return charts.init(id, true, "200px"); }
  var agents = data["_agents.html"];
  var a = agents && agents.names.length ? init("chart-agents") : null;
  if (a) {
    a.setOption({
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: agents.names, axisLabel: { width: 90, overflow: "truncate" } },
      series: [{ type: "bar", name: labels.open, data: agents.values, barMaxWidth: 16, label: { show: true, position: "right" } }]
    });
  }
  var week = data["_satisfaction.html"];
  var s = week && week.days.length ? init("chart-satisfaction") : null;
  if (s) {
    s.setOption({
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: week.days },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 5 }],
      series: [
        { type: "bar", name: labels.count, data: week.count, itemStyle: { color: "#adb5bd" } },
        { type: "line", yAxisIndex: 1, name: labels.average, data: week.average, itemStyle: { color: "#0d6efd" } }
      ]
    });
  }
})();
