"use strict";
// The upload page: thumbnails at once, then top-3 bars from POST /predict, in English or 中文.
const TEXT = {
  en: { title: "smartalbum", intro: "Private, offline photo recognition: your photos never leave this machine.",
        drop: "Drop photos here", choose: "Choose photos", hint: "JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC, AVIF · several at once",
        working: "Recognizing {n} photo(s)…", done: "Done: {ok} recognized.", albums: "Albums:", inCategories: "Categories:",
        doneFailed: "Done: {ok} recognized, {failed} failed (see below).",
        network: "The server did not answer.", folder: "Import a folder on this server", import: "Import",
        indexing: "Importing… {n}", indexed: "Imported: {n}", indexFailed: "Import failed:",
        cancel: "Cancel", cancelling: "Stopping after the photos in hand…", cancelled: "Import cancelled; kept: {n}",
        navAlbums: "Albums", timeline: "Timeline", categories: "Categories", recognize: "Recognize",
        search: "Search", searchLabel: "Search photos", searchHint: "cat, 猫, snow, beach…" },
  zh: { title: "智能相册", intro: "离线、私密的照片识别：照片不会离开这台电脑。",
        drop: "把照片拖到这里", choose: "选择照片", hint: "支持 JPEG、PNG、WebP、GIF、BMP、TIFF、HEIC、AVIF，可一次多张",
        working: "正在识别 {n} 张照片…", done: "完成：已识别 {ok} 张。", albums: "相册：", inCategories: "所属分类：",
        doneFailed: "完成：已识别 {ok} 张，{failed} 张失败（见下方）。",
        network: "服务器没有响应。", folder: "导入这台服务器上的文件夹", import: "导入",
        indexing: "正在导入… {n}", indexed: "导入完成：{n}", indexFailed: "导入失败：",
        cancel: "取消", cancelling: "处理完手头的照片后停止…", cancelled: "导入已取消；已保存：{n}",
        navAlbums: "相册", timeline: "时间线", categories: "分类", recognize: "识别照片",
        search: "搜索", searchLabel: "搜索照片", searchHint: "猫、cat、雪、海边…" },
};
let lang = localStorage.getItem("smartalbum.lang") === "zh" ? "zh" : "en";
const results = [];  // {card, name, predictions, albums, categories, error, network}
let status = { key: "", n: 0 };  // kept as a key so a language switch re-translates it

// t("working", 3) fills {n}; t("doneFailed", { ok: 2, failed: 1 }) fills {ok} and {failed}.
function t(key, n) {
  const values = typeof n === "object" && n !== null ? n : { n };
  return TEXT[lang][key].replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}
// The server answers errors in the language asked for: the page's, not the browser's.
function call(path, options = {}) {
  const headers = { ...options.headers, ...csrfHeaders(), "Accept-Language": lang === "zh" ? "zh-CN" : "en" };
  return fetch(path, { ...options, headers });
}

function setLang(next) {
  lang = next;
  localStorage.setItem("smartalbum.lang", lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const b of document.querySelectorAll("[data-lang]")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  for (const r of results) render(r);
  showStatus(status.key, status.n);
}

function showStatus(key, n) {
  status = { key, n };
  document.getElementById("status").textContent = key ? t(key, n) : "";
}

function render(r) {
  const bars = r.card.querySelector(".bars");
  bars.replaceChildren();
  for (const p of r.predictions || []) {
    const name = lang === "zh" ? p.label_zh : p.label;
    const li = document.createElement("li");
    li.className = "bar";
    li.dataset.index = String(p.index);  // explain.js draws this class's heat-map
    li.innerHTML = '<div class="label"><span></span><span></span></div>' +
      '<div class="track" role="progressbar" aria-valuemin="0" aria-valuemax="100"><div class="fill"></div></div>';
    li.querySelector(".label span:first-child").textContent = name;
    const pct = p.probability * 100;  // a fraction 0..1, as in every answer: the bar's width
    li.querySelector(".label span:last-child").textContent = percent(p.probability);  // scores.js
    const track = li.querySelector(".track");
    track.setAttribute("aria-valuenow", String(pct));
    track.setAttribute("aria-label", `${name} ${percent(p.probability)}`);
    li.querySelector(".fill").style.width = Math.max(1, pct) + "%";
    bars.appendChild(li);
  }
  const albums = r.card.querySelector(".albums");
  albums.replaceChildren();
  if (r.albums && r.albums.length) {
    albums.append(t("albums") + " ");
    for (const a of r.albums) {
      const tag = document.createElement("span");
      tag.textContent = typeof a === "string" ? a : (lang === "zh" ? a.title_zh : a.title);
      albums.appendChild(tag);
    }
  }
  // The taught categories it is in, each with its cosine as the category's own page shows it.
  const categories = r.card.querySelector(".categories");
  categories.replaceChildren();
  if (r.categories && r.categories.length) {
    categories.append(t("inCategories") + " ");
    for (const c of r.categories) {
      const tag = document.createElement("span");
      tag.dataset.category = String(c.id);
      tag.textContent = `${lang === "zh" && c.name_zh ? c.name_zh : c.name} · ${cosine(c.score)}`;
      categories.appendChild(tag);
    }
  }
  // The server's message names the file and says why; a failure it never saw gets the name here.
  r.card.querySelector(".error").textContent = r.network ? `${r.name}: ${t("network")}` : r.error || "";
}

// The card goes before ``before`` (null: at the end), so a batch keeps the order it was chosen in.
async function classify(file, before) {
  const card = document.getElementById("card").content.firstElementChild.cloneNode(true);
  const img = card.querySelector(".thumb");
  img.src = URL.createObjectURL(file);
  img.alt = file.name;
  img.onerror = () => {  // no browser preview (HEIC, or not an image at all): a plain tile
    const tile = document.createElement("div");
    tile.className = "thumb";
    img.replaceWith(tile);
  };
  card.querySelector(".name").textContent = file.name;
  card.photo = file;  // explain.js sends it again when a bar's heat-map is first asked for
  document.getElementById("results").insertBefore(card, before);
  const r = { card, name: file.name, predictions: [], albums: [], categories: [], error: null, network: false };
  results.push(r);
  const form = new FormData();
  form.append("file", file, file.name);
  try {
    const response = await call("/predict?top_k=3", { method: "POST", body: form });
    const body = await response.json();
    if (response.ok) {
      r.predictions = body.predictions; r.albums = body.albums; r.categories = body.categories || [];
      document.getElementById("model").textContent = `${body.model} · ${body.engine} · ${body.ms} ms`;
    } else {
      const message = body.error ? body.error.message : response.statusText;
      r.error = message.includes(file.name) ? message : `${file.name}: ${message}`;
    }
  } catch (e) {
    r.network = true;
  }
  card.dataset.state = r.error || r.network ? "error" : "done";
  render(r);
  return r;
}

async function handle(files) {
  const list = Array.from(files);
  if (!list.length) return;
  showStatus("working", list.length);
  // A new batch goes above the earlier ones, its photos in the order they were chosen.
  const before = document.getElementById("results").firstElementChild;
  const done = await Promise.all(list.map((file) => classify(file, before)));
  const failed = done.filter((r) => r.error || r.network).length;
  showStatus(failed ? "doneFailed" : "done", { ok: list.length - failed, failed });
}

const drop = document.getElementById("drop");
const picker = document.getElementById("picker");
picker.addEventListener("change", () => { handle(picker.files); picker.value = ""; });
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); handle(e.dataTransfer.files); });
for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", () => setLang(b.dataset.lang));
setLang(lang);
// The gallery's search, from here: its results page.
document.getElementById("search").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = document.getElementById("q").value.trim();
  if (q) location.assign(`/gallery#/search/${encodeURIComponent(q)}`);
});

