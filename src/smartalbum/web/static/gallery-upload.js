"use strict";
// Upload from the gallery (after gallery.js, uploader.js and inbox.js): an Upload button
// (on a phone it opens the camera roll), drag-and-drop anywhere on the page, and the photos
// another app shared to smartalbum (the service worker kept them in the inbox). Each photo
// appears under "Just added" as soon as the server has indexed it. Editors and admins only:
// a viewer gets no button (and the server refuses a viewer's upload anyway).
const GALLERY_UPLOAD_TEXT = {
  en: { upload: "Upload", drop: "Drop photos and videos here to add them", added: "Just added" },
  zh: { upload: "上传", drop: "松开即可添加照片和视频", added: "刚刚添加" },
};

async function mayUpload() {
  try {
    const response = await fetch("/api/me");
    if (!response.ok) return false;
    const me = await response.json();
    return !me.sign_in || me.role === "editor" || me.role === "admin";
  } catch (err) { return false; }
}

function galleryUploadWords() { return GALLERY_UPLOAD_TEXT[lang]; }  // ``lang``: gallery.js

function uploadButton(onFiles) {
  const input = el("input", { id: "upload-input", type: "file", multiple: "", accept: "image/*,video/*", class: "sr-only" });
  input.addEventListener("change", () => { onFiles(input.files); input.value = ""; });
  const label = el("label", { for: "upload-input", class: "upload-button", id: "upload-button" });
  return { node: el("span", { class: "upload-control" }, input, label), label };
}

// "Just added": each uploaded photo, with the model's top label, as it is indexed.
function justAdded() {
  const heading = el("h3", { class: "upload-added-heading", hidden: "" });
  const grid = el("ul", { class: "grid upload-photos", id: "upload-photos", "aria-label": "Photos" });
  const photos = [];
  function cell(photo) {
    const top = photo.labels[0];
    const caption = top ? (lang === "zh" ? top.label_zh : top.label) : "";
    return el("li", { "data-photo": photo.id },
      el("a", { href: `#/photo/${photo.id}`, title: photo.name || "" },
        el("img", { src: thumb(photo.id), alt: caption || photo.name || "", loading: "lazy", width: 150, height: 150 }),
        caption ? el("span", { class: "caption", text: caption }) : null));
  }
  async function add(photoId) {
    if (photos.some((p) => p.id === photoId)) return;
    const photo = await api(`/api/photos/${photoId}`);
    photos.push(photo);
    heading.hidden = false;
    grid.prepend(cell(photo));
  }
  function relabel() {
    heading.textContent = galleryUploadWords().added;
    grid.replaceChildren(...photos.slice().reverse().map(cell));
  }
  return { nodes: [heading, grid], add, relabel };
}

function dropAnywhere(onFiles) {
  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");
  let depth = 0;  // dragenter/leave fire for every child crossed: count them
  const stop = () => { depth = 0; document.body.classList.remove("dropping"); };
  addEventListener("dragenter", (e) => { if (hasFiles(e)) { depth += 1; document.body.classList.add("dropping"); } });
  addEventListener("dragleave", (e) => { if (hasFiles(e) && (depth -= 1) <= 0) stop(); });
  addEventListener("dragover", (e) => { if (hasFiles(e)) { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; } });
  addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    stop();
    onFiles(e.dataTransfer.files);
  });
}

// Photos shared to smartalbum by another app: upload them, and forget each once it is settled.
async function uploadTheInbox(upload) {
  let kept = [];
  try { kept = await smartalbumInbox.all(); } catch (err) { return; }  // no IndexedDB here
  if (new URLSearchParams(location.search).has("shared")) history.replaceState(null, "", "/gallery" + location.hash);
  if (!kept.length) return;
  const entries = upload(kept.map((k) => k.file));
  entries.forEach((entry, i) => { entry.inboxKey = kept[i].key; });
}

function forgetShared(entry) {
  if (entry.inboxKey === undefined || (entry.state === "failed" && entry.retryable)) return;
  smartalbumInbox.remove(entry.inboxKey).catch(() => {});
}

(async () => {
  if (!(await mayUpload())) { document.body.dataset.upload = "none"; return; }
  const panel = el("section", { id: "uploads", class: "uploads", "aria-label": "Uploads" });
  const added = justAdded();
  const uploader = makeUploader({
    endpoint: "/api/uploads",
    panel,
    language: () => lang,
    headers: () => ({ ...csrfHeaders(), "Accept-Language": lang === "zh" ? "zh-CN" : "en" }),
    onPhoto: (id) => added.add(id).catch(() => {}),
    onSettled: forgetShared,
  });
  panel.append(...added.nodes);
  // The panel joins the page with the first file (until then the gallery's views are alone).
  const upload = (files) => {
    if (!files.length) return [];
    if (!panel.isConnected) document.querySelector("main").before(panel);
    return uploader.add(files);
  };
  const button = uploadButton(upload);
  document.querySelector("header nav").after(button.node);
  const relabel = () => {
    button.label.textContent = galleryUploadWords().upload;
    document.body.dataset.dropHint = galleryUploadWords().drop;
    added.relabel();
    uploader.relabel();
  };
  for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", relabel);
  relabel();
  dropAnywhere(upload);
  document.body.dataset.upload = "ready";
  await uploadTheInbox(upload);
})();
