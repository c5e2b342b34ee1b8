"use strict";
// The map page (#/map): photos with GPS as clusters on a world map drawn here as SVG, offline:
// the country outlines are Natural Earth's 1:110m, as world-atlas ships them (TopoJSON,
// vendor/countries-110m.json), decoded below. Plate carrée: x is the longitude, y the latitude
// negated. The wheel, a pinch, the buttons or a drag move the view; the clusters are asked
// of GET /api/map/clusters for the view at its zoom (a cell some 110 px wide whatever the
// zoom); a click on one zooms to it and lists its photos (GET /api/map/photos), which open in
// the viewer. Uses gallery.js's lang, api, el, thumb and show.
const MAP_TEXT = {
  en: { map: "Map", heading: "Map", world: "World map of your photos", none: "No photos with a GPS position yet.",
        zoomIn: "Zoom in", zoomOut: "Zoom out", reset: "Whole world", here: "{place} · {n} photos", here1: "{place} · 1 photo",
        somewhere: "Here", hint: "Click a circle to see its photos." },
  zh: { map: "地图", heading: "地图", world: "照片世界地图", none: "还没有带 GPS 位置的照片。",
        zoomIn: "放大", zoomOut: "缩小", reset: "全世界", here: "{place} · {n} 张照片", here1: "{place} · 1 张照片",
        somewhere: "此处", hint: "点击圆圈查看那里的照片。" },
};
const SVG = "http://www.w3.org/2000/svg";
const WORLD = { x: -180, y: -90, w: 360, h: 180 };
const MAP_MAX_ZOOM = 12;
let worldShapes = null;  // the decoded countries, once per page

function mt(key, values = {}) {
  return Object.entries(values).reduce((text, [k, v]) => text.replace(`{${k}}`, v), MAP_TEXT[lang][key]);
}

