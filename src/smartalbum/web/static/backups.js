"use strict";
// The Backups page (admins): the server's backups, how often it makes one, and "Back up now".
(() => {
  const WORDS = {
    en: { title: "smartalbum", albums: "Albums", backups: "Backups", now: "Back up now",
      name: "Backup", made: "Made", size: "Size", version: "Version", working: "Backing up…",
      done: "Backed up to", every: (h, k, f) => `Every ${h} hours, the newest ${k} kept, in ${f}.`,
      never: (f) => `The server makes none by itself; in ${f}.`, none: "No backup yet." },
    zh: { title: "smartalbum", albums: "相册", backups: "备份", now: "立即备份",
      name: "备份", made: "时间", size: "大小", version: "版本", working: "正在备份…",
      done: "已备份到", every: (h, k, f) => `每 ${h} 小时一次，保留最新的 ${k} 个，在 ${f}。`,
      never: (f) => `服务器不会自动备份；在 ${f}。`, none: "还没有备份。" },
  };
  const language = () => (localStorage.getItem("smartalbum.lang") === "zh" ? "zh" : "en");
  const words = () => WORDS[language()];
  const status = document.getElementById("status");
  let shown = null;
  let madeTo = null;  // the folder of the backup just made, said again in a new language

  function label() {
    document.documentElement.lang = language() === "zh" ? "zh-CN" : "en";
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = words()[el.dataset.i18n];
    for (const b of document.querySelectorAll("[data-lang]")) b.setAttribute("aria-pressed", String(b.dataset.lang === language()));
    if (shown) render(shown);
    if (madeTo) status.textContent = `${words().done} ${madeTo}`;
  }

  function render(data) {
    const w = words();
    document.getElementById("schedule").textContent =
      data.every_hours ? w.every(data.every_hours, data.keep, data.folder) : w.never(data.folder);
    const body = document.querySelector("#backups tbody");
    body.replaceChildren();
    for (const b of data.backups) {
      const row = body.insertRow();
      row.insertCell().textContent = b.name;
      row.insertCell().textContent = new Date(b.created_at * 1000).toLocaleString(language() === "zh" ? "zh-CN" : "en");
      row.insertCell().textContent = `${(b.bytes / 1e6).toFixed(1)} MB`;
      row.insertCell().textContent = `${b.smartalbum} · ${b.schema_version}`;
    }
    if (!data.backups.length) body.insertRow().insertCell().textContent = w.none;
  }

  async function load() {
    const response = await fetch("/api/backups");
    const data = await response.json();
    if (!response.ok) { status.textContent = data.error.message; return; }
    shown = data;
    render(data);
  }

  document.getElementById("backup-now").addEventListener("click", async (event) => {
    event.target.disabled = true;
    status.textContent = words().working;
    try {
      const response = await fetch("/api/backups", { method: "POST", headers: csrfHeaders() });
      const data = await response.json();
      madeTo = response.ok ? data.folder : null;
      status.textContent = response.ok ? `${words().done} ${data.folder}` : data.error.message;
      await load();
    } finally { event.target.disabled = false; }
  });
  for (const b of document.querySelectorAll("[data-lang]")) {
    b.addEventListener("click", () => { localStorage.setItem("smartalbum.lang", b.dataset.lang); label(); });
  }
  label();
  load();
})();
