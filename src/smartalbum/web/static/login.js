"use strict";
// The sign-in page: name and password to POST /api/login, then back where the person was going.
const TEXT = {
  en: { title: "smartalbum", heading: "Sign in", name: "Name", password: "Password", submit: "Sign in",
        network: "The server did not answer." },
  zh: { title: "智能相册", heading: "登录", name: "用户名", password: "密码", submit: "登录",
        network: "服务器没有响应。" },
};
let lang = localStorage.getItem("smartalbum.lang") === "zh" ? "zh" : "en";

function setLang(next) {
  lang = next;
  localStorage.setItem("smartalbum.lang", lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = TEXT[lang][node.dataset.i18n];
  for (const b of document.querySelectorAll("[data-lang]")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
}
for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", () => setLang(b.dataset.lang));
setLang(lang);

// Where to go once signed in: a page of this site only, never another site (an address like
// "//evil.example" or "/\evil.example" is another site to a browser: the URL parser says so).
// The server never sees a #fragment (/gallery#/album/pets): the browser keeps it across the
// redirect to this page, so it is taken from this page's own address.
function next() {
  const wanted = new URLSearchParams(location.search).get("next") || "/gallery";
  let target;
  try { target = new URL(wanted, location.origin); } catch (err) { return "/gallery"; }
  if (!wanted.startsWith("/") || target.origin !== location.origin || target.pathname === "/login") return "/gallery";
  return target.pathname + target.search + (target.hash || location.hash);
}

document.getElementById("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const line = document.getElementById("login-status");
  const body = { name: document.getElementById("name").value, password: document.getElementById("password").value };
  let response;
  try {
    response = await fetch("/api/login", { method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "Accept-Language": lang === "zh" ? "zh-CN" : "en" } });
  } catch (err) { line.textContent = TEXT[lang].network; return; }
  if (response.ok) { location.assign(next()); return; }
  line.dataset.state = "failed";
  line.textContent = (await response.json()).error.message;
});
