// Tongban dashboards: the charts of a statistics summary, drawn with ECharts
// from the JSON the page embeds (#dash-data). No inline script: the CSP
// forbids it.
(function () {
  var el = document.getElementById("dash-data");
  if (!el || !window.echarts) { return; }
  var d = JSON.parse(el.textContent);
  var s = d.summary, L = d.labels, charts = [];
  function chart(id, option) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var c = echarts.init(node);
    c.setOption(option);
    charts.push(c);
    return c;
  }
  var days = s.days || [];
  chart("chart-daily", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 40, top: 30, bottom: 30 },
    xAxis: { type: "category", data: days.map(function (x) { return x.day.length > 7 ? x.day.slice(5) : x.day; }) },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
    series: [
      { name: L.submitted, type: "bar", data: days.map(function (x) { return x.submitted; }) },
      { name: L.concluded, type: "bar", data: days.map(function (x) { return x.concluded; }) },
      { name: L.online_share, type: "line", yAxisIndex: 1, data: days.map(function (x) { return Math.round(x.online_share * 1000) / 10; }) }
    ]
  });
  var sig = d.signals || [];
  chart("chart-signals", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 20, top: 30, bottom: 60 },
    xAxis: { type: "category", data: sig.map(function (x) { return x.department; }), axisLabel: { interval: 0, rotate: 20 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: L.warning, type: "bar", stack: "s", color: "#5470c6", data: sig.map(function (x) { return x.warning; }) },
      { name: L.yellow, type: "bar", stack: "s", color: "#fac858", data: sig.map(function (x) { return x.yellow; }) },
      { name: L.red, type: "bar", stack: "s", color: "#c7000b", data: sig.map(function (x) { return x.red; }) }
    ]
  });
  var regions = (s.regions || []).filter(function (r) { return r.submitted > 0; });
  var tree = chart("chart-regions", {
    tooltip: { formatter: function (p) { return p.name + ": " + p.value; } },
    series: [{
      type: "treemap", roam: false, nodeClick: false, breadcrumb: { show: false },
      data: regions.map(function (r) { return { name: r.name || r.region_code, value: r.submitted, code: r.region_code }; })
    }]
  });
  // Drill down (district → town → village) by clicking a region.
  if (tree && !d.public) {
    tree.on("click", function (p) {
      if (!p.data || !p.data.code || p.data.code === s.region_code) { return; }
      var u = new URL(window.location.href);
      u.searchParams.set("region", p.data.code);
      window.location.href = u.toString();
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
}());
