"use strict";
// Uploads into the library, shared by the gallery and a share link's page (needs
// vendor/tus.min.js and vendor/sha256.min.js loaded before it). Each file is hashed first;
// one POST .../check per group of files asks which the library already holds ("already
// here"); the others go up with the tus protocol, a few at a time, in chunks that resume
// after a dropped connection or a closed tab (tus-js-client keeps each upload's address
// in localStorage under a fingerprint of the file's content). A stored file is then polled
// until the server has indexed it, and the page is told its photo id. One file's failure
// is shown on its own row, named, and never stops the others.
const UPLOAD_TEXT = {
  en: { uploads: "Uploads", hashing: "Reading…", checking: "Checking…", waiting: "Waiting", uploading: "Uploading {n}%",
        indexing: "Indexing…", done: "Added", here: "Already here", failed: "Failed", cancelled: "Cancelled",
        stored: "Stored; it appears once the server has indexed it",
        cancel: "Cancel", cancelAll: "Cancel all", retry: "Retry", hide: "Hide",
        summary: "{done} of {total} done", summaryHere: "{n} already here", summaryFailed: "{n} failed",
        unreadable: "could not read the file ({n})", lost: "the connection was lost; press Retry to go on from where it stopped",
        refused: "the server refused it ({n})", failedFile: "{name}: {n}" },
  zh: { uploads: "上传", hashing: "读取中…", checking: "核对中…", waiting: "等待中", uploading: "上传中 {n}%",
        indexing: "索引中…", done: "已添加", here: "已在相册中", failed: "失败", cancelled: "已取消",
        stored: "已保存；服务器索引完成后就会出现",
        cancel: "取消", cancelAll: "全部取消", retry: "重试", hide: "隐藏",
        summary: "已完成 {done}/{total}", summaryHere: "{n} 张已在相册中", summaryFailed: "{n} 个失败",
        unreadable: "无法读取文件（{n}）", lost: "连接中断；点“重试”从中断处继续",
        refused: "服务器拒绝了（{n}）", failedFile: "{name}：{n}" },
};
const UPLOADS_AT_ONCE = 3;
const CHECK_GROUP = 20;  // files hashed before one "already here" check
const SUBTLE_LIMIT = 64 * 1024 * 1024;  // crypto.subtle digests a whole buffer: small files only
const HASH_SLICE = 4 * 1024 * 1024;
const RETRY_DELAYS = [0, 1000, 3000, 5000];
const FINAL = new Set(["done", "here", "failed", "cancelled", "stored"]);

// The chunk size: 8 MiB, or smartalbum.upload.chunk in localStorage (bytes; tests and slow links).
function uploadChunkSize() {
  const asked = Number(localStorage.getItem("smartalbum.upload.chunk"));
  return asked > 0 ? asked : 8 * 1024 * 1024;
}

