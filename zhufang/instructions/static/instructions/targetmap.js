/* Picking free locations for a draft batch (地图选点): the bureau's own polygons from the organisation
   map API (ECharts registerMap, no tiles, nothing fetched from outside); a click adds a
   "longitude,latitude label" line to the targets form. Whether the point lies in the county is
   checked by the server's routing when the form is submitted. */
(function () {
  "use strict";
  if (!window.echarts) return;
  document.querySelectorAll("[data-target-map]:not([data-drawn])").forEach(function (el) {
    el.setAttribute("data-drawn", "1");
    const lines = document.getElementById(el.dataset.lines);
    const label = document.getElementById(el.dataset.label);
    const kinds = (el.dataset.kinds || "district").split(",");
    const chart = echarts.init(el);
    const picked = [];
    let drawn = false;

    function draw(geo, kind) {
      const names = {};
      geo.features.forEach(function (f) { names[f.properties.code] = f.properties.name; f.properties.name = f.properties.code; });
      const name = "zhufang-pick-" + kind;
      echarts.registerMap(name, geo);
      chart.setOption({
        tooltip: { trigger: "item", formatter: function (p) {
          return p.seriesType === "scatter" ? p.data.name : (names[p.name] || p.name); } },
        geo: { map: name, roam: true, label: { show: false },
          itemStyle: { areaColor: "#e8f0fb", borderColor: "#206bc4", borderWidth: 1 },
          emphasis: { itemStyle: { areaColor: "#bcd3f2" }, label: { show: false } } },
        series: [{ type: "scatter", coordinateSystem: "geo", symbolSize: 10,
          itemStyle: { color: "#d63939", borderColor: "#fff", borderWidth: 1 }, data: [] }],
      });
      drawn = true;
      el.dataset.kind = kind;
      el.setAttribute("data-ready", "1");
    }

    function load(position) {
      if (position >= kinds.length) { el.setAttribute("data-ready", "empty"); return; }
      fetch(el.dataset.api + "?kind=" + encodeURIComponent(kinds[position]), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { features: [] }; })
        .then(function (geo) {
          if (geo.features && geo.features.length) draw(geo, kinds[position]); else load(position + 1);
        });
    }

    function add(lon, lat) {
      const text = label && label.value.trim() ? " " + label.value.trim() : "";
      const line = lon.toFixed(6) + "," + lat.toFixed(6) + text;
      const before = lines.value;
      lines.value = before + (before && !before.endsWith("\n") ? "\n" : "") + line + "\n";
      picked.push({ name: line, value: [lon, lat] });
      chart.setOption({ series: [{ data: picked }] });
      el.dataset.picked = String(picked.length);
    }

    // zrender fires "click" only when the pointer did not move (a drag pans the map instead)
    chart.getZr().on("click", function (event) {
      if (!drawn) return;
      const point = chart.convertFromPixel({ geoIndex: 0 }, [event.offsetX, event.offsetY]);
      if (point && isFinite(point[0]) && isFinite(point[1])) add(point[0], point[1]);
    });
    window.addEventListener("resize", function () { chart.resize(); });
    load(0);
  });
})();
