"use strict";
// The full-screen viewer over the gallery's grids: arrows, swipes and the keyboard move through
// the grid shown, a wheel or a pinch zooms (a drag pans), the original replaces the thumbnail
// once it has loaded, a video plays, and a panel that can be hidden shows labels, place, people
// and moment. The address names the photo (?view=ID beside the page's #/route), so a reload or
// a shared link opens it, and Back closes it. Uses gallery.js's lang, api, el, thumb, label,
// title and placeLine.
const VIEWER_TEXT = {
  en: { viewer: "Photo viewer", close: "Close", prev: "Previous", next: "Next", info: "Details panel",
        zoomIn: "Zoom in", zoomOut: "Zoom out", labels: "What the model sees", place: "Place", people: "People",
        moment: "Moment", albums: "Albums", taken: "Taken", title: "Title", rating: "Rating", keywords: "Keywords", page: "Open the photo's page", count: "{i} of {n}",
        fileDate: "(file date)", nameDate: "(from the file name)" },
  zh: { viewer: "照片查看器", close: "关闭", prev: "上一张", next: "下一张", info: "信息面板",
        zoomIn: "放大", zoomOut: "缩小", labels: "识别结果", place: "地点", people: "人物",
        moment: "时刻", albums: "所在相册", taken: "拍摄时间", title: "标题", rating: "评分", keywords: "关键词", page: "打开照片页面", count: "第 {i} 张，共 {n} 张",
        fileDate: "（文件日期）", nameDate: "（取自文件名）" },
};
const ZOOM_MAX = 8;
const SWIPE_PX = 60;  // a shorter drag is a tap or a wobble, not a swipe

const viewer = { root: null, stage: null, media: null, faces: null, panel: null, count: null, id: null, ids: [], photo: null,
                 pushed: false, zoom: { s: 1, x: 0, y: 0 }, pointers: new Map(), gesture: null };

function vt(key, values = {}) {
  return Object.entries(values).reduce((text, [k, v]) => text.replace(`{${k}}`, v), VIEWER_TEXT[lang][key]);
}

// The photos of the grids on the page, in their order (the trash's are not viewable).
function gridIds() {
  const links = document.querySelectorAll("#view .grid:not(.trash-grid) a[data-photo]");
  return [...new Set([...links].map((a) => Number(a.dataset.photo)))];
}

function viewerButton(cls, key, text, onclick) {
  return el("button", { type: "button", class: cls, title: vt(key), "aria-label": vt(key), "data-vt": key, text, onclick });
}

function buildViewer() {
  viewer.stage = el("div", { class: "lightbox-stage" });
  viewer.panel = el("aside", { class: "lightbox-panel", "aria-live": "polite" });
  viewer.count = el("p", { class: "lightbox-count" });
  const info = viewerButton("lightbox-info", "info", "i", () => togglePanel());
  viewer.root = el("div", { id: "lightbox", class: "lightbox", role: "dialog", "aria-modal": "true", "aria-label": vt("viewer"), hidden: "" },
    viewer.stage,
    el("div", { class: "lightbox-bar" }, viewer.count,
      viewerButton("lightbox-zoom-out", "zoomOut", "−", () => zoomBy(1 / 1.5)),
      viewerButton("lightbox-zoom-in", "zoomIn", "+", () => zoomBy(1.5)),
      info, viewerButton("lightbox-close", "close", "×", () => closeViewer())),
    viewerButton("lightbox-prev", "prev", "‹", () => step(-1)),
    viewerButton("lightbox-next", "next", "›", () => step(1)),
    viewer.panel);
  info.setAttribute("aria-pressed", String(!panelHidden()));
  viewer.root.classList.toggle("panel-hidden", panelHidden());
  document.body.append(viewer.root);
  viewer.stage.addEventListener("wheel", onWheel, { passive: false });
  viewer.stage.addEventListener("pointerdown", onPointerDown);
  viewer.stage.addEventListener("pointermove", onPointerMove);
  for (const type of ["pointerup", "pointercancel"]) viewer.stage.addEventListener(type, onPointerUp);
  viewer.stage.addEventListener("dblclick", (e) => zoomAt(e.clientX, e.clientY, viewer.zoom.s > 1 ? 1 / viewer.zoom.s : 2.5));
}

