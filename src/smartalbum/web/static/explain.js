"use strict";
// Heat-maps on both pages: hover, focus or tap a label bar and the photo shows where the model
// saw that class. The upload page asks POST /predict?explain=1 (app.js keeps the file on its
// card; it is sent again only when a bar is first pointed at), the photo page
// GET /api/photos/{id}/explain?class=.
(() => {
  const CAPTION = { en: "Where the model saw “{label}”", zh: "模型在这里看到“{label}”" };
  const cache = new Map();  // request key -> Promise of {index|wnid -> heat-map}
  let shown = null;  // {bar, layer}
  let pinned = null;  // the bar a tap keeps showing
  let wanted = null;  // the bar pointed at now (its map may still be on its way)

  function zh() { return document.documentElement.lang.startsWith("zh"); }
  function headers() {
    return { ...csrfHeaders(), "Accept-Language": zh() ? "zh-CN" : "en" };
  }

  async function uploadMaps(card) {
    if (!cache.has(card)) {
      cache.set(card, (async () => {
        const form = new FormData();
        form.append("file", card.photo, card.photo.name);
        const response = await fetch("/predict?top_k=3&explain=1", { method: "POST", body: form, headers: headers() });
        if (!response.ok) throw new Error(response.statusText);
        const body = await response.json();
        return Object.fromEntries(body.explain.map((m) => [String(m.index), m]));
      })());
    }
    return cache.get(card);
  }

  async function photoMap(id, wnid) {
    const key = `${id}/${wnid}`;
    if (!cache.has(key)) {
      cache.set(key, fetch(`/api/photos/${id}/explain?class=${encodeURIComponent(wnid)}`, { headers: headers() })
        .then((r) => { if (!r.ok) throw new Error(r.statusText); return r.json(); }));
    }
    return cache.get(key);
  }

  // Where an <img>'s picture is drawn inside its box (object-fit contain, cover or fill).
  function pictureRect(img) {
    const w = img.clientWidth, h = img.clientHeight, nw = img.naturalWidth || w, nh = img.naturalHeight || h;
    const fit = getComputedStyle(img).objectFit;
    let sx = w / nw, sy = h / nh;
    if (fit === "contain") sx = sy = Math.min(sx, sy);
    else if (fit === "cover") sx = sy = Math.max(sx, sy);
    return { x: (w - nw * sx) / 2, y: (h - nh * sy) / 2, w: nw * sx, h: nh * sy };
  }

  function draw(img, map, name) {
    const parent = img.parentElement;
    if (getComputedStyle(parent).position === "static") parent.style.position = "relative";
    const layer = document.createElement("div");
    layer.className = "cam-layer";
    layer.style.cssText = `position:absolute;left:${img.offsetLeft}px;top:${img.offsetTop}px;` +
      `width:${img.clientWidth}px;height:${img.clientHeight}px;overflow:hidden;pointer-events:none;` +
      `border-radius:${getComputedStyle(img).borderRadius}`;
    const picture = pictureRect(img), [left, top, width, height] = map.box;
    const overlay = document.createElement("img");
    overlay.className = "cam-overlay";
    overlay.alt = (zh() ? CAPTION.zh : CAPTION.en).replace("{label}", name);
    overlay.title = overlay.alt;
    overlay.style.cssText = `position:absolute;left:${picture.x + left * picture.w}px;top:${picture.y + top * picture.h}px;` +
      `width:${width * picture.w}px;height:${height * picture.h}px;` +
      // The page's own rules for photos (a background, rounded corners) must not reach it.
      "max-width:none;max-height:none;background:none;border-radius:0;object-fit:fill;margin:0";
    overlay.src = map.overlay;
    layer.append(overlay);
    parent.append(layer);
    return layer;
  }

  function hide() {
    if (shown) { shown.layer.remove(); shown.bar.classList.remove("explained"); shown = null; }
  }

  async function mapFor(bar) {
    const card = bar.closest(".card");
    if (card) {
      const img = card.querySelector("img.thumb");  // none for a photo the browser cannot show
      if (!img || !card.photo || !bar.dataset.index) return null;
      return { img, map: (await uploadMaps(card))[bar.dataset.index] };
    }
    const img = document.querySelector(".detail .photo img");
    const id = (location.hash.match(/^#\/photo\/(\d+)/) || [])[1];
    if (!img || !id || !bar.dataset.wnid) return null;
    return { img, map: await photoMap(id, bar.dataset.wnid) };
  }

  async function show(bar) {
    if (shown && shown.bar === bar) return;
    let found;
    try { found = await mapFor(bar); } catch (err) { return; }  // no map: the bar stays as it was
    if (!found || !found.map || !bar.isConnected || (wanted !== bar && pinned !== bar)) return;
    hide();
    const name = bar.querySelector(".label span").textContent;
    shown = { bar, layer: draw(found.img, found.map, name) };
    bar.classList.add("explained");
  }

  function barOf(event) {
    const bar = event.target.closest && event.target.closest(".bar");
    return bar && (bar.closest(".card") || bar.closest(".detail")) ? bar : null;
  }

  function point(e) { const bar = barOf(e); if (bar) { wanted = bar; show(bar); } }
  document.addEventListener("pointerover", point);
  document.addEventListener("focusin", point);
  document.addEventListener("pointerout", (e) => {
    const bar = barOf(e);
    if (!bar || bar.contains(e.relatedTarget)) return;
    wanted = null;
    if (pinned !== bar) hide();
  });
  document.addEventListener("click", (e) => {  // a tap pins the map until the next tap
    const bar = barOf(e);
    if (!bar || e.target.closest("button")) return;
    if (pinned === bar) { pinned = null; hide(); } else { pinned = bar; show(bar); }
  });
  addEventListener("hashchange", () => { pinned = null; hide(); });
})();
