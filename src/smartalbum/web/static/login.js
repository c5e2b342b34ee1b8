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

// Only a path on this server: never send the person to another site after signing in.
function next() {
  const wanted = new URLSearchParams(location.search).get("next") || "/gallery";
  return wanted.startsWith("/") && !wanted.startsWith("//") ? wanted : "/gallery";
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