function hexOf(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// The file's sha256 (lowercase hex): natively when the page may use crypto.subtle and the
// file is small, else slice by slice with js-sha256 (a phone on http://192.168.x.x).
async function sha256Of(file, onProgress = () => {}, incremental = false) {
  if (!incremental && globalThis.crypto && crypto.subtle && file.size <= SUBTLE_LIMIT) {
    const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    onProgress(file.size);
    return hexOf(digest);
  }
  const hash = sha256.create();
  for (let at = 0; at < file.size; at += HASH_SLICE) {
    hash.update(await file.slice(at, at + HASH_SLICE).arrayBuffer());
    onProgress(Math.min(file.size, at + HASH_SLICE));
  }
  return hash.hex();
}

function uploadEl(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

// The error a server answer carries, in our one JSON shape; null when it has none.
function serverMessage(response) {
  try {
    const body = JSON.parse(response.getBody ? response.getBody() : response);
    return body && body.error ? body.error : null;
  } catch (err) { return null; }
}

/* An uploader drawn into ``panel``. options: endpoint ("/api/uploads" or a share link's),
   headers() (sent with every request: the CSRF token, the page's language), language()
   ("en" or "zh"), onPhoto(photoId, entry) when a file's photo is in the library, and
   onSettled(entry) when a file is finished one way or another. */
function makeUploader(options) {
  const { endpoint, panel } = options;
  const entries = [];
  const toHash = [], toSend = [];
  let hashing = false, sending = 0, nextId = 0;
  const words = () => UPLOAD_TEXT[options.language()];
  const say = (key, vars = {}) => Object.entries(vars).reduce((s, [k, v]) => s.replace(`{${k}}`, v), words()[key]);

  // --- the panel: the batch's bar and counts, then one row per file ---------------------------
  const total = uploadEl("progress", { id: "upload-total", max: 1, value: 0, "aria-label": "" });
  const summary = uploadEl("p", { class: "upload-summary", role: "status" });
  const cancelAll = uploadEl("button", { type: "button", id: "upload-cancel-all", class: "secondary", onclick: () => entries.forEach(cancel) });
  const hide = uploadEl("button", { type: "button", id: "upload-hide", class: "secondary", onclick: () => { panel.hidden = true; } });
  const list = uploadEl("ul", { class: "upload-files", id: "upload-files" });
  const problems = uploadEl("ul", { class: "upload-problems", id: "upload-problems", role: "alert" });
  const heading = uploadEl("h2", { class: "upload-heading" });
  panel.replaceChildren(heading, uploadEl("div", { class: "upload-batch" }, summary, total, cancelAll, hide), problems, list);
  panel.hidden = true;

  function row(entry) {
    entry.bar = uploadEl("progress", { max: 1, value: 0 });
    entry.state_ = uploadEl("span", { class: "upload-state" });
    entry.cancel = uploadEl("button", { type: "button", class: "upload-cancel secondary", onclick: () => cancel(entry) });
    entry.retry = uploadEl("button", { type: "button", class: "upload-retry secondary", hidden: "", onclick: () => retry(entry) });
    entry.message = uploadEl("p", { class: "upload-error" });
    entry.row = uploadEl("li", { "data-upload": entry.id, "data-state": entry.state },
      uploadEl("div", { class: "upload-line" }, uploadEl("span", { class: "upload-name", text: entry.name }), entry.state_,
        entry.retry, entry.cancel), entry.bar, entry.message);
    return entry.row;
  }

  function drawEntry(entry) {
    const pct = entry.size ? Math.floor((100 * entry.sent) / entry.size) : 100;
    entry.row.dataset.state = entry.state;
    entry.state_.textContent = entry.state === "uploading" ? say("uploading", { n: pct }) : say(entry.state);
    if (entry.state === "hashing" && entry.size > HASH_SLICE) entry.state_.textContent += ` ${pct}%`;
    entry.bar.value = entry.size ? Math.min(1, entry.sent / entry.size) : (FINAL.has(entry.state) ? 1 : 0);
    entry.bar.setAttribute("aria-label", `${entry.name}: ${entry.state_.textContent}`);
    entry.cancel.hidden = FINAL.has(entry.state) || entry.state === "indexing";
    entry.cancel.textContent = "×";
    entry.cancel.setAttribute("aria-label", `${say("cancel")}: ${entry.name}`);
    entry.retry.hidden = entry.state !== "failed" || !entry.retryable;
    entry.retry.textContent = say("retry");
    entry.message.textContent = entry.error || "";
    drawBatch();
  }

  function drawBatch() {
    const live = entries.filter((e) => e.state !== "cancelled");
    const bytes = live.reduce((n, e) => n + e.size, 0);
    const counted = (e) => (FINAL.has(e.state) || e.state === "indexing" ? e.size : (e.state === "uploading" ? e.sent : 0));
    const sent = live.reduce((n, e) => n + counted(e), 0);
    total.value = bytes ? sent / bytes : (live.length ? 1 : 0);
    const done = live.filter((e) => FINAL.has(e.state)).length;
    const here = live.filter((e) => e.state === "here").length;
    const failed = live.filter((e) => e.state === "failed");
    const parts = [say("summary", { done, total: live.length })];
    if (here) parts.push(say("summaryHere", { n: here }));
    if (failed.length) parts.push(say("summaryFailed", { n: failed.length }));
    summary.textContent = parts.join(" · ");
    total.setAttribute("aria-label", summary.textContent);
    // The server's messages name the file already; ours are named here.
    const named = (e) => (e.error.startsWith(e.name) ? e.error : say("failedFile", { name: e.name, n: e.error }));
    problems.replaceChildren(...failed.map((e) => uploadEl("li", { text: named(e) })));
    cancelAll.hidden = entries.every((e) => FINAL.has(e.state) || e.state === "indexing");
    panel.dataset.busy = String(entries.some((e) => !FINAL.has(e.state)));
  }

  function relabel() {
    heading.textContent = say("uploads");
    cancelAll.textContent = say("cancelAll");
    hide.textContent = say("hide");
    entries.forEach(drawEntry);
    drawBatch();
  }

  function set(entry, state, error) {
    if (FINAL.has(entry.state) && entry.state !== "failed") return;  // cancelled stays cancelled
    entry.state = state;
    if (error !== undefined) entry.error = error;
    drawEntry(entry);
    if (FINAL.has(state) && options.onSettled) options.onSettled(entry);
  }

  // --- hashing and the "already here" check -------------------------------------------------
  async function hashAll() {
    if (hashing) return;
    hashing = true;
    while (toHash.length) {
      const group = [];
      while (toHash.length && group.length < CHECK_GROUP) {
        const entry = toHash.shift();
        if (entry.state === "cancelled") continue;
        set(entry, "hashing");
        try {
          entry.sha256 = await sha256Of(entry.file, (n) => { entry.sent = n; drawEntry(entry); });
          entry.sent = 0;
          group.push(entry);
        } catch (err) {
          set(entry, "failed", say("unreadable", { n: err.message }));
        }
      }
      await check(group);
    }
    hashing = false;
  }

  async function check(group) {
    const asked = group.filter((e) => e.state === "hashing");
    if (!asked.length) return;
    asked.forEach((e) => set(e, "checking"));
    let known = new Map();
    try {
      const response = await fetch(`${endpoint}/check`, {
        method: "POST", headers: { ...options.headers(), "Content-Type": "application/json" },
        body: JSON.stringify({ files: asked.map((e) => ({ name: e.name, size: e.size, sha256: e.sha256 })) }),
      });
      if (response.ok) known = new Map((await response.json()).files.map((f) => [f.sha256, f]));
    } catch (err) { /* unknown: each file's own creation answers "already here" too */ }
    for (const entry of asked) {
      if (entry.state !== "checking") continue;
      const found = known.get(entry.sha256);
      if (found && found.exists) { entry.exists = true; entry.photoId = found.photo_id; set(entry, "here"); announce(entry); }
      else { set(entry, "waiting"); toSend.push(entry); }
    }
    sendMore();
  }

  // --- tus --------------------------------------------------------------------------------
  function sendMore() {
    while (sending < UPLOADS_AT_ONCE && toSend.length) {
      const entry = toSend.shift();
      if (entry.state !== "waiting") continue;
      sending += 1;
      send(entry).finally(() => { sending -= 1; sendMore(); });
    }
  }

  function send(entry) {
    return new Promise((resolve) => {
      entry.finish = resolve;
      set(entry, "uploading");
      const upload = new tus.Upload(entry.file, {
        endpoint,
        chunkSize: uploadChunkSize(),
        // tus creation-with-upload: the first chunk goes with the creation, so a photo
        // smaller than a chunk is one request instead of two.
        uploadDataDuringCreation: true,
        retryDelays: RETRY_DELAYS,
        headers: options.headers(),
        metadata: { filename: entry.name, filetype: entry.file.type || "", sha256: entry.sha256,
                    modified: String(entry.file.lastModified || "") },
        // The same content to the same place resumes, whatever the File object it came from.
        fingerprint: () => Promise.resolve(["smartalbum", endpoint, entry.sha256, entry.size].join("-")),
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        onProgress: (sent) => { entry.sent = sent; drawEntry(entry); },
        // Cancelled while being created: end it on the server now that it has an address.
        onUploadUrlAvailable: () => { if (entry.state === "cancelled") terminate(entry); },
        // "Already here" at creation (another upload of it finished meanwhile): 200 and the
        // photo (if indexed yet) instead of 201 and a Location; tus-js-client then reports a
        // missing Location, which failed() reads as done.
        onAfterResponse: (req, res) => {
          if (req.getMethod() !== "POST" || res.getStatus() !== 200) return;
          entry.exists = true;
          entry.photoId = Number(res.getHeader("Smartalbum-Photo")) || null;
        },
        onShouldRetry: (err) => shouldRetry(entry, err),
        onSuccess: () => { sent(entry); resolve(); },
        onError: (err) => { failed(entry, err); resolve(); },
      });
      entry.upload = upload;
      upload.findPreviousUploads().then((previous) => {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        if (entry.state === "uploading") upload.start();
      }, () => upload.start());
    });
  }

  function shouldRetry(entry, err) {
    if (entry.exists || entry.state !== "uploading") return false;
    const response = err.originalResponse;
    const status = response ? response.getStatus() : 0;
    if (status === 409) return (serverMessage(response) || {}).code !== "checksum_mismatch";  // an offset to ask again
    return status === 0 || status === 423 || status === 429 || status >= 500;
  }

  function failed(entry, err) {
    if (entry.exists) { set(entry, "here"); announce(entry); return; }
    const response = err.originalResponse;
    const status = response ? response.getStatus() : 0;
    const known = response ? serverMessage(response) : null;
    entry.retryable = !status || status >= 500 || status === 409 || status === 423 || status === 429;
    const reason = known ? known.message : (status ? say("refused", { n: status }) : say("lost"));
    set(entry, "failed", reason);
  }

  function sent(entry) {
    entry.sent = entry.size;
    if (entry.exists) { set(entry, "here"); announce(entry); return; }
    set(entry, "indexing");
    poll(entry);
  }

  // A stored file becomes a photo once the server has indexed its folder: ask until then.
  async function poll(entry) {
    let wait = 700;
    const until = Date.now() + 10 * 60 * 1000;
    while (entry.state === "indexing" && Date.now() < until) {
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 1.5, 4000);
      try {
        const response = await fetch(entry.upload.url, { headers: { ...options.headers(), Accept: "application/json" } });
        const body = response.ok ? await response.json() : null;
        if (body && body.photo_id) { entry.photoId = body.photo_id; set(entry, "done"); announce(entry); return; }
      } catch (err) { /* offline for a moment: ask again */ }
    }
    if (entry.state === "indexing") set(entry, "stored");
  }

  function announce(entry) {
    if (entry.photoId && options.onPhoto) options.onPhoto(entry.photoId, entry);
  }

  // --- what the page calls ------------------------------------------------------------------
  function cancel(entry) {
    if (FINAL.has(entry.state) || entry.state === "indexing") return;
    const uploading = entry.upload && entry.state === "uploading";
    set(entry, "cancelled");
    // Without an address yet (its creation is under way), onUploadUrlAvailable ends it.
    if (uploading && entry.upload.url) terminate(entry);
    if (entry.finish) entry.finish();
  }

  function terminate(entry) {
    entry.upload.abort(true).catch(() => {});  // tus termination: the server drops its bytes
  }

  function retry(entry) {
    if (entry.state !== "failed") return;
    entry.state = "waiting";
    entry.error = "";
    drawEntry(entry);
    if (entry.sha256) toSend.push(entry); else toHash.push(entry);
    hashAll();
    sendMore();
  }

  function add(files, extra = {}) {
    const added = [...files].map((file) => ({ id: `u${nextId++}`, file, name: file.name || "photo", size: file.size,
                                              sent: 0, state: "hashing", error: "", ...extra }));
    entries.push(...added);
    list.append(...added.map(row));
    panel.hidden = false;
    relabel();
    toHash.push(...added);
    hashAll();
    return added;
  }

  return { add, relabel, entries, cancel, retry };
}