// With import roots set, the server offers its folders to pick from instead of a typed path.
async function offerFolders() {
  let roots;
  try { roots = await (await call("/api/folders")).json(); } catch (err) { return; }
  // None listed (a public server without SMARTALBUM_IMPORT_ROOTS): the typed path stays, and
  // importing says why it cannot, rather than an empty list to pick from.
  if (!roots.configured || !roots.folders.length) return;
  const pick = document.getElementById("folder-pick"), typed = document.getElementById("folder");
  for (const root of roots.folders) {
    pick.add(new Option(root.path, root.path));
    const inside = await (await call(`/api/folders?path=${encodeURIComponent(root.path)}`)).json();
    for (const sub of inside.folders || []) pick.add(new Option(`${root.path}/${sub.name}`, sub.path));
  }
  typed.hidden = true; typed.required = false; pick.hidden = false;
}
offerFolders();

// Import a server-side folder: start a job, then follow its progress.
const indexForm = document.getElementById("index-form");
indexForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const bar = document.getElementById("index-progress");
  const line = document.getElementById("index-status");
  const pick = document.getElementById("folder-pick");
  const folder = pick.hidden ? document.getElementById("folder").value.trim() : pick.value;
  bar.hidden = false; bar.removeAttribute("value");
  let response, job;
  try {
    response = await call("/api/index", { method: "POST", headers: { "Content-Type": "application/json" },
                                           body: JSON.stringify({ folders: [folder] }) });
    job = await response.json();
  } catch (err) { line.textContent = t("network"); bar.hidden = true; return; }
  if (!response.ok) { line.textContent = `${t("indexFailed")} ${job.error.message}`; bar.hidden = true; return; }
  const cancel = document.getElementById("index-cancel");
  cancel.hidden = false; cancel.disabled = false;
  cancel.onclick = async () => {
    cancel.disabled = true;
    try { await call(`/api/jobs/${job.id}/cancel`, { method: "POST" }); } catch (err) { cancel.disabled = false; }
  };
  while (job.status === "queued" || job.status === "running") {
    if (job.total) { bar.max = job.total; bar.value = job.done; }
    line.textContent = job.cancel_requested ? t("cancelling")
                                            : t("indexing", job.total ? `${job.done} / ${job.total}` : "");
    await new Promise((r) => setTimeout(r, 500));
    job = await (await call(`/api/jobs/${job.id}`)).json();
  }
  cancel.hidden = true;
  bar.max = 1; bar.value = 1;
  line.dataset.state = job.status;
  const r = job.report;
  if (job.status === "done") {
    line.textContent = t("indexed", `${r.added + r.updated} / ${r.scanned}, ${r.failed} ✗, ${r.seconds} s`);
  } else if (job.status === "cancelled") {
    line.textContent = t("cancelled", r ? `${r.added + r.updated} / ${r.scanned}` : "0");
  } else {
    line.textContent = `${t("indexFailed")} ${job.error.message}`;
  }
});
