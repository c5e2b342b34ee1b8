// The gallery's search: the understood parts of a query as chips in the reader's language (a
// chip removed widens the search), then the results as moments — title, place, dates — with
// their photos. Uses gallery.js's helpers (el, api, lang, title, placeLine, dateSpan, thumb).
"use strict";

const SEARCH_TEXT = {
  en: { when: "when", where: "where", what: "what", text: "text", keyword: "keyword", any: "any of", unknown: "not understood", remove: "Remove {x}",
        flip: "Exclude or include {x}",
        understood: "Understood as", noMoment: "Without a moment", results: "{n} photos", results1: "1 photo",
        loadMore: "More", none: "No photos match." },
  zh: { when: "时间", where: "地点", what: "内容", text: "文字", keyword: "关键词", any: "任一", unknown: "未识别", remove: "去掉“{x}”",
        flip: "排除或包含“{x}”",
        understood: "理解为", noMoment: "不属于任何时刻", results: "{n} 张照片", results1: "{n} 张照片",
        loadMore: "更多", none: "没有符合的照片。" },
};
const SEARCH_PAGE = 200;

function searchText(key, value) {
  const table = SEARCH_TEXT[lang];
  const text = value === 1 && table[key + "1"] ? table[key + "1"] : table[key];
  return text.replace("{n}", value).replace("{x}", value);
}

// The query without one part: the other parts' own words, which read back the same way.
function withoutPart(parts, index) {
  return parts.filter((_, i) => i !== index).map(partWords).join(" ").trim();
}

function partWords(p) {
  return p.kind === "text" || (p.kind === "keyword" && p.text.includes(" ")) ? `"${p.text}"` : p.text;
}

// The query with one part's exclusion flipped ("cats" <-> "not cats"): the server says how.
function flippedPart(parts, index) {
  return parts.map((p, i) => i === index ? p.flip : partWords(p)).join(" ").trim();
}

// A colour's chip shows the colour (search.css: .swatch.colour-red ...).
function colourSwatch(part) {
  const colour = (part.concepts || []).find((c) => c.swatch);
  return colour ? el("span", { class: `swatch ${colour.swatch}`, "aria-hidden": "true" }) : null;
}

function searchChips(parts) {
  return el("ul", { class: "query-chips", "aria-label": searchText("understood") },
    ...parts.map((part, i) => {
      const name = lang === "zh" ? part.zh : part.en;
      const rest = withoutPart(parts, i);
      const flips = part.flip && ["what", "where", "when", "any"].includes(part.kind);
      return el("li", { class: `query-chip ${part.kind}${part.negated ? " negated" : ""}`, "data-kind": part.kind },
        el("span", { class: "kind", text: searchText(part.kind) }),
        colourSwatch(part),
        el("span", { class: "name", text: name }),
        el("span", { class: "matched", text: `· ${part.matched}` }),
        flips ? el("button", { type: "button", class: "flip", "aria-label": searchText("flip", name), text: "¬",
                               onclick: () => { location.hash = `#/search/${encodeURIComponent(flippedPart(parts, i))}`; } }) : null,
        el("button", { type: "button", class: "remove", "aria-label": searchText("remove", name), text: "×",
                       onclick: () => { location.hash = rest ? `#/search/${encodeURIComponent(rest)}` : "#/"; } }));
    }));
}

// What found a photo, and how well: a taught category and its cosine (as the category's page
// shows it), else the place the query named, else the label and the search's score in percent.
function searchCaption(p) {
  if (p.category) return `${categoryName(p.category)} ${cosine(p.category.score)}`;  // categories.js, scores.js
  if (p.place) return placeLine(p.place);
  return p.label ? `${label(p)} ${percent(p.score)}` : "";
}

function searchTile(p) {
  const name = p.path ? p.path.split("/").pop() : String(p.id);
  const caption = searchCaption(p);
  return el("li", {}, el("a", { href: `#/photo/${p.id}`, "data-photo": p.id, title: name },
    el("img", { src: thumb(p.id), alt: caption || name, loading: "lazy", width: 150, height: 150 }),
    caption ? el("span", { class: "caption", text: caption }) : null));
}

// Photos under their moments, in the order found; a moment split across pages is joined again.
function momentSections(sections) {
  const joined = [];
  for (const s of sections) {
    const last = joined[joined.length - 1];
    const id = s.moment ? s.moment.id : "";
    if (last && last.id === id) last.photos.push(...s.photos);
    else joined.push({ id, moment: s.moment, photos: [...s.photos] });
  }
  return joined.map(({ moment, photos }) => el("section", { class: "result-moment", "data-moment": moment ? moment.id : "" },
    el("h3", {}, moment ? el("a", { href: `#/moment/${encodeURIComponent(moment.id)}`, text: title(moment) })
                        : searchText("noMoment")),
    moment ? el("p", { class: "facts-line" },
      el("time", { datetime: moment.start, text: dateSpan(moment.start, moment.end) }),
      moment.place ? el("span", { class: "where", text: placeLine(moment.place) }) : null) : null,
    el("ul", { class: "grid", "aria-label": "Photos" }, ...photos.map(searchTile))));
}

async function sentenceSearchView(query) {
  document.getElementById("q").value = query;
  const heading = el("h2");
  const chips = el("div", { class: "query-parts" });
  const notice = el("p", { class: "instead", role: "status" });
  const instead = el("section", { class: "instead-photos" });
  const related = el("section", { class: "search-moments" });
  const results = el("div", { class: "search-results" });
  const more = el("button", { type: "button", class: "more-results", hidden: "" });
  const sections = [];
  let first = null, offset = 0;
  function draw() {
    heading.textContent = `“${query}” · ${searchText("results", first.total)}`;
    chips.replaceChildren(first.interpretation.length ? searchChips(first.interpretation) : "");
    // The photo page (text.js) marks the lines this search asked for.
    sessionStorage.setItem("smartalbum.text", JSON.stringify(first.interpretation.filter((p) => p.kind === "text").map((p) => p.text)));
    notice.textContent = first.instead ? first.instead[lang] : first.total ? "" : searchText("none");
    const wider = first.instead ? first.instead.photos : [];  // what the rest of the query finds
    instead.replaceChildren(...(wider.length ? [el("ul", { class: "grid", "aria-label": "Photos" }, ...wider.map(searchTile))] : []));
    const moments = first.moments || [];
    related.replaceChildren(...(moments.length ? [el("ul", { class: "moment-chips" }, ...moments.map((m) => el("li", {},
      el("a", { href: `#/moment/${encodeURIComponent(m.id)}`, "data-moment": m.id }, title(m),
        el("span", { class: "count", text: ` · ${searchText("results", m.count)}` })))))] : []));
    results.replaceChildren(...momentSections(sections));
    more.textContent = searchText("loadMore");
    more.hidden = offset >= first.total;
  }
  async function next() {
    const page = await api(`/api/search?q=${encodeURIComponent(query)}&group=moment&offset=${offset}&limit=${SEARCH_PAGE}`);
    if (first === null) first = page;
    sections.push(...(page.by_moment || [{ moment: null, photos: page.photos }]));
    offset += page.photos.length;
    if (!page.photos.length) offset = first.total;
    draw();
  }
  more.addEventListener("click", next);
  rerender = () => { if (first) draw(); };
  show(heading, chips, notice, instead, related, results, more);
  await next();
}
