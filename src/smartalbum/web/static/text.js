// The text read in a photo (smartalbum.ocr) on its page: each line, to copy, and its box drawn
// on the photo; the lines the last search asked for stand out. Uses gallery.js's el, api, lang.
"use strict";

const TEXT_STRINGS = {
  en: { heading: "Text in the photo", copy: "Copy", copied: "Copied", copyAll: "Copy all" },
  zh: { heading: "照片中的文字", copy: "复制", copied: "已复制", copyAll: "全部复制" },
};
const SVG_NS = "http://www.w3.org/2000/svg";

function textString(key) { return TEXT_STRINGS[lang][key]; }

// The text parts of the last search (search.js keeps them), folded as the server folds them
// but for Traditional characters.
function searchedText() {
  try { return JSON.parse(sessionStorage.getItem("smartalbum.text") || "[]").map(foldText); } catch { return []; }
}
function foldText(s) { return s.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim(); }

async function photoText(id, detail) {
  const said = await api(`/api/photos/${id}/text`);
  if (!said.lines.length) return;
  const wanted = searchedText().filter(Boolean);
  const hit = (line) => wanted.some((w) => foldText(line.text).includes(w));
  const copy = (text, button) => navigator.clipboard.writeText(text).then(() => { button.textContent = textString("copied"); });
  const section = el("section", { class: "photo-text" },
    el("h3", { text: textString("heading") }),
    el("ul", { class: "text-lines" }, ...said.lines.map((line, i) => el("li", { class: hit(line) ? "hit" : "", "data-line": i },
      el("span", { class: "said", text: line.text }),
      el("button", { type: "button", class: "copy", "aria-label": `${textString("copy")}: ${line.text}`, text: textString("copy"),
                     onclick: (e) => copy(line.text, e.target) })))),
    el("button", { type: "button", class: "copy-all", text: textString("copyAll"),
                   onclick: (e) => copy(said.lines.map((l) => l.text).join("\n"), e.target) }));
  const panel = detail.querySelector(".panel");
  panel.insertBefore(section, panel.lastElementChild);  // above the delete button
  drawTextBoxes(detail.querySelector(".photo"), said.lines, hit);
}

// Each line's box over the picture itself: the image is shown whole (object-fit: contain), so
// the boxes are laid over the part of the element the picture fills.
function drawTextBoxes(frame, lines, hit) {
  const img = frame.querySelector("img");
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", "text-boxes");
  svg.setAttribute("viewBox", "0 0 1 1");
  svg.setAttribute("preserveAspectRatio", "none");
  lines.forEach((line, i) => {
    const box = document.createElementNS(SVG_NS, "polygon");
    const b = line.box;
    box.setAttribute("points", `${b[0]},${b[1]} ${b[2]},${b[3]} ${b[4]},${b[5]} ${b[6]},${b[7]}`);
    box.setAttribute("class", hit(line) ? "hit" : "");
    box.setAttribute("data-line", i);
    const title = document.createElementNS(SVG_NS, "title");
    title.textContent = line.text;
    box.append(title);
    svg.append(box);
  });
  const place = () => {
    const W = img.clientWidth, H = img.clientHeight, w = img.naturalWidth || 1, h = img.naturalHeight || 1;
    const s = Math.min(W / w, H / h);
    Object.assign(svg.style, { left: `${img.offsetLeft + (W - w * s) / 2}px`, top: `${img.offsetTop + (H - h * s) / 2}px`,
                               width: `${w * s}px`, height: `${h * s}px` });
  };
  frame.append(svg);
  if (img.complete) place();
  img.addEventListener("load", place);
  new ResizeObserver(place).observe(img);
}