function panelHidden() { return localStorage.getItem("smartalbum.viewer.panel") === "hidden"; }

function togglePanel() {
  const hidden = !panelHidden();
  localStorage.setItem("smartalbum.viewer.panel", hidden ? "hidden" : "shown");
  viewer.root.classList.toggle("panel-hidden", hidden);
  viewer.root.querySelector(".lightbox-info").setAttribute("aria-pressed", String(!hidden));
}

// --- opening, moving, closing; the address follows ------------------------------------------
async function openViewer(id, ids = gridIds()) {
  if (!viewer.root) buildViewer();
  viewer.ids = ids.includes(id) ? ids : [id];
  const opening = viewer.root.hidden;
  viewer.root.hidden = false;
  document.documentElement.classList.add("lightbox-open");
  const url = new URL(location.href);
  url.searchParams.set("view", id);
  if (opening && !viewer.pushed && !new URLSearchParams(location.search).has("view")) {
    history.pushState({ viewer: id }, "", url);
    viewer.pushed = true;  // Back closes the viewer rather than leaving the page
  } else history.replaceState(history.state, "", url);
  if (opening) viewer.root.querySelector(".lightbox-close").focus();
  await showPhoto(id);
}

function step(delta) {
  const ids = gridIds();
  if (ids.includes(viewer.id)) viewer.ids = ids;  // the grid may have loaded more meanwhile
  const at = viewer.ids.indexOf(viewer.id) + delta;
  if (at < 0 || at >= viewer.ids.length) return;
  openViewer(viewer.ids[at], viewer.ids).catch(viewerFailure);
}

function closeViewer() {
  if (!viewer.root || viewer.root.hidden) return;
  if (viewer.pushed) { history.back(); return; }  // popstate hides it
  const url = new URL(location.href);
  url.searchParams.delete("view");
  history.replaceState(history.state, "", url);
  hideViewer();
}

function hideViewer() {
  viewer.root.hidden = true;
  viewer.pushed = false;
  document.documentElement.classList.remove("lightbox-open");
  viewer.stage.replaceChildren();  // a playing video stops
  const tile = document.querySelector(`#view .grid a[data-photo="${viewer.id}"]`);
  if (tile) tile.focus();
  viewer.id = null;
}

// The address decides: ?view=ID opens (a reload, a shared link, Forward), its absence closes.
function syncViewer() {
  const wanted = Number(new URLSearchParams(location.search).get("view"));
  if (wanted > 0 && wanted !== viewer.id) openViewer(wanted).catch(viewerFailure);
  else if (!wanted && viewer.root && !viewer.root.hidden) hideViewer();
}

function viewerFailure(err) {
  viewer.panel.replaceChildren(el("p", { class: "notice", role: "alert", text: err.status === 404 ? t("notFound") : `${t("error")} ${err.message}` }));
}

// --- one photo: the thumbnail at once, the original when it has loaded ----------------------
async function showPhoto(id) {
  viewer.id = id;
  resetZoom();
  viewer.root.dataset.photo = id;
  drawCount();
  const media = el("img", { class: "lightbox-media", src: thumb(id), alt: "", draggable: "false", "data-full": "0" });
  viewer.stage.replaceChildren(media);
  viewer.media = media;
  const photo = await api(`/api/photos/${id}`);
  if (viewer.id !== id) return;  // moved on while it loaded
  viewer.photo = photo;
  if (photo.kind === "video") {
    viewer.media = el("video", { class: "lightbox-media", src: `/api/photos/${id}/original`, poster: thumb(id),
                                 controls: "", playsinline: "", preload: "metadata" });
    viewer.stage.replaceChildren(viewer.media);
  } else {
    media.alt = photo.labels.length ? label(photo.labels[0]) : photo.name;
    const full = new Image();
    full.onload = () => { if (viewer.id === id) { media.src = full.src; media.dataset.full = "1"; } };
    full.src = `/api/photos/${id}/original`;
    const named = (faces) => { if (viewer.id === id && viewer.photo) { viewer.photo.people = namedPeople(faces); drawPanel(); } };
    photoFaces(id, viewer.stage, media, named).then((layer) => { if (viewer.id === id) { viewer.faces = layer; applyZoom(); } })
      .catch(() => {});  // faces.js; the photo shows all the same
  }
  drawPanel();
}

