"use strict";
// Categories in the gallery: teach one from photos you pick, then see its best matches with
// their scores, move its threshold, and answer "Is this …? yes / no" about the photos it is
// least sure of (each answer retrains it at once). Loaded after gallery.js: it uses its api(),
// el(), show(), thumb(), failure(), lang and rerender, and gallery.js's router calls its views.
const CATEGORY_TEXT = {
  en: { categories: "Categories", teach: "Teach a category", name: "Name", nameZh: "Chinese name (optional)",
        find: "Find photos to teach from", findHint: "dog, 狗, beach…", look: "Show", picked: "{n} photos picked (at least 3)",
        make: "Teach", none: "No categories yet: pick at least 3 photos of something and name it.",
        threshold: "Threshold", atOrAbove: "{n} photos at or above it", save: "Apply",
        ask: "Is this {n}?", yes: "Yes", no: "No", matches: "Best matches", noQuestions: "No questions left.",
        example: "example", counter: "not this", inCategories: "Categories" },
  zh: { categories: "分类", teach: "教一个新分类", name: "名称（英文）", nameZh: "中文名称（可选）",
        find: "查找用来教的照片", findHint: "狗、dog、海边…", look: "显示", picked: "已选 {n} 张照片（至少 3 张）",
        make: "开始学习", none: "还没有分类：选出至少 3 张同类的照片并起个名字。",
        threshold: "阈值", atOrAbove: "{n} 张照片达到阈值", save: "应用",
        ask: "这是{n}吗？", yes: "是", no: "不是", matches: "最相似的照片", noQuestions: "没有要问的了。",
        example: "示例", counter: "不是", inCategories: "所属分类" },
};
function ct(key, n) { return CATEGORY_TEXT[lang][key].replace("{n}", n); }
function categoryName(c) { return lang === "zh" && c.name_zh ? c.name_zh : c.name; }
const postJson = (path, body) => api(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                             body: JSON.stringify(body) });

// --- every category, and the form that teaches a new one ----------------------------------
async function categoriesView() {
  const { categories } = await api("/api/categories");
  const picked = new Set();
  let found = [];
  const name = el("input", { id: "category-name", required: true, maxlength: 64 });
  const nameZh = el("input", { id: "category-name-zh", maxlength: 64 });
  const query = el("input", { id: "category-find", type: "search" });
  const picker = el("ul", { class: "picker", "aria-label": "Photos" });
  const count = el("p", { class: "sub", role: "status" });
  const make = el("button", { type: "submit", id: "category-teach" });
  const problem = el("p", { class: "notice", role: "alert" });
  async function look() {
    const q = query.value.trim();
    if (!q) return;
    found = (await api(`/api/search?q=${encodeURIComponent(q)}&limit=60`)).photos;
    drawPicker();
  }
  function drawPicker() {
    picker.replaceChildren(...found.map((p) => el("li", {}, el("button", {
      type: "button", "data-pick": p.id, "aria-pressed": String(picked.has(p.id)), title: p.path.split("/").pop(),
      onclick: (e) => { picked.has(p.id) ? picked.delete(p.id) : picked.add(p.id); e.currentTarget.setAttribute("aria-pressed", String(picked.has(p.id))); counted(); },
    }, el("img", { src: thumb(p.id), alt: p.path.split("/").pop(), loading: "lazy" })))));
    counted();
  }
  function counted() { count.textContent = ct("picked", picked.size); make.disabled = picked.size < 3; }
  async function teach(e) {
    e.preventDefault();
    problem.textContent = "";
    try {
      const made = await postJson("/api/categories", { name: name.value, name_zh: nameZh.value || null, examples: [...picked] });
      location.hash = `#/category/${made.id}`;
    } catch (err) { problem.textContent = err.message; }
  }
  const form = el("form", { class: "teach-form", onsubmit: teach });
  rerender = () => {
    name.placeholder = ct("name"); name.setAttribute("aria-label", ct("name"));
    nameZh.placeholder = ct("nameZh"); nameZh.setAttribute("aria-label", ct("nameZh"));
    query.placeholder = ct("findHint"); query.setAttribute("aria-label", ct("find"));
    make.textContent = ct("make");
    form.replaceChildren(el("h3", { text: ct("teach") }),
      el("div", { class: "teach" }, query, el("button", { type: "button", id: "category-look", text: ct("look"), onclick: () => look().catch(failure) })),
      picker, count, el("div", { class: "teach" }, name, nameZh, make), problem);
    const list = categories.length
      ? el("ul", { class: "category-list" }, ...categories.map((c) => el("li", {},
          el("a", { href: `#/category/${c.id}`, "data-category": c.id, text: `${categoryName(c)} · ${c.count}` }))))
      : el("p", { class: "sub", text: ct("none") });
    show(el("h2", { text: ct("categories") }), list, form);
    counted();
  };
  rerender();
}

