"use strict";
// The share panel of an album or a moment in the gallery (editors and admins): make a link
// (optional expiry and password; read-only unless its guests may add photos), see the links
// made before, revoke one. Loaded before
// gallery.js; it uses gallery.js's api(), el() and lang when a view draws it.
const SHARE_TEXT = {
  en: { share: "Share", expires: "Expires", never: "never", day1: "in 1 day", day7: "in 7 days", day30: "in 30 days",
        password: "Password (optional)", make: "Make link", copy: "Copy", copied: "Copied", revoke: "Revoke",
        by: "by {n}", withPassword: "password",
        until: "until {n}", forever: "no expiry", made: "New link (shown once):", none: "No links yet.",
        guests: "Guests may add photos", guestsAdd: "guests add photos", added: "Added by guests", remove: "Remove",
        noneAdded: "Nothing added yet.", downloads: "Guests may download a ZIP", guestsZip: "ZIP allowed" },
  zh: { share: "分享", expires: "有效期", never: "永久", day1: "1 天", day7: "7 天", day30: "30 天",
        password: "密码（可选）", make: "生成链接", copy: "复制", copied: "已复制", revoke: "撤销",
        by: "由 {n} 创建", withPassword: "有密码",
        until: "有效至 {n}", forever: "永久有效", made: "新链接（只显示这一次）：", none: "还没有分享链接。",
        guests: "允许访客添加照片", guestsAdd: "访客可添加照片", added: "访客添加的照片", remove: "移除",
        noneAdded: "还没有人添加照片。", downloads: "允许访客下载 ZIP", guestsZip: "可下载 ZIP" },
};
function st(key, n) { return SHARE_TEXT[lang][key].replace("{n}", n); }
function when(seconds) { return new Date(seconds * 1000).toLocaleString(lang === "zh" ? "zh-CN" : "en"); }

function sharePanel(kind, target) {
  const path = `/api/${kind}s/${encodeURIComponent(target)}/shares`;
  const expiry = el("select", { id: "share-expiry", "aria-label": st("expires") },
    ...[["", "never"], ["1", "day1"], ["7", "day7"], ["30", "day30"]].map(([v, k]) => el("option", { value: v, text: st(k) })));
  const password = el("input", { id: "share-password", type: "password", autocomplete: "new-password", minlength: 8,
                                 placeholder: st("password"), "aria-label": st("password") });
  const made = el("p", { class: "new-link", role: "status" });
  const list = el("ul", { class: "links", "aria-label": st("share") });
  const guests = el("input", { id: "share-uploads", type: "checkbox" });  // issue 23: guests add photos
  const zips = el("input", { id: "share-downloads", type: "checkbox" });  // issue 27: a ZIP of it all
  const form = el("form", {}, expiry, password, el("label", { class: "share-uploads" }, guests, st("guests")),
    el("label", { class: "share-downloads" }, zips, st("downloads")),
    el("button", { type: "submit", id: "share-make", text: st("make") }));
  const panel = el("details", { class: "share" }, el("summary", { text: st("share") }), form, made, list);

  async function refresh() {
    const { links } = await api(path);
    list.replaceChildren(...(links.length ? links.map(row) : [el("li", { text: st("none") })]));
  }
  function row(link) {
    const revoke = el("button", { type: "button", "data-revoke": link.id, text: st("revoke") });
    revoke.addEventListener("click", async () => { await api(`/api/shares/${link.id}`, { method: "DELETE" }); refresh(); });
    const facts = [link.created_by ? st("by", link.created_by) : "", when(link.created_at),
      link.expires_at ? st("until", when(link.expires_at)) : st("forever"), link.password ? st("withPassword") : "",
      link.allow_upload ? st("guestsAdd") : "", link.allow_download ? st("guestsZip") : ""].filter(Boolean);
    return el("li", { "data-link": link.id }, el("span", { text: `#${link.id} · ${facts.join(" · ")}` }), revoke,
      link.allow_upload ? guestPhotos(link.id) : null);
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {};
    if (expiry.value) body.expires_in_days = Number(expiry.value);
    if (password.value) body.password = password.value;
    if (guests.checked) body.allow_upload = true;
    if (zips.checked) body.allow_download = true;
    try {
      const link = await api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const url = new URL(link.url, location.origin).href;
      const copy = el("button", { type: "button", text: st("copy") });
      copy.addEventListener("click", async () => { await navigator.clipboard.writeText(url); copy.textContent = st("copied"); });
      made.replaceChildren(st("made"), " ", el("a", { href: url, id: "share-url", text: url }), " ", copy);
      password.value = "";
    } catch (err) { made.textContent = err.message; }
    refresh();
  });
  panel.addEventListener("toggle", () => { if (panel.open) refresh().catch((err) => { made.textContent = err.message; }); });
  return panel;
}

// What a link's guests added, for its sharer to look through and take out (to the trash).
function guestPhotos(linkId) {
  const grid = el("ul", { class: "grid guest-added-photos" });
  const box = el("details", { class: "guest-added", "data-guests": linkId }, el("summary", { text: st("added") }), grid);
  async function refresh() {
    const { photos } = await api(`/api/shares/${linkId}/uploads`);
    grid.replaceChildren(...(photos.length ? photos.map(cell) : [el("li", { class: "sub", text: st("noneAdded") })]));
  }
  function cell(photo) {
    const remove = el("button", { type: "button", "data-remove-guest": photo.id, text: st("remove"),
                                  "aria-label": `${st("remove")}: ${photo.name}` });
    remove.addEventListener("click", async () => {
      await api(`/api/shares/${linkId}/uploads/${photo.id}`, { method: "DELETE" });
      refresh();
    });
    return el("li", { "data-photo": photo.id },
      el("a", { href: `#/photo/${photo.id}`, title: photo.name },
        el("img", { src: thumb(photo.id), alt: photo.name, loading: "lazy", width: 150, height: 150 })), remove);
  }
  box.addEventListener("toggle", () => { if (box.open) refresh().catch((err) => { grid.replaceChildren(el("li", { text: err.message })); }); });
  return box;
}