function svgEl(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

// --- TopoJSON: quantized, delta-encoded arcs; a ring lists arcs, ~i meaning arc i reversed ------
function decodeArcs(topology) {
  const [sx, sy] = topology.transform.scale, [tx, ty] = topology.transform.translate;
  return topology.arcs.map((arc) => {
    let x = 0, y = 0;
    return arc.map(([dx, dy]) => { x += dx; y += dy; return [x * sx + tx, y * sy + ty]; });
  });
}

// A ring that crosses the 180th meridian (Russia's Chukotka, Fiji) is made continuous, past
// ±180, and drawn a second time a world away, so each side of the map shows its half.
function ringPath(arcs, ring) {
  const points = [];
  for (const index of ring) {
    const arc = index < 0 ? arcs[~index].slice().reverse() : arcs[index];
    points.push(...(points.length ? arc.slice(1) : arc));  // arcs share their end points
  }
  let shift = 0;
  const continuous = points.map(([lon, lat], i) => {
    if (i) {
      const jump = lon + shift - (points[i - 1][0] + shift);
      if (jump > 180) shift -= 360; else if (jump < -180) shift += 360;
    }
    return [lon + shift, lat];
  });
  const xs = continuous.map(([lon]) => lon);
  const copies = [0, Math.max(...xs) > 180 ? -360 : null, Math.min(...xs) < -180 ? 360 : null].filter((c) => c !== null);
  return copies.map((dx) => "M" + continuous.map(([lon, lat]) => `${(lon + dx).toFixed(2)},${(-lat).toFixed(2)}`).join("L") + "Z").join("");
}

async function loadWorld() {
  if (worldShapes) return worldShapes;
  const response = await fetch("/static/vendor/countries-110m.json");
  const topology = await response.json();
  const arcs = decodeArcs(topology);
  worldShapes = topology.objects.countries.geometries.map((g) => {
    const polygons = g.type === "Polygon" ? [g.arcs] : g.type === "MultiPolygon" ? g.arcs : [];
    return { name: g.properties.name, d: polygons.flatMap((rings) => rings.map((ring) => ringPath(arcs, ring))).join("") };
  });
  return worldShapes;
}

// --- the page -------------------------------------------------------------------------------
async function mapView() {
  const view = { ...WORLD };
  const svg = svgEl("svg", { class: "world", role: "img", "aria-label": mt("world"), preserveAspectRatio: "xMidYMid meet" });
  const countries = svgEl("g", { class: "countries" });
  const dots = svgEl("g", { class: "clusters" });
  svg.append(svgEl("rect", { class: "sea", x: -540, y: -270, width: 1080, height: 540 }), countries, dots);
  const heading = el("h2", { text: mt("heading") });
  const note = el("p", { class: "sub map-note", "aria-live": "polite" });
  const listHeading = el("h3", { class: "map-here" });
  const list = el("ul", { class: "grid map-photos", "aria-label": "Photos" });
  const buttons = el("div", { class: "map-buttons" },
    el("button", { type: "button", class: "map-zoom-in", "data-mt": "zoomIn", text: "+", onclick: () => zoomAround(0.5) }),
    el("button", { type: "button", class: "map-zoom-out", "data-mt": "zoomOut", text: "−", onclick: () => zoomAround(2) }),
    el("button", { type: "button", class: "map-reset", "data-mt": "reset", text: "⌂", onclick: () => { Object.assign(view, WORLD); redraw(); } }));
  let clusters = [], chosen = null, asked = 0, timer = null;

  function zoomLevel() { return Math.max(0, Math.min(MAP_MAX_ZOOM, Math.round(Math.log2(WORLD.w / view.w)))); }
  function unitsPerPixel() { return view.w / Math.max(1, svg.clientWidth); }
  function fit() {  // never wider than the world, never past its edges
    view.w = Math.min(WORLD.w, Math.max(WORLD.w / 2 ** (MAP_MAX_ZOOM + 1), view.w));
    view.h = view.w / 2;
    view.x = Math.min(WORLD.x + WORLD.w - view.w, Math.max(WORLD.x, view.x));
    view.y = Math.min(WORLD.y + WORLD.h - view.h, Math.max(WORLD.y, view.y));
  }
  function zoomAround(factor, cx = view.x + view.w / 2, cy = view.y + view.h / 2) {
    view.x = cx - (cx - view.x) * factor; view.y = cy - (cy - view.y) * factor;
    view.w *= factor;
    redraw();
  }
  function redraw() {
    fit();
    svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
    svg.dataset.zoom = zoomLevel();
    drawClusters();
    clearTimeout(timer);
    timer = setTimeout(fetchClusters, 120);
  }
  async function fetchClusters() {
    const ask = ++asked, zoom = zoomLevel();
    const box = { south: -(view.y + view.h), north: -view.y, west: view.x, east: view.x + view.w };
    const query = new URLSearchParams({ zoom, ...Object.fromEntries(Object.entries(box).map(([k, v]) => [k, Math.max(k === "west" || k === "east" ? -180 : -90, Math.min(k === "west" || k === "east" ? 180 : 90, v)).toFixed(4)])) });
    const answer = await api(`/api/map/clusters?${query}`);
    if (ask !== asked) return;  // the view moved on meanwhile
    clusters = answer.clusters;
    svg.dataset.clusters = clusters.length;
    if (zoom === 0 && !answer.count) note.textContent = mt("none");
    else if (!chosen) note.textContent = mt("hint");
    drawClusters();
  }
  function placeOf(c) { return (lang === "zh" ? c.place_zh : c.place) || c.place || mt("somewhere"); }
  function drawClusters() {
    const unit = unitsPerPixel();
    dots.replaceChildren(...clusters.map((c) => {
      const r = (9 + 3 * Math.log2(c.count)) * unit;
      const label = mt(c.count === 1 ? "here1" : "here", { place: placeOf(c), n: c.count });
      const dot = svgEl("g", { class: "cluster", tabindex: 0, role: "button", "aria-label": label, "data-count": c.count,
                               transform: `translate(${c.lon} ${-c.lat})` },
        svgEl("title", {}, label),
        svgEl("circle", { r }),
        svgEl("text", { "font-size": 11 * unit, dy: 4 * unit }, String(c.count)));
      dot.addEventListener("click", () => choose(c));
      dot.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(c); } });
      return dot;
    }));
  }
  async function choose(c) {
    chosen = c;
    const b = c.bounds;
    const span = Math.max(b.east - b.west, (b.north - b.south) * 2, WORLD.w / 2 ** MAP_MAX_ZOOM);
    Object.assign(view, { w: span * 1.6 });  // the cluster's box, with a margin
    view.x = (b.west + b.east) / 2 - view.w / 2;
    view.y = -(b.north + b.south) / 2 - view.w / 4;
    redraw();
    const page = await api(`/api/map/photos?${new URLSearchParams({ ...b, limit: 200 })}`);
    if (chosen !== c) return;
    listHeading.textContent = mt(page.count === 1 ? "here1" : "here", { place: placeOf(c), n: page.count });
    list.replaceChildren(...page.photos.map((p) => el("li", {},
      el("a", { href: `#/photo/${p.id}`, "data-photo": p.id, title: p.path.split("/").pop() },
        el("img", { src: thumb(p.id), alt: p.path.split("/").pop(), loading: "lazy", width: 150, height: 150 })))));
    note.textContent = "";
  }

  // The wheel and a pinch zoom about the pointer; a drag pans.
  const pointers = new Map();
  let drag = null;
  function toMap(x, y) {
    const rect = svg.getBoundingClientRect();
    const scale = Math.max(view.w / rect.width, view.h / rect.height);  // "meet": the larger
    const left = rect.left + (rect.width - view.w / scale) / 2, top = rect.top + (rect.height - view.h / scale) / 2;
    return [view.x + (x - left) * scale, view.y + (y - top) * scale, scale];
  }
  svg.addEventListener("wheel", (e) => { e.preventDefault(); const [mx, my] = toMap(e.clientX, e.clientY); zoomAround(Math.exp(e.deltaY * 0.002), mx, my); }, { passive: false });
  svg.addEventListener("pointerdown", (e) => {
    if (e.target.closest(".cluster")) return;
    svg.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, [e.clientX, e.clientY]);
    const all = [...pointers.values()];
    drag = all.length === 2 ? { pinch: Math.hypot(all[0][0] - all[1][0], all[0][1] - all[1][1]) } : { at: [e.clientX, e.clientY] };
  });
  svg.addEventListener("pointermove", (e) => {
    if (!pointers.has(e.pointerId) || !drag) return;
    pointers.set(e.pointerId, [e.clientX, e.clientY]);
    const all = [...pointers.values()];
    if (all.length === 2 && drag.pinch) {
      const distance = Math.hypot(all[0][0] - all[1][0], all[0][1] - all[1][1]);
      const [mx, my] = toMap((all[0][0] + all[1][0]) / 2, (all[0][1] + all[1][1]) / 2);
      zoomAround(drag.pinch / distance, mx, my);
      drag.pinch = distance;
    } else if (drag.at) {
      const [, , scale] = toMap(0, 0);
      view.x -= (e.clientX - drag.at[0]) * scale; view.y -= (e.clientY - drag.at[1]) * scale;
      drag.at = [e.clientX, e.clientY];
      redraw();
    }
  });
  for (const type of ["pointerup", "pointercancel"]) svg.addEventListener(type, (e) => { pointers.delete(e.pointerId); drag = null; });

  function relabel() {
    heading.textContent = mt("heading");
    svg.setAttribute("aria-label", mt("world"));
    for (const b of buttons.querySelectorAll("[data-mt]")) { b.title = mt(b.dataset.mt); b.setAttribute("aria-label", mt(b.dataset.mt)); }
    if (chosen) listHeading.textContent = mt(list.children.length === 1 ? "here1" : "here", { place: placeOf(chosen), n: list.children.length });
    drawClusters();
  }
  rerender = relabel;  // gallery.js calls it after a language switch
  show(heading, note, el("div", { class: "map-frame" }, svg, buttons), listHeading, list);
  for (const shape of await loadWorld()) countries.append(svgEl("path", { d: shape.d }, svgEl("title", {}, shape.name)));
  relabel();
  redraw();
  await fetchClusters();
}

function labelMapLink() { for (const a of document.querySelectorAll("[data-map-i18n]")) a.textContent = mt(a.dataset.mapI18n); }
new MutationObserver(labelMapLink).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
labelMapLink();
