"use strict";
// The gallery: albums, the timeline of moments, an album's or a moment's photos (loaded page by
// page as you scroll), a photo with its top-5 bars, corrections, place and moment, and search —
// in English or 中文. Routes live in the hash.
const TEXT = {
  en: { title: "smartalbum", albums: "Albums", recognize: "Recognize", search: "Search", searchLabel: "Search photos",
        searchHint: "cat, 猫, snow, beach…", photos: "{n} photos", photos1: "1 photo", noPhotos: "No photos yet — import a folder on the Recognize page.",
        empty: "Nothing here yet.", results: "{n} photos found", labels: "What the model sees", inAlbums: "Albums",
        labelsBy: "Labels (corrected by {n})", labelsCorrected: "Labels (corrected)",
        noAlbums: "In no album", facts: "Details", taken: "Taken", camera: "Camera", size: "Size", file: "File", xmpTitle: "Title", rating: "Rating", keywords: "Keywords",
        place: "GPS", setLabel: "Correct the label", setHint: "type a class, e.g. tabby or 虎斑猫", set: "Set",
        confirm: "Right", reject: "Not this", yourCorrections: "Your corrections", undo: "undo",
        confirmed: "confirmed", setByYou: "set by you", rejected: "rejected", set_: "set", confirm_: "confirmed",
        reject_: "rejected", loading: "Loading…", notFound: "Not found.", error: "Something went wrong:",
        back: "Back", timeFallback: "(file date)", rulesError: "Album rules not applied:",
        timeline: "Timeline", noMoments: "No moments yet — photos with a date appear here.",
        moment: "Moment", where: "Place", moments: "Moments", fileDates: "dates from files", trip: "Trip",
        categories: "Categories", people: "People" },
  zh: { title: "智能相册", albums: "相册", recognize: "识别照片", search: "搜索", searchLabel: "搜索照片",
        searchHint: "猫、cat、雪、海边…", photos: "{n} 张照片", noPhotos: "还没有照片——请在“识别照片”页面导入文件夹。",
        empty: "这里还没有照片。", results: "找到 {n} 张照片", labels: "识别结果", inAlbums: "所在相册",
        labelsBy: "标签（由 {n} 更正）", labelsCorrected: "标签（已更正）",
        noAlbums: "不在任何相册中", facts: "照片信息", taken: "拍摄时间", camera: "相机", size: "尺寸", file: "文件", xmpTitle: "标题", rating: "评分", keywords: "关键词",
        place: "GPS", setLabel: "更正标签", setHint: "输入类别，例如 虎斑猫 或 tabby", set: "更正",
        confirm: "正确", reject: "不是", yourCorrections: "你的更正", undo: "撤销",
        confirmed: "已确认", setByYou: "你设定的", rejected: "已排除", set_: "设定为", confirm_: "已确认",
        reject_: "已排除", loading: "加载中…", notFound: "找不到。", error: "出错了：",
        back: "返回", timeFallback: "（文件日期）", rulesError: "相册规则未生效：",
        timeline: "时间线", noMoments: "还没有时刻——有拍摄日期的照片会出现在这里。",
        moment: "时刻", where: "地点", moments: "相关时刻", fileDates: "日期取自文件", trip: "旅行",
        categories: "分类", people: "人物" },
};
const PAGE = 200;
const MOMENT_PAGE = 60;
let lang = localStorage.getItem("smartalbum.lang") === "zh" ? "zh" : "en";
let rerender = () => {};  // the current view draws itself again after a language switch
let observer = null;

function t(key, n) { return TEXT[lang][n === 1 && TEXT[lang][key + "1"] ? key + "1" : key].replace("{n}", n); }
function title(o) { return lang === "zh" ? o.title_zh : o.title; }
function label(o) { return lang === "zh" ? o.label_zh : o.label; }
function thumb(id) { return `/api/photos/${id}/thumbnail`; }
const CJK = /[\u3400-\u9fff]/;

// "Sapporo, Hokkaido, Japan" / "日本北海道札幌": a name that starts its neighbour is dropped (北京市 北京).
function placeLine(p) {
  if (!p) return "";
  const parts = lang === "zh"
    ? [p.country_zh || p.country, p.region_zh || p.region, p.city_zh || p.city]
    : [p.city, p.region, p.country];
  const kept = [];
  for (const part of parts) {
    const last = kept[kept.length - 1];
    if (part && !(last && (last.startsWith(part) || part.startsWith(last)))) kept.push(part);
  }
  if (lang !== "zh") return kept.join(", ");
  return kept.reduce((text, part) => text + (text && !(CJK.test(text.slice(-1)) && CJK.test(part[0])) ? " " : "") + part, "");
}

