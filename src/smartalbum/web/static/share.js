"use strict";
// A share link's page: the album's or moment's photos, for someone without an account. It
// reads only /api/shared/<token>/...: the token in this page's address is the credential.
const TEXT = {
  en: { title: "smartalbum", locked: "This share link has a password", password: "Password", open: "Open",
        wrong: "Wrong password.", gone: "This link does not exist, was revoked or has expired.",
        photos: "{n} photos", photos1: "1 photo", error: "Something went wrong:", close: "Close",
        loading: "Loading…", until: "Link valid until {n}", download: "Download all (ZIP)" },
  zh: { title: "智能相册", locked: "此分享链接需要密码", password: "密码", open: "打开",
        wrong: "密码错误。", gone: "此链接不存在、已撤销或已过期。", photos: "{n} 张照片",
        error: "出错了：", close: "关闭", loading: "加载中…", until: "链接有效期至 {n}", download: "全部下载（ZIP）" },
};
const PAGE = 200;
const token = decodeURIComponent(location.pathname.split("/").pop());
const base = `/api/shared/${encodeURIComponent(token)}`;
let lang = localStorage.getItem("smartalbum.lang") === "zh" ? "zh" : "en";
let shown = null;  // what the link shows (first page), once it answered
const photos = [];

function t(key, n) { return TEXT[lang][n === 1 && TEXT[lang][key + "1"] ? key + "1" : key].replace("{n}", n); }
function byId(id) { return document.getElementById(id); }
function label(o) { return lang === "zh" ? o.label_zh : o.label; }

async function get(path) {
  const response = await fetch(path, { headers: { "Accept-Language": lang === "zh" ? "zh-CN" : "en" } });
  const body = await response.json().catch(() => ({}));
  const error = body.error || {};
  if (!response.ok) throw Object.assign(new Error(error.message || response.statusText), { status: response.status, code: error.code });
  return body;
}

// The day as the photo's own clock recorded it (never shifted to this browser's time zone).
function day(iso) {
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return lang === "zh" ? `${y}年${m}月${d}日`
    : new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
}

// The server sends only the labels worth believing (none when the model was unsure); the
// viewer shows how sure, a cell just what.
function what(p) { return p.labels[0] ? label(p.labels[0]) : ""; }

function when(p) {
  if (!p.taken_at) return null;
  const time = document.createElement("time");
  time.dateTime = p.taken_at.slice(0, 10);
  time.textContent = day(p.taken_at);
  return time;
}

function draw() {
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  if (!shown) return;
  const heading = byId("heading");
  heading.replaceChildren(lang === "zh" ? shown.title_zh : shown.title);
  const count = document.createElement("span");
  count.className = "count";
  count.textContent = t("photos", shown.count);
  heading.append(count);
  const facts = [];
  if (shown.start) facts.push(shown.start.slice(0, 10) === shown.end.slice(0, 10) ? day(shown.start) : `${day(shown.start)} – ${day(shown.end)}`);
  if (shown.expires_at) facts.push(t("until", day(new Date(shown.expires_at * 1000).toISOString())));
  byId("facts").textContent = facts.join(" · ");
  if (shown.allow_download) {  // the sharer allowed it: one ZIP of every original
    const zip = Object.assign(document.createElement("a"), { id: "share-download", className: "button download",
                                                           href: `${base}/download`, textContent: t("download") });
    zip.setAttribute("download", "");
    byId("facts").append(" ", zip);
  }
  byId("photos").replaceChildren(...photos.map(cell));
}

function cell(p) {
  const top = p.labels[0];
  const caption = top ? `${label(top)} ${percent(top.probability)}` : "";  // scores.js
  const link = document.createElement("a");
  link.href = `${base}/photos/${p.id}/original`;
  link.dataset.photo = p.id;
  const img = document.createElement("img");
  const date = when(p);
  Object.assign(img, { src: `${base}/photos/${p.id}/thumbnail`, alt: [caption, date && date.textContent].filter(Boolean).join(" · "),
                       loading: "lazy", width: 150, height: 150 });
  const span = document.createElement("span");
  span.className = "caption";
  if (caption) span.append(Object.assign(document.createElement("span"), { className: "what", textContent: caption }));
  if (date) span.append(date);
  link.append(img);
  if (span.childElementCount) link.append(span);
  if (isVideo(p)) markVideo(link);  // video.js
  if (p.motion) markLive(link, `${base}/photos/${p.id}/motion`);  // video.js
  link.addEventListener("click", (e) => { e.preventDefault(); view(p); });
  const item = document.createElement("li");
  item.append(link);
  return item;
}

function view(p) {
  byId("viewer-img").src = `${base}/photos/${p.id}/original`;
  byId("viewer-img").alt = p.labels[0] ? label(p.labels[0]) : "";
  showInViewer(byId("viewer-img"), p, `${base}/photos/${p.id}/original`, `${base}/photos/${p.id}/thumbnail`);  // video.js
  const date = when(p);
  byId("viewer-date").replaceChildren(...(date ? [date] : []));
  byId("viewer-labels").replaceChildren(...p.labels.map((l) => {
    const item = document.createElement("li");
    item.className = "bar";
    item.textContent = `${label(l)} · ${percent(l.probability)}`;
    return item;
  }));
  byId("viewer").showModal();
}

async function load() {
  byId("more").textContent = t("loading");
  try {
    while (!shown || photos.length < shown.count) {
      const page = await get(`${base}?offset=${photos.length}&limit=${PAGE}`);
      shown = page;
      photos.push(...page.photos);
      draw();
      if (!page.photos.length) break;
    }
    byId("more").textContent = "";
    if (typeof offerUploads === "function") offerUploads(shown);  // share-upload.js
  } catch (err) {
    byId("more").textContent = "";
    if (err.code === "share_password_required") { byId("unlock").hidden = false; byId("password").focus(); }
    else byId("heading").textContent = err.status === 404 ? t("gone") : `${t("error")} ${err.message}`;
  }
  byId("view").dataset.ready = "1";
}

byId("unlock").addEventListener("submit", async (e) => {
  e.preventDefault();
  const response = await fetch(`${base}/unlock`, {
    method: "POST", headers: { "Content-Type": "application/json", "Accept-Language": lang === "zh" ? "zh-CN" : "en" },
    body: JSON.stringify({ password: byId("password").value }),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    byId("unlock-status").textContent = response.status === 401 ? t("wrong") : (body.error || {}).message || response.statusText;
    return;
  }
  byId("unlock").hidden = true;
  load();
});
byId("viewer-close").addEventListener("click", () => byId("viewer").close());
byId("viewer").addEventListener("close", () => byId("viewer").querySelector("video")?.pause());
for (const b of document.querySelectorAll("[data-lang]")) {
  b.addEventListener("click", () => {
    lang = b.dataset.lang;
    localStorage.setItem("smartalbum.lang", lang);
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const other of document.querySelectorAll("[data-lang]")) other.setAttribute("aria-pressed", String(other.dataset.lang === lang));
    draw();
  });
}
document.querySelector(`[data-lang="${lang}"]`).click();
load();