// --- one category: threshold, questions, best matches -------------------------------------
async function categoryView(id) {
  let c = await api(`/api/categories/${id}?limit=200`);
  const slider = el("input", { id: "category-threshold", type: "range", min: "-0.2", max: "1", step: "0.01" });
  const value = el("output", { for: "category-threshold" });
  const above = el("span", { class: "sub", role: "status" });
  async function answer(photoId, yes) {
    c = await postJson(`/api/categories/${id}/answers`, { photo_id: photoId, answer: yes ? "yes" : "no" });
    rerender();
  }
  async function apply() {
    const moved = await postJson(`/api/categories/${id}/threshold`, { threshold: Number(slider.value) });
    c = await api(`/api/categories/${id}?limit=200`);
    c.count = moved.count;
    rerender();
  }
  function live() {  // what the slider would hold, before it is applied
    const at = Number(slider.value);
    value.textContent = cosine(at);  // scores.js: a category's score and threshold, everywhere
    const n = c.matches.filter((m) => m.example === "yes" || (m.example !== "no" && m.score >= at)).length;
    above.textContent = ct("atOrAbove", n);
    for (const li of document.querySelectorAll(".matches li")) {
      const m = c.matches[Number(li.dataset.index)];
      li.classList.toggle("out", !(m.example === "yes" || (m.example !== "no" && m.score >= at)));
    }
  }
  slider.addEventListener("input", live);
  slider.addEventListener("change", () => apply().catch(failure));
  rerender = () => {
    slider.value = String(c.threshold);
    slider.setAttribute("aria-label", ct("threshold"));
    const questions = c.questions.length
      ? el("ul", { class: "questions" }, ...c.questions.map((photoId) => el("li", { class: "question", "data-question": photoId },
          el("img", { src: thumb(photoId), alt: ct("ask", categoryName(c)) }),
          el("span", { text: ct("ask", categoryName(c)) }),
          el("span", { class: "answers" },
            el("button", { type: "button", class: "yes", text: ct("yes"), onclick: () => answer(photoId, true).catch(failure) }),
            el("button", { type: "button", class: "no", text: ct("no"), onclick: () => answer(photoId, false).catch(failure) })))))
      : el("p", { class: "sub", text: ct("noQuestions") });
    const matches = el("ul", { class: "grid matches", "aria-label": ct("matches") }, ...c.matches.map((m, index) =>
      el("li", { "data-index": index, "data-match": m.id }, el("a", { href: `#/photo/${m.id}` },
        el("img", { src: thumb(m.id), alt: cosine(m.score), loading: "lazy", width: 150, height: 150 }),
        el("span", { class: `caption ${m.example || ""}`, text: m.example ? `${cosine(m.score)} · ${ct(m.example === "yes" ? "example" : "counter")}` : cosine(m.score) })))));
    show(el("h2", {}, categoryName(c), el("span", { class: "count", text: t("photos", c.count) })),
      el("p", { class: "sub", text: [c.name, c.name_zh].filter(Boolean).join(" · ") }),
      el("div", { class: "threshold" }, el("label", { for: "category-threshold", text: ct("threshold") }), slider, value, above),
      questions, el("h3", { text: ct("matches") }), matches);
    live();
  };
  rerender();
}

// The photo page's categories, beside the model's labels (gallery.js draws them). ✗ corrects
// one as a rejected label is: the photo becomes a counter-example and the category learns.
function photoCategories(photo) {
  if (!photo.categories || !photo.categories.length) return [];
  const notThis = (c) => postJson(`/api/categories/${c.id}/answers`, { photo_id: photo.id, answer: "no" })
    .then(route, failure);  // gallery.js: draw the photo again
  return [el("h3", { text: ct("inCategories") }), el("p", { class: "tags photo-categories" }, ...photo.categories.map((c) =>
    el("span", { class: "category-tag" },
      el("a", { href: `#/category/${c.id}`, "data-category": c.id, text: `${categoryName(c)} · ${cosine(c.score)}` }),
      el("button", { type: "button", class: "not-category", title: ct("counter"), "aria-label": `${ct("counter")}: ${categoryName(c)}`,
                     text: "✗", onclick: () => notThis(c) }))))];
}