// The days a moment spans, as the photos' own clocks recorded them (never shifted to this browser's zone).
function dateSpan(start, end) {
  const [a, b] = [start, end].map((iso) => iso.slice(0, 10).split("-").map(Number));
  if (lang === "zh") {  // 2025年1月10日–12日, 2025年1月30日–2月2日
    const day = ([y, m, d]) => `${y}年${m}月${d}日`;
    if (a.join() === b.join()) return day(a);
    if (a[0] !== b[0]) return `${day(a)}–${day(b)}`;
    return `${day(a)}–${a[1] === b[1] ? "" : `${b[1]}月`}${b[2]}日`;
  }
  const format = new Intl.DateTimeFormat("en", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  const [from, to] = [a, b].map(([y, m, d]) => new Date(Date.UTC(y, m - 1, d)));
  return from.getTime() === to.getTime() ? format.format(from) : format.formatRange(from, to);
}

function momentCard(m) {
  const where = placeLine(m.place);
  return el("li", { class: "moment-card" },
    el("a", { href: `#/moment/${encodeURIComponent(m.id)}`, "data-moment": m.id },
      el("img", { class: "cover", src: thumb(m.cover), alt: "", loading: "lazy" }),
      el("div", { class: "text" },
        el("p", { class: "name", text: title(m) }),
        m.imported ? null : el("p", { class: "dates" }, el("time", { datetime: m.start, text: dateSpan(m.start, m.end) }),
          m.time_is_file_date ? el("span", { class: "file-date", text: ` · ${t("fileDates")}` }) : null),
        where ? el("p", { class: "where", text: where }) : null,
        el("p", { class: "sub" }, t("photos", m.count),
          m.trip ? el("span", { class: "trip-badge", "data-trip": m.trip.id, title: title(m.trip), text: `✈ ${title(m.trip)}` }) : null))));
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "style") node.style.cssText = v;  // the page's policy allows no style attribute
    else if (v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

// A Live Photo's or Motion Photo's video, played over the still while hovered or long-pressed.
function withMotion(photo, box) {
  if (!photo.motion) return box;
  let video = null, timer = null;
  const play = () => {
    if (video) return;
    video = el("video", { class: "motion", src: `/api/photos/${photo.id}/motion`, autoplay: "", loop: "", playsinline: "" });
    video.muted = true;  // a browser plays only a muted video without a click
    box.append(video);
  };
  const stop = () => { clearTimeout(timer); if (video) { video.remove(); video = null; } };
  box.addEventListener("mouseenter", play);
  box.addEventListener("mouseleave", stop);
  box.addEventListener("touchstart", () => { timer = setTimeout(play, 350); }, { passive: true });
  for (const end of ["touchend", "touchcancel"]) box.addEventListener(end, stop);
  box.append(el("span", { class: "live", text: "LIVE" }));
  return box;
}

async function api(path, options = {}) {
  // The server answers errors in the language asked for: the page's, not the browser's.
  const headers = { ...options.headers, ...csrfHeaders(), "Accept-Language": lang === "zh" ? "zh-CN" : "en" };
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) { location.assign(`/login?next=${encodeURIComponent(location.pathname + location.hash)}`); }
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.error.message), { status: response.status });
  return body;
}

function show(...nodes) {
  const view = document.getElementById("view");
  view.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined));
}

function failure(err) {
  show(el("p", { class: "notice", role: "alert", text: err.status === 404 ? t("notFound") : `${t("error")} ${err.message}` }));
}