function drawCount() {
  const at = viewer.ids.indexOf(viewer.id);
  viewer.count.textContent = viewer.ids.length > 1 ? vt("count", { i: at + 1, n: viewer.ids.length }) : "";
  viewer.root.querySelector(".lightbox-prev").disabled = at <= 0;
  viewer.root.querySelector(".lightbox-next").disabled = at < 0 || at >= viewer.ids.length - 1;
}

function drawPanel() {
  const photo = viewer.photo;
  if (!photo) return;
  const parts = [el("h2", { class: "lightbox-name", text: photo.name })];
  const section = (key, ...nodes) => parts.push(el("h3", { text: vt(key) }), ...nodes);
  if (photo.taken_at) {
    const note = photo.time_source === "mtime" ? ` ${vt("fileDate")}` : photo.time_source?.startsWith("filename") ? ` ${vt("nameDate")}` : "";
    section("taken", el("p", { class: "lightbox-taken", text: photo.taken_at.replace("T", " ") + note }));
  }
  if (photo.labels?.length) {
    section("labels", el("ul", { class: "lightbox-labels" }, ...photo.labels.slice(0, 3).map((l) =>
      el("li", { "data-wnid": l.wnid }, el("span", { text: label(l) }), el("span", { class: "lightbox-score", text: percent(l.probability) })))));
  }
  const xmp = photo.xmp || {};  // what digiKam, darktable or Lightroom said of it
  if (xmp.title) section("title", el("p", { class: "lightbox-title", text: xmp.title }));
  if (xmp.rating > 0) section("rating", el("p", { class: "lightbox-rating", "aria-label": `${xmp.rating} / 5`, text: "★".repeat(xmp.rating) + "☆".repeat(5 - xmp.rating) }));
  if (xmp.keywords?.length) section("keywords", el("p", { class: "tags lightbox-keywords" }, ...xmp.keywords.map((k) => el("span", { text: k }))));
  if (photo.place) section("place", el("p", { class: "lightbox-place", text: placeLine(photo.place) }));
  const people = (photo.people || []).map((p) => (typeof p === "string" ? p : (lang === "zh" && p.name_zh) || p.name)).filter(Boolean);
  if (people.length) section("people", el("p", { class: "lightbox-people", text: people.join(lang === "zh" ? "、" : ", ") }));
  if (photo.moment) {
    section("moment", el("p", {}, el("a", { href: `#/moment/${encodeURIComponent(photo.moment.id)}`, text: title(photo.moment) })));
  }
  if (photo.albums?.length) {
    section("albums", el("p", { class: "tags" }, ...photo.albums.map((a) => el("a", { href: `#/album/${encodeURIComponent(a.id)}`, text: title(a) }))));
  }
  parts.push(el("p", {}, el("a", { class: "lightbox-page", href: `#/photo/${photo.id}`, text: vt("page") })));
  viewer.panel.replaceChildren(...parts);
}

// --- zoom and gestures ----------------------------------------------------------------------
function resetZoom() { viewer.zoom = { s: 1, x: 0, y: 0 }; applyZoom(); }

function applyZoom() {
  const { s, x, y } = viewer.zoom;
  if (!viewer.media) return;
  viewer.media.style.transform = s === 1 ? "" : `translate(${x}px, ${y}px) scale(${s})`;
  if (viewer.faces?.isConnected) viewer.faces.style.transform = viewer.media.style.transform;  // the boxes zoom along
  viewer.root.dataset.zoom = s.toFixed(2);
}

// Scale by ``factor`` keeping the point under (cx, cy) where it is (transform origin: top left).
function zoomAt(cx, cy, factor) {
  if (!viewer.media || viewer.media.tagName === "VIDEO") return;
  const { s, x, y } = viewer.zoom;
  const next = Math.min(ZOOM_MAX, Math.max(1, s * factor));
  if (next === 1) { resetZoom(); return; }
  const rect = viewer.media.getBoundingClientRect();
  const left = rect.left - x, top = rect.top - y;  // where it lies untransformed
  const qx = (cx - left - x) / s, qy = (cy - top - y) / s;
  viewer.zoom = { s: next, x: cx - left - qx * next, y: cy - top - qy * next };
  applyZoom();
}

