// The repairs reports' chart: lines (turnaround), bars (QC by model), stacked bars (warranty
// against paid) or horizontal bars (top faults), from the page's JSON.
(function () {
  var C = window.serviceOpsCharts;
  if (!C) return;
  var data = C.json("report-chart");
  var any = data.series.some(function (s) {
    return s.data.some(function (v) { return v !== null && v !== 0; });
  });
  var chart = C.init("chart-report", any, data.type === "hbar" ? "360px" : "300px");
  if (!chart) return;
  var horizontal = data.type === "hbar";
  var category = { type: "category", data: data.x, axisLabel: { hideOverlap: true } };
  var value = { type: "value" };
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", top: 0 },
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: horizontal ? value : category,
    yAxis: horizontal ? category : value,
    series: data.series.map(function (s) {
      return {
        name: s.name,
        type: data.type === "line" ? "line" : "bar",
        stack: data.stack ? "total" : undefined,
        data: s.data,
        connectNulls: true,
        lineStyle: s.dashed ? { type: "dashed" } : undefined
      };
    })
  });
})();