function setLang(next) {
  lang = next;
  localStorage.setItem("smartalbum.lang", lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const b of document.querySelectorAll("[data-lang]")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  rerender();
}

// --- the albums ---------------------------------------------------------------------------
async function albumsView() {
  // Both lists at once (the page preloads them while its scripts load).
  const [data, mine] = await Promise.all([api("/api/albums"), userAlbumsSection()]);  // myalbums.js
  const memories = onThisDay();  // onthisday.js: fills itself in, shows nothing when there is nothing
  rerender = () => {
    mine.relabel();
    const cards = data.albums.map((a) => el("li", { class: a.count ? "album-card" : "album-card empty" },
      el("a", { href: `#/album/${encodeURIComponent(a.id)}`, "data-album": a.id },
        a.cover ? el("img", { class: "cover", src: thumb(a.cover), alt: "", loading: "lazy" }) : el("div", { class: "cover" }),
        el("div", { class: "text" }, el("p", { class: "name", text: title(a) }),
          el("span", { class: "sub", text: `${lang === "zh" ? a.title : a.title_zh} · ${t("photos", a.count)}` })))));
    const total = data.albums.reduce((n, a) => n + a.count, 0);
    show(memories, mine, el("h2", { text: t("albums") }),
      data.rules.error ? el("p", { class: "notice", role: "alert", text: `${t("rulesError")} ${data.rules.error.message}` }) : null,
      total ? null : el("p", { text: t("noPhotos") }),
      el("ul", { class: "albums-grid" }, ...cards));
  };
  rerender();
}

// --- a grid of photos, fetched a page at a time as the end scrolls into view ---------------
function photoGrid(fetchPage, caption) {
  const list = el("ul", { class: "grid", "aria-label": "Photos" });
  const more = el("p", { class: "more", text: t("loading") });
  let offset = 0, total = Infinity, busy = false;
  const photos = [];
  function add(p) {
    const cap = caption(p);
    const link = el("a", { href: `#/photo/${p.id}`, "data-photo": p.id, title: p.path.split("/").pop() },
      el("img", { src: thumb(p.id), alt: cap || p.path.split("/").pop(), loading: "lazy", width: 150, height: 150 }),
      cap ? el("span", { class: "caption", text: cap }) : null);
    if (isVideo(p)) markVideo(link);  // video.js
    if (p.motion) markLive(link, `/api/photos/${p.id}/motion`);  // video.js
    list.append(el("li", {}, link));
  }
  async function next() {
    if (busy || offset >= total) return;
    busy = true;
    const page = await fetchPage(offset);
    total = page.total;
    for (const p of page.photos) { photos.push(p); add(p); }
    offset += page.photos.length;
    if (!page.photos.length) total = offset;
    more.textContent = offset >= total ? (total ? "" : t("empty")) : t("loading");
    busy = false;
    if (offset < total && more.getBoundingClientRect().top < innerHeight * 2) next();
  }
  if (observer) observer.disconnect();
  observer = new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) next(); },
                                      { rootMargin: "800px" });
  observer.observe(more);
  return { list, more, first: next(), relabel() { list.replaceChildren(); photos.forEach(add); } };
}

async function albumView(id) {
  const first = await api(`/api/albums/${encodeURIComponent(id)}?limit=1`);
  const grid = photoGrid(async (offset) => {
    const page = await api(`/api/albums/${encodeURIComponent(id)}?offset=${offset}&limit=${PAGE}`);
    return { total: page.count, photos: page.photos };
  }, () => "");
  const heading = el("h2");
  rerender = () => {
    heading.replaceChildren(title(first), el("span", { class: "count", text: t("photos", first.count) }));
    grid.relabel();
  };
  rerender();
  show(heading, downloadLink(`/api/albums/${encodeURIComponent(id)}/download`), sharePanel("album", id), grid.list, grid.more);
  await grid.first;
}

// --- the timeline: moments newest first, a page at a time as the end scrolls into view --------
async function timelineView() {
  const heading = el("h2");
  const list = el("ul", { class: "moments-grid", "aria-label": t("timeline") });
  const more = el("p", { class: "more", text: t("loading") });
  const moments = [];
  let total = Infinity, busy = false;
  async function next() {
    if (busy || moments.length >= total) return;
    busy = true;
    const page = await api(`/api/moments?offset=${moments.length}&limit=${MOMENT_PAGE}`);
    total = page.total;
    for (const m of page.moments) { moments.push(m); list.append(momentCard(m)); }
    if (!page.moments.length) total = moments.length;
    more.textContent = moments.length >= total ? (total ? "" : t("noMoments")) : t("loading");
    busy = false;
    if (moments.length < total && more.getBoundingClientRect().top < innerHeight * 2) next();
  }
  rerender = () => {
    heading.textContent = t("timeline");
    list.replaceChildren(...moments.map(momentCard));
    if (moments.length >= total) more.textContent = total ? "" : t("noMoments");
  };
  if (observer) observer.disconnect();
  observer = new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) next(); },
                                      { rootMargin: "800px" });
  observer.observe(more);
  rerender();
  show(heading, list, more);
  await next();
}

