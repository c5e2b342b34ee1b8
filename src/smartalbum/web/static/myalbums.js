"use strict";
// Albums a person makes, in the gallery: "Your albums" beside the smart ones (a new album from
// a title), and one album's page (#/my/ID): rename it in English and Chinese, its order (by date
// or by hand: the selected photos to the front), the selected photo as its cover, the selected
// photos out of it, share it, download it, delete it. A classic script like trash.js: it uses
// gallery.js's api(), el(), show(), photoGrid(), lang, rerender, title(), and select.js's selection.
const MY_TEXT = {
  en: { mine: "Your albums", none: "No album of your own yet: select photos anywhere and add them to a new one.",
        make: "New album", titleEn: "Title", titleZh: "Chinese title (optional)", create: "Create",
        edit: "Edit", save: "Save", order: "Order", byDate: "by date", byHand: "by hand", toFront: "Selected to the front",
        cover: "Selected as cover", remove: "Remove selected from album", download: "Download ZIP",
        remove1: "Delete this album", really: "Delete the album (not its photos)?", by: "by {n}", photos: "{n} photos", photos1: "1 photo" },
  zh: { mine: "我的相册", none: "还没有自己的相册：在任何地方选择照片，把它们加入新相册。",
        make: "新建相册", titleEn: "英文名称", titleZh: "中文名称（可选）", create: "创建",
        edit: "编辑", save: "保存", order: "排序", byDate: "按日期", byHand: "手动", toFront: "选中的移到最前",
        cover: "选中的设为封面", remove: "从相册移除选中的", download: "下载 ZIP",
        remove1: "删除此相册", really: "删除相册（照片保留）？", by: "由 {n} 创建", photos: "{n} 张照片" },
};
function myt(key, n) {
  const words = MY_TEXT[lang];
  return (n === 1 && words[key + "1"] ? words[key + "1"] : words[key]).replace("{n}", n);
}
let editing = false;  // the album's Edit panel stays open while its changes redraw the page
const jsonPost = (path, body, method = "POST") => api(path, { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

// The section of the albums page: drawn again by the page's rerender (the language switch).
async function userAlbumsSection() {
  const { albums } = await api("/api/user-albums");
  const section = el("section", { class: "user-albums", "aria-labelledby": "user-albums-heading" });
  section.relabel = () => {
    const en = el("input", { id: "new-album-title", required: "", maxlength: 200, placeholder: myt("titleEn"), "aria-label": myt("titleEn") });
    const zh = el("input", { id: "new-album-title-zh", maxlength: 200, placeholder: myt("titleZh"), "aria-label": myt("titleZh") });
    const problem = el("p", { class: "notice", role: "alert" });
    const form = el("form", { class: "new-album editing" }, en, zh, el("button", { type: "submit", id: "new-album-create", text: myt("create") }), problem);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const made = await jsonPost("/api/user-albums", { title: en.value, title_zh: zh.value || null });
        location.hash = `#/my/${made.id}`;
      } catch (err) { problem.textContent = err.message; }
    });
    const cards = albums.map((a) => el("li", { class: a.count ? "album-card" : "album-card empty" },
      el("a", { href: `#/my/${a.id}`, "data-user-album": a.id },
        a.cover ? el("img", { class: "cover", src: thumb(a.cover), alt: "", loading: "lazy" }) : el("div", { class: "cover" }),
        el("div", { class: "text" }, el("p", { class: "name", text: title(a) }),
          el("span", { class: "sub", text: [myt("photos", a.count), a.owner ? myt("by", a.owner) : ""].filter(Boolean).join(" · ") })))));
    section.replaceChildren(el("h2", { id: "user-albums-heading", text: myt("mine") }),
      el("details", { class: "make-album editing" }, el("summary", { text: myt("make") }), form),
      albums.length ? el("ul", { class: "albums-grid" }, ...cards) : el("p", { class: "sub", text: myt("none") }));
  };
  section.relabel();
  return section;
}

