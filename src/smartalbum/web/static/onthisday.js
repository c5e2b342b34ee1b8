"use strict";
// On this day, at the top of the gallery's first screen: photos taken on today's month and day
// in earlier years, a row per year ("3 years ago" / "三年前的今天"), from GET /api/on-this-day
// with the browser's own date. Nothing at all when there are none. Uses gallery.js's lang, api,
// el, thumb and title; a click on a photo opens the viewer (viewer.js) over the day's photos.
const MEMORY_TEXT = { en: { heading: "On this day", more: "+{n} more" }, zh: { heading: "那年今日", more: "还有 {n} 张" } };

function localDay(now = new Date()) {
  const two = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}`;
}

function onThisDay() {
  const section = el("section", { class: "memories", "aria-labelledby": "memories-heading", hidden: "" });
  let years = [];
  function draw() {
    const words = MEMORY_TEXT[lang];
    section.hidden = !years.length;
    section.replaceChildren(el("h2", { id: "memories-heading", text: words.heading }), ...years.map((y) =>
      el("div", { class: "memory-year", "data-year": y.year },
        el("h3", { text: title(y) }),
        y.moments.length ? el("p", { class: "tags memory-moments" }, ...y.moments.map((m) =>
          el("a", { href: `#/moment/${encodeURIComponent(m.id)}`, "data-moment": m.id, text: title(m) }))) : null,
        el("ul", { class: "grid memory-photos", "aria-label": title(y) }, ...y.photos.map((p) =>
          el("li", {}, el("a", { href: `#/photo/${p.id}`, "data-photo": p.id, title: p.taken_at.slice(0, 10) },
            el("img", { src: thumb(p.id), alt: `${title(y)} · ${p.taken_at.slice(0, 10)}`, loading: "lazy", width: 150, height: 150 }))))),
        y.count > y.photos.length ? el("p", { class: "sub", text: words.more.replace("{n}", y.count - y.photos.length) }) : null)));
  }
  api(`/api/on-this-day?today=${localDay()}`).then((answer) => { years = answer.years; draw(); }).catch(() => {});
  const observer = new MutationObserver(() => (section.isConnected ? draw() : observer.disconnect()));
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
  return section;
}