function zoomBy(factor) {
  const rect = viewer.stage.getBoundingClientRect();
  zoomAt(rect.left + rect.width / 2, rect.top + rect.height / 2, factor);
}

function onWheel(e) {
  e.preventDefault();
  zoomAt(e.clientX, e.clientY, Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.002)));
}

function onPointerDown(e) {
  if (e.target.tagName === "VIDEO" && e.offsetY > e.target.clientHeight - 48) return;  // its controls
  viewer.stage.setPointerCapture(e.pointerId);
  viewer.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
  const [a, b] = [...viewer.pointers.values()];
  viewer.gesture = b ? { pinch: Math.hypot(a.x - b.x, a.y - b.y) } : { x: e.clientX, y: e.clientY, last: { ...a } };
}

function onPointerMove(e) {
  const point = viewer.pointers.get(e.pointerId);
  if (!point || !viewer.gesture) return;
  point.x = e.clientX; point.y = e.clientY;
  const [a, b] = [...viewer.pointers.values()];
  if (b && viewer.gesture.pinch) {  // two fingers: zoom about their middle
    const distance = Math.hypot(a.x - b.x, a.y - b.y);
    zoomAt((a.x + b.x) / 2, (a.y + b.y) / 2, distance / viewer.gesture.pinch);
    viewer.gesture.pinch = distance;
  } else if (!b && viewer.zoom.s > 1 && viewer.gesture.last) {  // one finger on a zoomed photo: pan
    viewer.zoom.x += e.clientX - viewer.gesture.last.x;
    viewer.zoom.y += e.clientY - viewer.gesture.last.y;
    viewer.gesture.last = { x: e.clientX, y: e.clientY };
    applyZoom();
  }
}

function onPointerUp(e) {
  const gesture = viewer.gesture;
  viewer.pointers.delete(e.pointerId);
  if (viewer.pointers.size) { viewer.gesture = { pinch: 0 }; return; }  // the other finger only lifts next
  viewer.gesture = null;
  if (!gesture || gesture.pinch !== undefined || viewer.zoom.s > 1) return;
  const dx = e.clientX - gesture.x, dy = e.clientY - gesture.y;
  if (Math.abs(dx) > SWIPE_PX && Math.abs(dx) > Math.abs(dy)) step(dx < 0 ? 1 : -1);
  else if (dy > SWIPE_PX * 2 && dy > Math.abs(dx) * 2) closeViewer();  // a swipe down puts it away
}

// --- the keyboard, the grids' clicks, the address --------------------------------------------
document.addEventListener("keydown", (e) => {
  if (!viewer.root || viewer.root.hidden || e.target.closest?.("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
  const actions = { ArrowLeft: () => step(-1), ArrowRight: () => step(1), Escape: () => closeViewer(), i: () => togglePanel(),
                    "+": () => zoomBy(1.5), "=": () => zoomBy(1.5), "-": () => zoomBy(1 / 1.5), 0: () => resetZoom() };
  const action = actions[e.key];
  if (action) { e.preventDefault(); action(); }
});

// A plain click on a tile opens the viewer; a modified click, or one a selection handled, does not.
document.addEventListener("click", (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const tile = e.target.closest("#view .grid:not(.trash-grid) a[data-photo]");
  if (!tile) return;
  e.preventDefault();
  openViewer(Number(tile.dataset.photo)).catch(viewerFailure);
});

addEventListener("popstate", syncViewer);
addEventListener("hashchange", () => {  // another page: the viewer closes, the address forgets it
  if (!viewer.root || viewer.root.hidden) return;
  const url = new URL(location.href);
  url.searchParams.delete("view");
  history.replaceState(history.state, "", url);
  hideViewer();
});
// The language switch: the viewer's words and the panel follow the page's.
new MutationObserver(() => {
  if (!viewer.root) return;
  viewer.root.setAttribute("aria-label", vt("viewer"));
  for (const b of viewer.root.querySelectorAll("[data-vt]")) { b.title = vt(b.dataset.vt); b.setAttribute("aria-label", vt(b.dataset.vt)); }
  if (!viewer.root.hidden) { drawCount(); drawPanel(); }
}).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
routing.then(syncViewer);  // gallery.js draws the page first, so the grid is there to move through
