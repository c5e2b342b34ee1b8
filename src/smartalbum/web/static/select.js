"use strict";
// Select many, act once, in every grid of the gallery (album, search, moment, a person's album):
// a click on a tile's ring, Ctrl/⌘-click, or any click once something is selected, picks a
// photo; shift-click picks the run from the last one picked; on a phone a long press starts.
// The bar at the bottom then adds them to an album, puts a heart on them, archives them,
// corrects their label, downloads them as a ZIP or moves them to the trash: one request each.
// Every tile also gets a heart (this person's favourites). A classic script like trash.js:
// it uses gallery.js's api(), el(), lang, thumb(); it finds the grids itself (a.data-photo).
const SELECT_TEXT = {
  en: { selected: "{n} selected", selected1: "1 selected", pick: "Select", addTo: "Add to album", newAlbum: "New album…",
        albumTitle: "Title of the new album", add: "Add", favourite: "Favourite", unfavourite: "Not favourite",
        archive: "Archive", label: "Correct the label", labelHint: "a class, e.g. tabby or 虎斑猫", set: "Set",
        download: "Download", trash: "Delete", clear: "Clear the selection", done: "Done: {n}", heart: "Favourite",
        added: "Added to “{n}”", archived: "Archived: out of the timeline (search is:archived)", trashed: "Moved to the trash",
        corrected: "Label corrected", hearted: "Hearts changed" },
  zh: { selected: "已选 {n} 张", pick: "选择", addTo: "加入相册", newAlbum: "新建相册…",
        albumTitle: "新相册的名称", add: "加入", favourite: "收藏", unfavourite: "取消收藏",
        archive: "归档", label: "更正标签", labelHint: "输入类别，例如 虎斑猫 或 tabby", set: "更正",
        download: "下载", trash: "删除", clear: "取消选择", done: "完成：{n}", heart: "收藏",
        added: "已加入“{n}”", archived: "已归档：不再出现在时间线中（搜索 is:archived 可找到）", trashed: "已移到回收站",
        corrected: "标签已更正", hearted: "收藏已更新" },
};
const LONG_PRESS_MS = 500;
const selection = { ids: new Set(), anchor: null, pressed: false, hearts: null };

function selt(key, n) {
  const words = SELECT_TEXT[lang];
  return (n === 1 && words[key + "1"] ? words[key + "1"] : words[key]).replace("{n}", n);
}
const tileOf = (node) => node && node.closest && node.closest("#view ul.grid a[data-photo]");
const tiles = () => [...document.querySelectorAll("#view ul.grid a[data-photo]")];
const post = (path, body) => api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

function pick(tile, on) {
  const id = Number(tile.dataset.photo);
  const chosen = on === undefined ? !selection.ids.has(id) : on;
  if (chosen) selection.ids.add(id); else selection.ids.delete(id);
  selection.anchor = id;
  paint();
}

// Shift-click: every tile between the last one picked and this one, in the page's order.
function pickRun(tile) {
  const all = tiles();
  const from = all.findIndex((t) => Number(t.dataset.photo) === selection.anchor);
  const to = all.indexOf(tile);
  if (from < 0) { pick(tile, true); return; }
  for (const t of all.slice(Math.min(from, to), Math.max(from, to) + 1)) selection.ids.add(Number(t.dataset.photo));
  selection.anchor = Number(tile.dataset.photo);
  paint();
}

function clearSelection() { selection.ids.clear(); selection.anchor = null; paint(); }

// The tiles' marks (picked, heart), their ring and heart buttons, and the bar: drawn from the state.
function paint() {
  for (const tile of tiles()) {
    const id = Number(tile.dataset.photo);
    const item = tile.parentElement;
    item.classList.toggle("picked", selection.ids.has(id));
    if (!item.querySelector(":scope > .pick")) {
      item.classList.add("selectable");
      const ring = el("button", { type: "button", class: "pick", "aria-label": `${selt("pick")} ${tile.title || id}` });
      ring.addEventListener("click", (e) => { e.preventDefault(); if (e.shiftKey) pickRun(tile); else pick(tile); });
      const heart = el("button", { type: "button", class: "heart", "data-heart": id, "aria-label": `${selt("heart")} ${tile.title || id}` });
      heart.addEventListener("click", () => heartOne(id).catch(report));
      item.append(ring, heart);
    }
    const heart = item.querySelector(":scope > .heart");
    const on = Boolean(selection.hearts && selection.hearts.has(id));
    heart.setAttribute("aria-pressed", String(on));
    heart.textContent = on ? "♥" : "♡";
    item.querySelector(":scope > .pick").setAttribute("aria-pressed", String(selection.ids.has(id)));
  }
  document.body.classList.toggle("selecting", selection.ids.size > 0);
  drawBar();
}

async function loadHearts() {
  try { selection.hearts = new Set((await api("/api/favourites")).ids); } catch (err) { selection.hearts = new Set(); }
  paint();
}

async function heartOne(id) {
  const on = !selection.hearts.has(id);
  await post("/api/selection/favourite", { ids: [id], on });
  if (on) selection.hearts.add(id); else selection.hearts.delete(id);
  paint();
}

function report(err) { const status = document.getElementById("selection-status"); if (status) status.textContent = err.message; }

