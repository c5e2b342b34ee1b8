"use strict";
// Every page: the service worker (the app opens without a connection; see sw.js) and a banner
// saying so while the browser is offline or the server cannot be reached.
(() => {
  const WORDS = {
    en: "Offline: these are the saved pages. Photos, search and changes come back with the connection.",
    zh: "离线：显示的是已保存的页面。连上网络后才能看照片、搜索和修改。",
  };
  const language = () => (localStorage.getItem("smartalbum.lang") === "zh" ? "zh" : "en");
  const banner = document.createElement("p");
  banner.id = "offline";
  banner.className = "offline-banner";
  banner.setAttribute("role", "status");
  banner.hidden = true;

  function show(offline) {
    banner.textContent = WORDS[language()];
    banner.hidden = !offline;
    document.documentElement.dataset.offline = String(offline);
  }

  // navigator.onLine misses a server that is down: ask its (public, never cached) health too.
  async function look() {
    if (!navigator.onLine) { show(true); return; }
    try {
      const response = await fetch("/api/health", { cache: "no-store" });
      show(!response.ok && response.status >= 500);
    } catch (err) { show(true); }
  }

  document.body.prepend(banner);
  addEventListener("offline", () => show(true));
  addEventListener("online", look);
  for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", () => show(!banner.hidden));
  look();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});  // http on a LAN: none, and fine
  }
})();