async function momentView(id) {
  const first = await api(`/api/moments/${encodeURIComponent(id)}?limit=1`);
  const grid = photoGrid(async (offset) => {
    const page = await api(`/api/moments/${encodeURIComponent(id)}?offset=${offset}&limit=${PAGE}`);
    return { total: page.count, photos: page.photos };
  }, () => "");
  const heading = el("h2");
  const facts = el("p", { class: "moment-facts" });
  rerender = () => {
    heading.replaceChildren(title(first), el("span", { class: "count", text: t("photos", first.count) }));
    const where = placeLine(first.place);
    facts.replaceChildren(el("time", { datetime: first.start, text: dateSpan(first.start, first.end) }),
      first.time_is_file_date ? ` · ${t("fileDates")}` : "",
      where ? el("span", { class: "where", text: where }) : "",
      first.trip ? el("span", { class: "trip-badge", "data-trip": first.trip.id, text: `✈ ${title(first.trip)}` }) : "");
    grid.relabel();
  };
  rerender();
  show(heading, facts, downloadLink(`/api/moments/${encodeURIComponent(id)}/download`), sharePanel("moment", id), grid.list, grid.more);
  await grid.first;
}

// --- one photo ----------------------------------------------------------------------------
async function photoView(id) {
  let photo = await api(`/api/photos/${id}`);
  async function correct(action, wnid) {
    photo = await api(`/api/photos/${id}/labels`, { method: "POST", headers: { "Content-Type": "application/json" },
                                                    body: JSON.stringify({ action, wnid }) });
    rerender();
  }
  rerender = () => {
    const bars = el("ul", { class: "bars", "aria-label": labelsHeading(photo) });
    for (const l of photo.labels) {
      const pct = Math.round(l.probability * 1000) / 10;  // the bar's width; its text: scores.js
      const source = l.source === "model" ? null : el("span", { class: "source", text: l.source === "set" ? t("setByYou") : t("confirmed") });
      bars.append(el("li", { class: "bar", "data-wnid": l.wnid },
        el("div", { class: "label" }, el("span", {}, label(l), source),
          el("span", { class: "actions" }, el("span", { text: percent(l.probability) }),
            l.source === "model" ? el("button", { type: "button", class: "confirm", title: t("confirm"), "aria-label": `${t("confirm")}: ${label(l)}`, text: "✓", onclick: () => correct("confirm", l.wnid) }) : null,
            el("button", { type: "button", class: "reject", title: t("reject"), "aria-label": `${t("reject")}: ${label(l)}`, text: "✗", onclick: () => correct("reject", l.wnid) }))),
        el("div", { class: "track", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct, "aria-label": label(l) },
          el("div", { class: "fill", style: `width:${Math.max(1, pct)}%` }))));
    }
    const albums = photo.albums.length
      ? el("p", { class: "tags" }, ...photo.albums.map((a) => el("a", { href: `#/album/${encodeURIComponent(a.id)}`, "data-album": a.id, text: title(a) })))
      : el("p", { class: "sub", text: t("noAlbums") });
    const input = el("input", { id: "set-class", list: "classes", placeholder: t("setHint"), autocomplete: "off", "aria-label": t("setLabel") });
    const options = el("datalist", { id: "classes" });
    input.addEventListener("input", async () => {
      const q = input.value.trim();
      if (!q) return;
      const found = await api(`/api/classes?q=${encodeURIComponent(q)}`);
      options.replaceChildren(...found.map((c) => el("option", { value: c.wnid, label: `${c.label} · ${c.label_zh}` })));
    });
    const form = el("form", { class: "correct", onsubmit: (e) => { e.preventDefault(); if (input.value.trim()) correct("set", input.value.trim()).catch(failure); } },
      input, options, el("button", { type: "submit", text: t("set") }));
    const corrections = el("ul", { class: "corrections" }, ...photo.corrections.map((c) => el("li", {},
      `${t(c.action + "_")}: ${label(c)}${c.by ? ` · ${c.by}` : ""}`, el("button", { type: "button", text: t("undo"), onclick: () => correct("clear", c.wnid) }))));
    const facts = el("dl", { class: "facts" });
    const fact = (k, v) => { if (v) facts.append(el("dt", { text: t(k) }), el("dd", { text: v })); };
    fact("taken", photo.taken_at ? photo.taken_at.replace("T", " ") + (photo.taken_at_offset ? ` (UTC${photo.taken_at_offset})` : "")
      + (photo.time_source === "mtime" ? ` ${t("timeFallback")}` : "") : null);
    fact("camera", photo.camera);
    fact("size", photo.width ? `${photo.width} × ${photo.height} ${photo.format || ""}` : null);
    fact("where", photo.place ? placeLine(photo.place) : null);
    fact("place", photo.gps ? `${photo.gps.lat.toFixed(4)}, ${photo.gps.lon.toFixed(4)}` : null);
    fact("file", photo.path);
    const xmp = photo.xmp || {};  // what digiKam, darktable or Lightroom said of it
    fact("xmpTitle", xmp.title);
    fact("rating", xmp.rating > 0 ? "★".repeat(xmp.rating) + "☆".repeat(5 - xmp.rating) : null);
    fact("keywords", xmp.keywords?.length ? xmp.keywords.join(lang === "zh" ? "、" : ", ") : null);
    show(el("div", { class: "detail" },
      isVideo(photo)  // video.js
        ? el("div", { class: "photo" }, videoPlayer(`/api/photos/${id}/original`, thumb(id), photo.labels.length ? label(photo.labels[0]) : photo.name))
        : withMotion(photo, el("div", { class: "photo" }, el("img", { src: `/api/photos/${id}/original`, alt: photo.labels.length ? label(photo.labels[0]) : photo.name,
                                                  onerror: (e) => { e.target.src = thumb(id); } }))),
      el("div", { class: "panel" },
        el("h2", { class: "photo-name", text: photo.name }),  // headings in order: h1, h2, h3
        el("h3", { class: "labels-heading", text: labelsHeading(photo) }), bars,
        el("h3", { text: t("setLabel") }), form,
        photo.corrections.length ? el("h3", { text: t("yourCorrections") }) : null, photo.corrections.length ? corrections : null,
        el("h3", { text: t("inAlbums") }), albums,
        ...photoCategories(photo),  // categories.js
        photo.moment ? el("h3", { text: t("moment") }) : null,
        photo.moment ? el("p", { class: "tags moment-link" }, el("a", { href: `#/moment/${encodeURIComponent(photo.moment.id)}`,
                                                                     "data-moment": photo.moment.id, text: title(photo.moment) })) : null,
        el("h3", { text: t("facts") }), facts,
        deleteButton(id))));  // trash.js
    photoText(id, document.querySelector(".detail")).catch(failure);  // text.js
    const frame = document.querySelector(".detail .photo"), img = frame.querySelector("img");
    if (img) photoFaces(id, frame, img).catch(failure);  // faces.js
  };
  rerender();
}