async function userAlbumView(id) {
  let album = await api(`/api/user-albums/${encodeURIComponent(id)}?limit=1`);
  const grid = photoGrid(async (offset) => {
    const page = await api(`/api/user-albums/${encodeURIComponent(id)}?offset=${offset}&limit=${PAGE}`);
    return { total: page.count, photos: page.photos };
  }, () => "");
  const heading = el("h2", { id: "user-album-heading" });
  const tools = el("div", { class: "user-album-tools" });
  const problem = el("p", { class: "notice", role: "alert" });
  const change = async (path, body, method) => {
    try { album = await jsonPost(path, body, method); clearSelection(); route(); } catch (err) { problem.textContent = err.message; }  // select.js, gallery.js
  };
  const chosen = () => [...selection.ids];  // select.js
  rerender = () => {
    heading.replaceChildren(title(album), el("span", { class: "count", text: myt("photos", album.count) }));
    const en = el("input", { id: "album-title", value: album.title, maxlength: 200, "aria-label": myt("titleEn") });
    const zh = el("input", { id: "album-title-zh", value: album.title_zh === album.title ? "" : album.title_zh, maxlength: 200, "aria-label": myt("titleZh"), placeholder: myt("titleZh") });
    const rename = el("form", { class: "rename" }, en, zh, el("button", { type: "submit", id: "album-rename", text: myt("save") }));
    rename.addEventListener("submit", (e) => { e.preventDefault(); change(`/api/user-albums/${id}`, { title: en.value, title_zh: zh.value }, "PATCH"); });
    const order = el("select", { id: "album-order", "aria-label": myt("order") },
      ...[["date", "byDate"], ["manual", "byHand"]].map(([v, k]) => el("option", { value: v, text: myt(k), selected: album.order === v ? "" : null })));
    order.addEventListener("change", () => change(`/api/user-albums/${id}`, { order: order.value }, "PATCH"));
    const act = (key, run) => el("button", { type: "button", id: `album-${key}`, text: myt(key), onclick: run });
    const remove = act("remove", () => chosen().length && change(`/api/user-albums/${id}/photos/remove`, { ids: chosen() }));
    const removeAlbum = el("button", { type: "button", id: "album-delete", class: "danger", text: myt("remove1") });
    removeAlbum.addEventListener("click", async () => {
      if (removeAlbum.dataset.sure !== "1") { removeAlbum.dataset.sure = "1"; removeAlbum.textContent = myt("really"); return; }
      await api(`/api/user-albums/${id}`, { method: "DELETE" });
      location.hash = "#/";
    });
    tools.replaceChildren(
      el("a", { id: "album-download", class: "button", href: `/api/user-albums/${id}/download`, download: "", text: myt("download") }),
      el("details", { class: "edit-album editing", open: editing ? "" : null, ontoggle: (e) => { editing = e.target.open; } },
        el("summary", { text: myt("edit") }), rename,
        el("label", {}, `${myt("order")} `, order),
        act("toFront", () => chosen().length && change(`/api/user-albums/${id}/order`, { ids: chosen() })),
        act("cover", () => chosen().length && change(`/api/user-albums/${id}`, { cover: chosen()[0] }, "PATCH")),
        remove, removeAlbum), problem);
    grid.relabel();
  };
  rerender();
  show(heading, tools, sharePanel("user-album", id), grid.list, grid.more);  // shares.js
  await grid.first;
  const cover = grid.list.querySelector(`a[data-photo="${album.cover}"]`);
  if (cover) cover.parentElement.classList.add("is-cover");  // marked on the page
}

// The ZIP of an album or a moment: a plain link, so the browser streams it to disk.
function downloadLink(path) {
  const link = el("a", { class: "button download", "data-download": path, href: path, download: "" });
  link.textContent = myt("download");
  for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", () => { link.textContent = myt("download"); });
  return link;
}
