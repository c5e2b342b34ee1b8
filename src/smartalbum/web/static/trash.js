"use strict";
// The trash in the gallery (editors and admins): photos deleted, or whose files vanished, each
// with why, when, by whom and the days left before the purge; Restore, and Delete forever
// (admins; twice-clicked). And the Delete button of a photo's page. A classic script like
// categories.js: it uses gallery.js's api(), el(), show(), lang and rerender, and gallery.js's
// router calls trashView(); the nav link and the buttons it adds follow the language switch.
const TRASH_TEXT = {
  en: { trash: "Trash", empty: "The trash is empty.", count: "{n} photos in the trash", count1: "1 photo in the trash",
        kept: "Each is kept {n} days, then deleted for good.", restore: "Restore", purge: "Delete forever",
        really: "Really delete {n} for good?", all: "Select all", none: "Select none", deleted: "deleted",
        vanished: "file gone", left: "{n} days left", by: "by {n}", remove: "Move to trash",
        removed: "Moved to the trash: it can be restored from the Trash page." },
  zh: { trash: "回收站", empty: "回收站是空的。", count: "回收站中有 {n} 张照片",
        kept: "每张照片保留 {n} 天，之后永久删除。", restore: "恢复", purge: "永久删除",
        really: "确定永久删除 {n} 张吗？", all: "全选", none: "全不选", deleted: "已删除",
        vanished: "文件已不在", left: "还剩 {n} 天", by: "由 {n} 删除", remove: "移到回收站",
        removed: "已移到回收站：可以在“回收站”页面恢复。" },
};
function trt(key, n) {
  const words = TRASH_TEXT[lang];
  return (n === 1 && words[key + "1"] ? words[key + "1"] : words[key]).replace("{n}", n);
}
const trashPost = (path, ids) => api(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                             body: JSON.stringify({ ids }) });

async function trashView() {
  let data = await api("/api/trash?limit=500");
  const picked = new Set();
  let confirming = false, lastPicked = null;
  async function act(path) {
    await trashPost(path, [...picked]);
    picked.clear();
    confirming = false;
    data = await api("/api/trash?limit=500");
    rerender();
  }
  rerender = () => {
    const heading = el("h2", { id: "trash-heading", text: data.total ? trt("count", data.total) : trt("empty") });
    const restore = el("button", { type: "button", id: "trash-restore", text: trt("restore"), disabled: picked.size ? null : "" });
    const purge = el("button", { type: "button", id: "trash-purge", class: "danger",
                                 text: confirming ? trt("really", picked.size) : trt("purge"), disabled: picked.size ? null : "" });
    const every = el("button", { type: "button", id: "trash-all", class: "secondary",
                                 text: picked.size === data.photos.length ? trt("none") : trt("all") });
    const problem = el("p", { class: "notice", role: "alert" });
    const failed = (err) => { problem.textContent = err.message; };
    restore.addEventListener("click", () => act("/api/trash/restore").catch(failed));
    purge.addEventListener("click", () => {
      if (!confirming) { confirming = true; rerender(); return; }
      act("/api/trash/purge").catch(failed);
    });
    every.addEventListener("click", () => {
      const all = picked.size !== data.photos.length;
      picked.clear();
      if (all) for (const p of data.photos) picked.add(p.id);
      confirming = false;
      rerender();
    });
    const grid = el("ul", { class: "grid trash-grid", "aria-label": trt("trash") },
      ...data.photos.map((p) => {
        const box = el("input", { type: "checkbox", "data-trashed": p.id, "aria-label": p.name, checked: picked.has(p.id) ? "" : null });
        box.addEventListener("click", (e) => {  // a shift-click picks the run from the last one picked
          const ids = data.photos.map((x) => x.id);
          const from = ids.indexOf(lastPicked), to = ids.indexOf(p.id);
          if (e.shiftKey && from >= 0) for (const id of ids.slice(Math.min(from, to), Math.max(from, to) + 1)) picked.add(id);
          else if (box.checked) picked.add(p.id); else picked.delete(p.id);
          lastPicked = p.id;
          confirming = false;
          rerender();
        });
        const why = [p.reason === "vanished" ? trt("vanished") : trt("deleted"), p.by ? trt("by", p.by) : null,
                     trt("left", p.days_left)].filter(Boolean).join(" · ");
        return el("li", {}, el("label", { title: p.path }, box,
          el("img", { src: `/api/trash/${p.id}/thumbnail`, alt: p.name, loading: "lazy", width: 150, height: 150 }),
          el("span", { class: "caption", text: why })));
      }));
    show(heading, el("p", { class: "sub", text: trt("kept", data.days) }),
         data.photos.length ? el("div", { class: "trash-actions" }, every, restore, purge) : null, problem, grid);
  };
  rerender();
}

// The photo page's Delete button (editors and admins; hidden from viewers by CSS).
function deleteButton(id) {
  const button = el("button", { type: "button", id: "photo-delete", class: "danger", text: trt("remove") });
  button.addEventListener("click", async () => {
    try {
      await trashPost("/api/trash", [Number(id)]);
      show(el("p", { class: "notice", role: "status", id: "photo-deleted" }, trt("removed"), " ",
              el("a", { href: "#/trash", text: trt("trash") })));
    } catch (err) { button.textContent = err.message; }
  });
  return button;
}

// The nav link's words, in the page's language now and after each switch.
function labelTrashLink() { for (const a of document.querySelectorAll("[data-trash-i18n]")) a.textContent = trt(a.dataset.trashI18n); }
for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", () => setTimeout(labelTrashLink));
document.addEventListener("DOMContentLoaded", labelTrashLink);  // once gallery.js has defined lang
