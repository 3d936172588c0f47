/* The jurisdiction map, drawn with ECharts from the bureau's own polygons (no tiles, no Internet). */
(function () {
  "use strict";
  const el = document.getElementById("map");
  if (!el || !window.echarts) return;
  const chart = echarts.init(el);
  const kind = el.dataset.kind, within = el.dataset.within || "";
  const url = el.dataset.api + "?kind=" + encodeURIComponent(kind) + (within ? "&within_id=" + within : "");
  fetch(url, { credentials: "same-origin" }).then(r => r.json()).then(geo => {
    const name = "zhufang-" + kind + "-" + within;
    const labels = {};
    geo.features.forEach(f => {
      labels[f.properties.code] = Object.assign({}, f.properties);
      f.properties.name = f.properties.code;  // regions are keyed by the unique code, labelled by name
    });
    echarts.registerMap(name, geo);
    chart.setOption({
      tooltip: { formatter: p => { const u = labels[p.name]; return u ? u.name + "<br>" + u.code + (u.head ? "<br>" + u.head : "") : p.name; } },
      series: [{
        type: "map", map: name, roam: true, selectedMode: false,
        label: { show: geo.features.length <= 40, formatter: p => (labels[p.name] || {}).name || p.name, fontSize: 11 },
        itemStyle: { areaColor: "#e8f0fb", borderColor: "#206bc4", borderWidth: 1 },
        emphasis: { itemStyle: { areaColor: "#bcd3f2" }, label: { show: true } },
        data: geo.features.map(f => ({ name: f.properties.code, value: f.properties.id })),
      }],
    });
    el.dataset.features = String(geo.features.length);
    el.setAttribute("data-ready", "1");
    chart.on("click", p => {
      const u = labels[p.name];
      if (u && el.dataset.drill !== "off") window.location.search = "?unit=" + u.id;
      if (window.onMapClick) window.onMapClick(chart, p);
    });
    chart.getZr().on("click", ev => {
      if (!window.onMapPoint) return;
      const point = chart.convertFromPixel({ seriesIndex: 0 }, [ev.offsetX, ev.offsetY]);
      if (point) window.onMapPoint(point[0], point[1]);
    });
  });
  window.addEventListener("resize", () => chart.resize());
})();
