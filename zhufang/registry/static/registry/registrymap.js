/* The registry's result map: points (houses found, or one house) over the bureau's own polygons, drawn
   with ECharts registerMap from the organisation map API — no tiles, nothing fetched from outside. */
(function () {
  "use strict";
  if (!window.echarts) return;
  document.querySelectorAll("[data-registry-map]:not([data-drawn])").forEach(function (el) {
    el.setAttribute("data-drawn", "1");
    const source = document.getElementById(el.dataset.pointsFrom);
    const points = source ? JSON.parse(source.textContent) : [];
    const kind = el.dataset.kind, within = el.dataset.within || "";
    const chart = echarts.init(el);
    const url = el.dataset.api + "?kind=" + encodeURIComponent(kind) + (within ? "&within_id=" + encodeURIComponent(within) : "");
    const scatter = {
      type: "scatter", symbolSize: points.length > 200 ? 5 : 10,
      itemStyle: { color: "#d63939", borderColor: "#fff", borderWidth: 1 },
      data: points.map(function (p) { return { name: p.name, value: p.value, id: p.id, url: p.url }; }),
    };
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (geo) {
      const labels = {};
      const option = { tooltip: { trigger: "item", formatter: function (p) {
        return p.seriesType === "scatter" ? p.data.name : (labels[p.name] || p.name); } } };
      if (geo.features && geo.features.length) {
        geo.features.forEach(function (f) { labels[f.properties.code] = f.properties.name; f.properties.name = f.properties.code; });
        const name = "zhufang-results-" + kind + "-" + within;
        echarts.registerMap(name, geo);
        option.geo = { map: name, roam: true, label: { show: false },
          itemStyle: { areaColor: "#e8f0fb", borderColor: "#206bc4", borderWidth: 1 },
          emphasis: { itemStyle: { areaColor: "#bcd3f2" }, label: { show: false } } };
        scatter.coordinateSystem = "geo";
      } else {  // no polygon in scope: the points alone, on plain axes
        option.xAxis = { type: "value", scale: true }; option.yAxis = { type: "value", scale: true };
      }
      option.series = [scatter];
      chart.setOption(option);
      el.dataset.pointCount = String(points.length);
      el.setAttribute("data-ready", "1");
    });
    chart.on("click", function (p) { if (p.seriesType === "scatter" && p.data && p.data.url) window.location.href = p.data.url; });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
