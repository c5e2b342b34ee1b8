"use strict";
// The People page: #/ lists everyone found (named first, unnamed groups largest first);
// #/person/ID shows one person: name them (English, 中文), hide, merge another into them,
// take a wrong face out, and their photos month by month.
(() => {
  const WORDS = {
    en: {
      title: "smartalbum", albums: "Albums", people: "People", unnamed: "Unnamed",
      faces: (n) => `${n} face${n === 1 ? "" : "s"}`, none: "No people found yet.",
      nameEn: "English name", nameZh: "Chinese name", save: "Save name", hide: "Hide",
      show: "Show again", mergeLabel: "Merge another person into this one",
      merge: "Merge", pick: "Choose a person…", remove: "Not this person",
      back: "All people", saved: "Saved.",
      unscanned: (n) => `${n} photo${n === 1 ? " has" : "s have"} not been looked at for faces yet.`,
      scan: "Look for faces", scanning: (d, n) => `Looking for faces… ${d} / ${n}`,
      scanned: (n) => `Looked at ${n} photos.`, stopped: (n) => `Stopped after ${n} photos; looking again carries on.`,
    },
    zh: {
      title: "smartalbum", albums: "相册", people: "人物", unnamed: "未命名",
      faces: (n) => `${n} 张脸`, none: "还没有找到人物。",
      nameEn: "英文名", nameZh: "中文名", save: "保存名字", hide: "隐藏",
      show: "重新显示", mergeLabel: "把另一个人合并到这里",
      merge: "合并", pick: "选择一个人…", remove: "不是这个人",
      back: "全部人物", saved: "已保存。",
      unscanned: (n) => `还有 ${n} 张照片没有查找人脸。`,
      scan: "查找人脸", scanning: (d, n) => `正在查找人脸… ${d} / ${n}`,
      scanned: (n) => `已查看 ${n} 张照片。`, stopped: (n) => `已在 ${n} 张照片后停止；再次查找会从这里继续。`,
    },
  };
  const view = document.getElementById("view");
  const lang = () => (localStorage.getItem("smartalbum.lang") === "zh" ? "zh" : "en");
  const w = (key) => WORDS[lang()][key];
  const el = (tag, { dataset = {}, ...props } = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    Object.assign(node.dataset, dataset);  // read-only as a property: filled in, not set
    node.append(...children);
    return node;
  };
  const label = (p) => (lang() === "zh" ? p.name_zh || p.name : p.name || p.name_zh) || "";

  async function api(path, options = {}) {
    const headers = { ...(options.body ? { "Content-Type": "application/json" } : {}), ...csrfHeaders() };
    const response = await fetch(path, { ...options, headers });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.error ? body.error.message : response.statusText);
    }
    return response.status === 204 ? null : response.json();
  }

  function translate() {
    document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = w(node.dataset.i18n);
    for (const b of document.querySelectorAll("[data-lang]")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang()));
  }

  // The face pass over photos indexed before it (POST /api/faces/scan): how many wait, a button
  // (editors), and the job's progress until it is over; then the people it found.
  async function scanPanel() {
    const status = await api("/api/faces").catch(() => null);
    const job = status && status.job;
    const running = job && (job.status === "queued" || job.status === "running");
    if (!status || !status.enabled || (!status.unscanned && !running && !job)) return [];
    const line = el("span", { className: "message", id: "scan-status" });
    const bar = el("progress", { id: "scan-progress", hidden: !running, max: (job && job.total) || 1, value: (job && job.done) || 0 });
    const button = el("button", { id: "scan", type: "button", textContent: w("scan"), hidden: running || !status.unscanned });
    if (running) line.textContent = w("scanning")(job.done, job.total ?? "…");
    else if (job && job.status === "cancelled") line.textContent = w("stopped")(job.done);
    else if (job && job.status === "done") line.textContent = w("scanned")(job.done);
    else if (job && job.error) line.textContent = job.error.message;
    if (!running && status.unscanned) line.textContent = `${line.textContent} ${w("unscanned")(status.unscanned)}`.trim();
    button.addEventListener("click", async () => {
      try { await api("/api/faces/scan", { method: "POST" }); } catch (err) { line.textContent = err.message; return; }
      render();
    });
    if (running) follow();
    return [el("div", { className: "edit scan", id: "scan-panel" }, button, bar, line)];
  }

  // While a scan runs, the list is drawn again every second (its progress, the people it finds).
  let following = null;
  function follow() {
    if (following) return;
    following = setTimeout(() => { following = null; if (!location.hash.startsWith("#/person/")) render(); }, 1000);
  }

  async function list() {
    // The scan's state first: once it says done, the people fetched after it include all it found.
    const scan = await scanPanel();
    const { people } = await api("/api/people");
    if (!people.length) return [...scan, el("p", { className: "message", textContent: w("none") })];
    const items = people.map((p) => el("li", {},
      el("a", { href: `#/person/${p.id}`, dataset: { person: p.id } },
        el("img", { src: `/api/faces/${p.cover_face}/crop`, alt: "", loading: "lazy" }),
        el("span", label(p) ? { className: "name", textContent: label(p) } : { className: "unnamed", textContent: w("unnamed") }),
        el("span", { className: "count", textContent: w("faces")(p.faces) }))));
    return [el("h2", { textContent: w("people") }), ...scan, el("ul", { className: "people", id: "people" }, ...items)];
  }

  function byMonth(faces) {
    const months = new Map();
    for (const face of faces) {
      const key = (face.taken_at || "").slice(0, 7) || "?";
      if (!months.has(key)) months.set(key, new Map());
      months.get(key).set(face.photo_id, face);
    }
    return [...months.entries()].map(([month, photos]) => el("section", { className: "month" },
      el("h3", {}, month, " ", el("span", { className: "count", textContent: `(${photos.size})` })),
      el("ul", { className: "faces" }, ...[...photos.keys()].map((id) => el("li", {},
        el("a", { href: `/gallery#/photo/${id}` }, el("img", { src: `/api/photos/${id}/thumbnail`, alt: "", loading: "lazy" })))))));
  }

  async function person(id) {
    const p = await api(`/api/people/${id}`);
    const { people } = await api("/api/people");
    const en = el("input", { id: "name-en", value: p.name || "", placeholder: w("nameEn"), maxLength: 64 });
    const zh = el("input", { id: "name-zh", value: p.name_zh || "", placeholder: w("nameZh"), maxLength: 64 });
    const status = el("span", { className: "message", id: "status" });
    const save = el("button", { id: "save-name", type: "button", textContent: w("save") });
    save.addEventListener("click", () => act(() => api(`/api/people/${id}/name`,
      { method: "POST", body: JSON.stringify({ name: en.value, name_zh: zh.value }) }), w("saved")));
    const hide = el("button", { id: "hide", type: "button", className: "quiet", textContent: p.hidden ? w("show") : w("hide") });
    hide.addEventListener("click", () => act(() => api(`/api/people/${id}/hide`, { method: "POST", body: JSON.stringify({ hidden: !p.hidden }) })));
    const others = people.filter((o) => o.id !== p.id);
    const pick = el("select", { id: "merge-other", ariaLabel: w("mergeLabel") }, el("option", { value: "", textContent: w("pick") }),
      ...others.map((o) => el("option", { value: o.id, textContent: `${label(o) || w("unnamed")} · ${w("faces")(o.faces)}` })));
    const merge = el("button", { id: "merge", type: "button", textContent: w("merge") });
    merge.addEventListener("click", () => pick.value && act(() => api(`/api/people/${id}/merge`, { method: "POST", body: JSON.stringify({ other: Number(pick.value) }) })));
    const faces = p.face_list.map((f) => {
      const out = el("button", { type: "button", title: w("remove"), ariaLabel: w("remove"), textContent: "✕", dataset: { remove: f.id } });
      out.addEventListener("click", () => act(() => api(`/api/faces/${f.id}/person`, { method: "DELETE" })));
      return el("li", { className: "face", dataset: { face: f.id } }, el("img", { src: `/api/faces/${f.id}/crop`, alt: "", loading: "lazy" }), out);
    });
    return [
      el("p", {}, el("a", { href: "#/", textContent: `← ${w("back")}` })),
      el("div", { className: "person-head" },
        el("img", { src: `/api/faces/${p.cover_face}/crop`, alt: "" }),
        el("div", {}, el("h2", { id: "person-name", textContent: label(p) || w("unnamed") }),
          el("span", { className: "count", textContent: w("faces")(p.faces) }))),
      el("div", { className: "edit" }, en, zh, save, hide, status),
      el("div", { className: "edit" }, pick, merge),
      el("ul", { className: "faces", id: "faces" }, ...faces),
      ...byMonth(p.face_list),
    ];
  }

  const setStatus = (text) => { const node = document.getElementById("status"); if (node) node.textContent = text; };

  // A change, then the page again as the server now has it (and, if given, a word on it).
  async function act(change, done = "") {
    try {
      await change();
      await render();
      setStatus(done);
    } catch (err) {
      setStatus(err.message);
    }
  }

  async function render() {
    translate();
    const match = location.hash.match(/^#\/person\/(\d+)/);
    try {
      view.replaceChildren(...(match ? await person(match[1]) : await list()));
    } catch (err) {
      view.replaceChildren(el("p", { className: "message", textContent: err.message }));
    }
    view.dataset.ready = location.hash || "#/";
  }

  for (const b of document.querySelectorAll("[data-lang]")) {
    b.addEventListener("click", () => { localStorage.setItem("smartalbum.lang", b.dataset.lang); render(); });
  }
  window.addEventListener("hashchange", () => render());
  render();
})();
