// The pages' small charts, one place for what each needs (ECharts from the installed package,
// drawn as SVG): the page's JSON, a chart in a box that hides itself when there is nothing to
// draw, and every chart resized with the window. A file, so the CSP can say script-src 'self'.
window.serviceOpsCharts = (function () {
  var charts = [];
  window.addEventListener("resize", function () {
    charts = charts.filter(function (c) { return !c.isDisposed(); });  // redrawn pages dispose
    charts.forEach(function (c) { c.resize(); });
  });
  return {
    json: function (id) { return JSON.parse(document.getElementById(id).textContent); },
    labels: function (id) { return document.getElementById(id).dataset; },
    // init(id, show, height): null when the box is missing, ECharts did not load, or `show` is
    // falsy (the box is then hidden).
    init: function (id, show, height) {
      var el = document.getElementById(id);
      if (!el || !window.echarts) return null;
      if (!show) { el.style.display = "none"; return null; }
      el.style.height = height || "240px";
      var chart = echarts.init(el, null, { renderer: "svg" });
      charts.push(chart);
      return chart;
    }
  };
})();