// --- the bar of actions ----------------------------------------------------------------------
let bar = null;
function drawBar() {
  if (!selection.ids.size) {  // hidden, and drawn afresh next time (the albums may have changed)
    if (bar) { bar.hidden = true; bar.dataset.count = ""; }
    return;
  }
  if (!bar) { bar = el("div", { id: "selection-bar", role: "toolbar", "aria-label": "Selection" }); document.body.append(bar); }
  bar.hidden = false;
  if (bar.dataset.lang === lang && bar.dataset.count === String(selection.ids.size)) return;
  bar.dataset.lang = lang;
  bar.dataset.count = String(selection.ids.size);
  const ids = () => [...selection.ids];
  const button = (id, key, act, extra = "") => el("button", { type: "button", id, class: extra, text: selt(key), onclick: () => act().catch(report) });
  const albumChoice = el("select", { id: "selection-album", "aria-label": selt("addTo") }, el("option", { value: "", text: selt("newAlbum") }));
  const albumTitle = el("input", { id: "selection-album-title", placeholder: selt("albumTitle"), "aria-label": selt("albumTitle") });
  albumChoice.addEventListener("change", () => { albumTitle.hidden = albumChoice.value !== ""; });
  api("/api/user-albums").then(({ albums }) => albumChoice.append(...albums.map((a) => el("option", { value: a.id, text: title(a) })))).catch(() => {});
  const labelInput = el("input", { id: "selection-label", placeholder: selt("labelHint"), "aria-label": selt("label") });
  bar.replaceChildren(
    el("span", { class: "count", id: "selection-count", text: selt("selected", selection.ids.size) }),
    el("span", { class: "group editing" }, albumChoice, albumTitle, button("selection-add", "add", async () => {
      let albumId = albumChoice.value, name = albumChoice.selectedOptions[0].text;
      if (!albumId) {
        name = albumTitle.value.trim();
        if (!name) { albumTitle.focus(); return; }
        albumId = (await post("/api/user-albums", { title: name, ids: ids() })).id;
      } else await post(`/api/user-albums/${albumId}/photos`, { ids: ids() });
      done(selt("added", name), `#/my/${albumId}`);
    })),
    button("selection-favourite", "favourite", async () => { await markHearts(ids(), true); done(selt("hearted")); }),
    button("selection-unfavourite", "unfavourite", async () => { await markHearts(ids(), false); done(selt("hearted")); }, "secondary"),
    button("selection-archive", "archive", async () => {
      const gone = ids();
      await post("/api/selection/archive", { ids: gone });
      removeTiles(gone);
      done(selt("archived"));
    }, "editing"),
    el("span", { class: "group editing" }, labelInput, button("selection-relabel", "set", async () => {
      if (!labelInput.value.trim()) { labelInput.focus(); return; }
      await post("/api/selection/labels", { ids: ids(), action: "set", wnid: labelInput.value.trim() });
      done(selt("corrected"));
    })),
    el("a", { id: "selection-download", class: "button", href: `/api/selection/download?ids=${ids().join(",")}`, download: "photos.zip", text: selt("download") }),
    button("selection-trash", "trash", async () => {
      const gone = ids();
      await post("/api/trash", { ids: gone });
      removeTiles(gone);
      done(selt("trashed"));
    }, "danger editing"),
    button("selection-clear", "clear", async () => clearSelection(), "secondary"),
    el("p", { id: "selection-status", role: "status" }));
}

async function markHearts(ids, on) {
  await post("/api/selection/favourite", { ids, on });
  for (const id of ids) if (on) selection.hearts.add(id); else selection.hearts.delete(id);
}

function removeTiles(ids) {
  for (const id of ids) for (const t of document.querySelectorAll(`#view ul.grid a[data-photo="${id}"]`)) t.parentElement.remove();
}

// An action done: the selection cleared and a note of what happened (a link to the album made).
function done(message, link) {
  clearSelection();
  const note = el("p", { id: "selection-done", class: "notice", role: "status" }, message);
  if (link) note.append(" ", el("a", { href: link, text: "→" }));
  const old = document.getElementById("selection-done");
  if (old) old.replaceWith(note); else document.getElementById("view").prepend(note);
}

// --- the pointer: clicks, shift-clicks, long presses -------------------------------------------
document.addEventListener("click", (e) => {
  const tile = tileOf(e.target);
  if (!tile) return;
  if (selection.pressed) { e.preventDefault(); selection.pressed = false; return; }  // the end of a long press
  if (e.shiftKey && (selection.anchor !== null || selection.ids.size)) { e.preventDefault(); pickRun(tile); }
  else if (e.shiftKey || e.ctrlKey || e.metaKey || selection.ids.size) { e.preventDefault(); pick(tile); }
}, true);

let press = null;
document.addEventListener("pointerdown", (e) => {
  const tile = tileOf(e.target);
  selection.pressed = false;  // a long press whose click never came is over
  if (!tile || e.pointerType === "mouse") return;
  const start = { x: e.clientX, y: e.clientY };
  press = { start, timer: setTimeout(() => { selection.pressed = true; pick(tile, true); if (navigator.vibrate) navigator.vibrate(20); }, LONG_PRESS_MS) };
});
const cancelPress = () => { if (press) clearTimeout(press.timer); press = null; };
document.addEventListener("pointermove", (e) => {
  if (press && Math.hypot(e.clientX - press.start.x, e.clientY - press.start.y) > 10) cancelPress();
});
for (const type of ["pointerup", "pointercancel"]) document.addEventListener(type, cancelPress);
document.addEventListener("contextmenu", (e) => { if (tileOf(e.target) && (press || selection.pressed)) e.preventDefault(); });

// A new view (or more of a grid) gets its rings and hearts; a new page clears the selection.
new MutationObserver(() => { if (tiles().some((t) => !t.parentElement.classList.contains("selectable"))) paint(); })
  .observe(document.getElementById("view"), { childList: true, subtree: true });
addEventListener("hashchange", () => { clearSelection(); });
for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", () => setTimeout(paint));
loadHearts();
