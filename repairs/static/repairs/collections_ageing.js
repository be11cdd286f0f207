// The ageing chart (templates/repairs/collections/ageing.html): open balances per branch,
// stacked by days past due. A file, so the Content-Security-Policy can say script-src 'self'.
(function () {
  var charts = window.serviceOpsCharts;
  var data = charts.json("ageing-data");
  var height = Math.max(160, 36 * data.names.length + 80) + "px";
  var chart = charts.init("chart-ageing", data.names.length, height);
  if (!chart) return;
  var colours = ["#198754", "#ffc107", "#fd7e14", "#dc3545", "#842029"];
  chart.setOption({
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    legend: { top: 0, type: "scroll" },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: data.names, axisLabel: { width: 90, overflow: "truncate" } },
    series: data.buckets.map(function (label, i) {
      return { type: "bar", stack: "ageing", name: label, barMaxWidth: 24, data: data.series[i], itemStyle: { color: colours[i] } };
    })
  });
})();
