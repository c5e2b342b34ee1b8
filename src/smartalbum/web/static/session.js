"use strict";
// Loaded first by every page. csrfHeaders(): a signed-in page echoes its session's CSRF
// token with every change it asks for (read from the cookie the server set at sign-in).
function csrfHeaders() {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("smartalbum_csrf="));
  return cookie ? { "X-CSRF-Token": decodeURIComponent(cookie.slice("smartalbum_csrf=".length)) } : {};
}

// Who is signed in, shown in the header of every page, with a sign-out button; the page
// hides what this role cannot do (the server refuses it anyway): body[data-role] in CSS.
(async () => {
  const WORDS = { en: { out: "Sign out" }, zh: { out: "退出登录" } };
  const language = () => (localStorage.getItem("smartalbum.lang") === "zh" ? "zh" : "en");
  let me;
  try {
    const response = await fetch("/api/me");
    if (!response.ok) return;
    me = await response.json();
  } catch (err) { return; }
  if (!me.sign_in) return;  // a one-person server on this machine: nobody to show
  document.body.dataset.role = me.role;
  const who = document.createElement("span");
  who.className = "who";
  who.id = "who";
  who.textContent = `${me.name} · ${me.role}`;
  const out = document.createElement("button");
  out.type = "button";
  out.id = "sign-out";
  out.className = "secondary";
  const label = () => { out.textContent = WORDS[language()].out; };
  label();
  out.addEventListener("click", async () => {
    await fetch("/api/logout", { method: "POST", headers: csrfHeaders() });
    location.assign("/login");
  });
  for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", label);
  const account = document.createElement("div");  // kept together when the header wraps
  account.className = "account";
  account.append(who, out);
  document.querySelector("header").append(account);
})();
