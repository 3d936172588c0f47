// Feedback from the phone: a draft (values, uploaded photo ids, location, idempotency keys) is kept
// in localStorage until the server has accepted it, so a dropped signal loses nothing and a retried
// request never submits twice (the same Idempotency-Key is sent again).
(function () {
  "use strict";
  const form = document.getElementById("feedback");
  if (!form) return;
  const itemId = form.dataset.item;
  const storeKey = "zf-feedback-" + itemId;
  const api = "/api/v1/instructions/items/" + itemId;
  const hash = (text) => { let h = 5381; for (let i = 0; i < text.length; i++) h = ((h * 33) ^ text.charCodeAt(i)) >>> 0; return h.toString(36); };
  const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
  const draft = Object.assign({ values: {}, photos: [], location: null, key: newKey() }, JSON.parse(localStorage.getItem(storeKey) || "{}"));
  const save = () => localStorage.setItem(storeKey, JSON.stringify(draft));
  const $ = (sel) => form.querySelector(sel);

  function fieldValue(name) {
    const inputs = form.querySelectorAll('[name="' + name + '"]');
    if (inputs.length && inputs[0].type === "checkbox") return Array.from(inputs).filter((i) => i.checked).map((i) => i.value);
    return inputs.length ? inputs[0].value : "";
  }
  function restore() {
    for (const [name, value] of Object.entries(draft.values)) {
      form.querySelectorAll('[name="' + name + '"]').forEach((input) => {
        if (input.type === "checkbox") input.checked = (value || []).includes(input.value);
        else input.value = value;
      });
    }
    showPhotos();
    showLocation();
  }
  function showPhotos() { $('[data-testid="photos"]').textContent = draft.photos.length ? "✓ " + draft.photos.length : ""; }
  function showLocation() {
    const l = draft.location;
    $('[data-testid="location"]').textContent = l ? l.lon.toFixed(5) + ", " + l.lat.toFixed(5) + " ±" + Math.round(l.accuracy || 0) + "m" : "";
  }
  function clearErrors() {
    form.querySelectorAll("[data-error]").forEach((e) => (e.textContent = ""));
    const box = $('[data-testid="feedback-error"]');
    box.classList.add("d-none");
    box.textContent = "";
  }
  function showErrors(errors) {
    for (const [field, messages] of Object.entries(errors || {})) {
      const target = form.querySelector('[data-error="' + field + '"]');
      const text = [].concat(messages).join("；");
      if (target) target.textContent = text;
      else { const box = $('[data-testid="feedback-error"]'); box.classList.remove("d-none"); box.textContent += text; }
    }
  }
  form.addEventListener("input", (event) => {
    if (event.target.name) { draft.values[event.target.name] = fieldValue(event.target.name); save(); }
  });
  form.addEventListener("change", (event) => {
    if (event.target.name) { draft.values[event.target.name] = fieldValue(event.target.name); save(); }
  });
  $('[data-action="locate"]').addEventListener("click", () => {
    if (!navigator.geolocation) return showErrors({ location: "此浏览器不支持定位" });
    navigator.geolocation.getCurrentPosition(
      (pos) => { draft.location = { lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy: pos.coords.accuracy }; save(); showLocation(); },
      () => showErrors({ location: "无法获取定位（需要 HTTPS 或本机访问，并允许定位）" }),
      { enableHighAccuracy: true, timeout: 15000 }
    );
  });
  $('[data-testid="photo-input"]').addEventListener("change", async (event) => {
    clearErrors();
    for (const file of event.target.files) {
      const key = draft.key + "-photo-" + file.name + "-" + file.size;
      const body = new FormData();
      body.append("file", file);
      if (draft.location) { body.append("lon", draft.location.lon); body.append("lat", draft.location.lat); body.append("accuracy_m", draft.location.accuracy); }
      const response = await fetch(api + "/photos", { method: "POST", body, headers: { "X-CSRFToken": window.ZF_CSRF, "Idempotency-Key": key } });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) { if (!draft.photos.includes(answer.id)) draft.photos.push(answer.id); save(); showPhotos(); }
      else showErrors(answer.errors || { photos: answer.detail || "照片上传失败" });
    }
    event.target.value = "";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const names = new Set(Array.from(form.querySelectorAll("[name]")).map((i) => i.name));
    const data = {};
    for (const name of names) { const v = fieldValue(name); if (v !== "" && !(Array.isArray(v) && !v.length)) data[name] = v; }
    const payload = { data, attachment_ids: draft.photos };
    if (draft.location) Object.assign(payload, { lon: draft.location.lon, lat: draft.location.lat, accuracy_m: draft.location.accuracy });
    const response = await fetch(api + "/feedback", {
      method: "POST",
      body: JSON.stringify(payload),
      headers: { "Content-Type": "application/json", "X-CSRFToken": window.ZF_CSRF, "Idempotency-Key": draft.key + "-submit-" + hash(JSON.stringify(payload)) },
    }).catch(() => null);
    if (!response) return showErrors({ __all__: "网络中断，草稿已保存，请稍后重试" });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) { localStorage.removeItem(storeKey); window.location.reload(); }
    else showErrors(answer.errors || { __all__: answer.detail || "提交失败" });
  });
  restore();
  form.dataset.ready = "1"; // listeners attached: typing now lands in the draft
})();
