"use strict";
// A share link that lets its guests add photos (after share.js and uploader.js): an "Add
// photos" button (on a phone it opens the camera roll) and the same uploader as the
// gallery's, on the link's own routes (/api/shared/<token>/uploads); what the guests added
// is listed under the link's photos, again as each one is indexed. share.js calls
// offerUploads() each time the link has answered.
const SHARE_UPLOAD_TEXT = {
  en: { add: "Add photos", hint: "Your photos and videos go to whoever shared this link.", added: "Added by guests" },
  zh: { add: "添加照片", hint: "你的照片和视频会交给分享此链接的人。", added: "访客添加的照片" },
};
let guestUploader = null;
let guestPhotos = [];

function offerUploads(link) {
  if (!link || !link.allow_upload) return;
  if (!guestUploader) startGuestUploads();
  const shownHere = new Set(photos.map((p) => p.id));  // share.js: the link's own photos
  guestPhotos = (link.guest_photos || []).filter((p) => !shownHere.has(p.id));
  drawGuestPhotos();
}

// The link's first page also lists what its guests added (share.js's get()).
async function lookForGuestPhotos() {
  try { offerUploads(await get(`${base}?offset=0&limit=1`)); } catch (err) { /* the next photo asks again */ }
}

function drawGuestPhotos() {
  const heading = byId("guest-heading");
  heading.textContent = SHARE_UPLOAD_TEXT[lang].added;
  heading.hidden = !guestPhotos.length;
  byId("guest-photos").replaceChildren(...guestPhotos.map(cell));  // share.js's cell()
}

function startGuestUploads() {
  const input = document.createElement("input");
  Object.assign(input, { id: "upload-input", type: "file", multiple: true, accept: "image/*,video/*", className: "sr-only" });
  const button = document.createElement("label");
  button.htmlFor = "upload-input";
  button.className = "upload-button";
  button.id = "upload-button";
  const hint = document.createElement("p");
  hint.className = "hint";
  const offer = document.createElement("div");
  offer.className = "guest-upload upload-control";
  offer.append(input, button, hint);
  const panel = document.createElement("section");
  panel.id = "uploads";
  panel.className = "uploads";
  byId("facts").after(offer, panel);
  const heading = document.createElement("h3");
  heading.id = "guest-heading";
  heading.className = "guest-heading";
  const grid = document.createElement("ul");
  grid.id = "guest-photos";
  grid.className = "grid";
  byId("more").after(heading, grid);

  let again = null;  // one look for a burst of new photos
  guestUploader = makeUploader({
    endpoint: `${base}/uploads`,
    panel,
    language: () => lang,
    headers: () => ({ "Accept-Language": lang === "zh" ? "zh-CN" : "en" }),
    onPhoto: () => { clearTimeout(again); again = setTimeout(lookForGuestPhotos, 400); },
  });
  input.addEventListener("change", () => { if (input.files.length) guestUploader.add(input.files); input.value = ""; });
  const relabel = () => {
    button.textContent = SHARE_UPLOAD_TEXT[lang].add;
    hint.textContent = SHARE_UPLOAD_TEXT[lang].hint;
    guestUploader.relabel();
    drawGuestPhotos();
  };
  for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", relabel);
  relabel();
}
