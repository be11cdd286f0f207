// The SLA dashboard's charts (templates/service_ops/dashboard/): the weekly on-time trend and the
// units' open and overdue timers. Drawn on load and again after each htmx refresh of the panel
// (the page polls every 60 s), so the charts follow the numbers. A file, for the CSP.
(function () {
  var charts = window.serviceOpsCharts;
  function dispose(id) {
    var el = document.getElementById(id);
    if (el && window.echarts) {
      var old = echarts.getInstanceByDom(el);
      if (old) old.dispose();
    }
  }
  function draw() {
    if (!charts || !document.getElementById("sla-data")) return;
    var data = charts.json("sla-data");
    var labels = charts.labels("sla-labels");
    dispose("chart-sla-trend");
    var trend = charts.init("chart-sla-trend", data.weeks.length, "260px");
    if (trend) {
      var series = [{ type: "line", name: labels.total, data: data.total, connectNulls: true,
                      lineStyle: { width: 3 }, itemStyle: { color: "#0d6efd" } }];
      data.groups.forEach(function (g) {
        series.push({ type: "line", name: g.name, data: g.rates, connectNulls: true });
      });
      trend.setOption({
        grid: { left: 8, right: 16, top: 48, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
        legend: { top: 0, type: "scroll" },
        xAxis: { type: "category", data: data.weeks },
        yAxis: { type: "value", min: 0, max: 100, name: labels.rate },
        series: series
      });
    }
    dispose("chart-sla-units");
    var units = charts.init("chart-sla-units", data.units.length, Math.max(160, 24 * data.units.length + 48) + "px");
    if (units) {
      units.setOption({
        grid: { left: 8, right: 24, top: 28, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", inverse: true, data: data.units, axisLabel: { width: 96, overflow: "truncate" } },
        series: [
          { type: "bar", name: labels.open, data: data.unit_open, barMaxWidth: 14, itemStyle: { color: "#6c757d" } },
          { type: "bar", name: labels.overdue, data: data.unit_overdue, barMaxWidth: 14, itemStyle: { color: "#dc3545" } }
        ]
      });
    }
  }
  draw();
  // htmx:load fires for the new panel after each poll (outerHTML swap)
  document.addEventListener("htmx:load", function (event) {
    if (event.detail && event.detail.elt && event.detail.elt.id === "sla-panel") draw();
  });
})();