// "What the model sees" only while nobody corrected it; then who did (none on a server nobody signs in to).
function labelsHeading(photo) {
  if (!photo.corrections.length) return t("labels");
  const by = [...new Set(photo.corrections.map((c) => c.by).filter(Boolean))];
  return by.length ? t("labelsBy", by.join(", ")) : t("labelsCorrected");
}

// One view at a time: a view still loading when the hash changes finishes first, so it can
// never draw over the view that replaced it.
let routing = Promise.resolve();
function route() { routing = routing.then(draw); return routing; }

async function draw() {
  const [, kind, arg] = location.hash.match(/^#\/([a-z]+)\/(.+)$/) || [];
  rerender = () => {};
  show(el("p", { class: "more", text: t("loading") }));
  try {
    if (location.hash === "#/timeline") await timelineView();
    else if (location.hash === "#/categories") await categoriesView();  // categories.js
    else if (location.hash === "#/trash") await trashView();  // trash.js
    else if (location.hash === "#/map") await mapView();  // map.js
    else if (kind === "category") await categoryView(encodeURIComponent(decodeURIComponent(arg)));
    else if (kind === "moment") await momentView(decodeURIComponent(arg));
    else if (kind === "album") await albumView(decodeURIComponent(arg));
    else if (kind === "my") await userAlbumView(decodeURIComponent(arg));  // myalbums.js
    else if (kind === "photo") await photoView(encodeURIComponent(decodeURIComponent(arg)));
    else if (kind === "search") await sentenceSearchView(decodeURIComponent(arg));  // search.js
    else await albumsView();
  } catch (err) { failure(err); }
  document.getElementById("view").dataset.ready = location.hash || "#/";
  for (const a of document.querySelectorAll("header nav a")) {  // the header marks the page shown
    if (a.getAttribute("href") === (location.hash || "#/")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

document.getElementById("search").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = document.getElementById("q").value.trim();
  if (q) location.hash = `#/search/${encodeURIComponent(q)}`;
});
for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", () => setLang(b.dataset.lang));
addEventListener("hashchange", route);
setLang(lang);
// Drawn once every script has run (the views use onthisday.js, map.js...): the first lists,
// preloaded by the page, can be back before the scripts after this one are. The first draw
// is queued now all the same, so a script that waits for it (viewer.js) is behind it.
if (document.readyState === "loading") {
  const scriptsRun = new Promise((done) => addEventListener("DOMContentLoaded", done, { once: true }));
  routing = routing.then(() => scriptsRun);
}
route();
