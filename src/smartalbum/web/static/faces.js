// The faces found in a photo (smartalbum.people) drawn over it, on its page and in the viewer:
// a named person's box carries their name, an unnamed one a "?"; a box links to its person on
// the People page (a face in nobody's group has no link). Uses gallery.js's el, api and lang.
"use strict";

const FACE_STRINGS = {
  en: { unnamed: "Not named yet: open this person", nobody: "A face not grouped with anyone" },
  zh: { unnamed: "尚未命名：打开这个人物", nobody: "尚未归入任何人物的脸" },
};

// The boxes of photo ``id``'s faces over ``img`` in ``frame`` (which is positioned); the layer
// drawn, or null for a photo without faces; ``found`` sees the faces first. The layer covers the image element exactly, so the
// viewer can zoom it with the same transform as the image.
async function photoFaces(id, frame, img, found = () => {}) {
  const { faces } = await api(`/api/photos/${id}/faces`);
  found(faces);
  if (!faces.length || !img.isConnected) return null;
  const layer = el("div", { class: "face-boxes" });
  const boxes = faces.map((f) => {
    const name = (lang === "zh" ? f.name_zh || f.name : f.name || f.name_zh) || "";
    const hint = name || FACE_STRINGS[lang][f.person_id ? "unnamed" : "nobody"];
    const attrs = { class: name ? "face-box named" : "face-box", "data-face": f.id, title: hint, "aria-label": hint };
    const box = f.person_id ? el("a", { ...attrs, href: `/people#/person/${f.person_id}`, "data-person": f.person_id }) : el("span", attrs);
    box.append(el("span", { class: "face-name", text: name || "?" }));
    // A tap on a face follows its link: it is not the start of the viewer's swipe or pan.
    box.addEventListener("pointerdown", (e) => e.stopPropagation());
    layer.append(box);
    return [box, f.box];
  });
  const place = () => {
    const W = img.clientWidth, H = img.clientHeight, w = img.naturalWidth || 1, h = img.naturalHeight || 1;
    const s = Math.min(W / w, H / h), left = (W - w * s) / 2, top = (H - h * s) / 2;  // object-fit: contain
    Object.assign(layer.style, { left: `${img.offsetLeft}px`, top: `${img.offsetTop}px`, width: `${W}px`, height: `${H}px` });
    for (const [box, [x, y, bw, bh]] of boxes) {
      Object.assign(box.style, { left: `${left + x * w * s}px`, top: `${top + y * h * s}px`,
                                 width: `${bw * w * s}px`, height: `${bh * h * s}px` });
    }
  };
  frame.append(layer);
  if (img.complete) place();
  img.addEventListener("load", place);
  new ResizeObserver(place).observe(img);
  return layer;
}

// The named people among a photo's faces, each once: {name, name_zh}, as the viewer's panel lists them.
function namedPeople(faces) {
  const seen = new Map();
  for (const f of faces) if (f.person_id && (f.name || f.name_zh)) seen.set(f.person_id, { name: f.name, name_zh: f.name_zh });
  return [...seen.values()];
}
