"use strict";
// smartalbum's service worker, served at /sw.js so that its scope is the whole site. The
// server puts ``SHELL`` above this line: the shell's files and a version that changes
// whenever one of them does.
//
// - The page shell (pages, scripts, styles, icons) is kept in a cache of this version, so
//   the app opens without a connection (the pages then say they are offline). Always the
//   network first, so a connected page is never stale; the cache only when it fails.
// - Nothing under /api/ is ever cached (it needs sign-in, and is the library itself), nor a
//   share link's page (its address is a credential).
// - "Share → smartalbum" (the manifest's share_target) POSTs the shared files here: they are
//   kept in the inbox (IndexedDB, inbox.js) and the gallery opens to upload them.
importScripts("/static/inbox.js");

const CACHE = `smartalbum-shell-${SHELL.version}`;
const PAGES = new Set(["/", "/gallery", "/login"]);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // Each file on its own: one that fails to arrive (a phone's connection dropping, a busy
    // server) is fetched again on a later visit, and never keeps the worker from installing.
    await Promise.allSettled(SHELL.files.map((file) => cache.add(file)));
    // The pages behind sign-in are kept when a signed-in visit loads them (see shell()).
    await Promise.all([...PAGES].map((page) => keep(cache, page)));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("smartalbum-shell-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// A page or file of the shell, cached only when it is really that (not a redirect to /login).
async function keep(cache, path, response) {
  try {
    const answer = response || await fetch(path, { redirect: "follow" });
    if (answer.ok && !answer.redirected && answer.type === "basic") await cache.put(path, answer.clone());
    return answer;
  } catch (err) { return null; }
}

function isShell(url) {
  return PAGES.has(url.pathname) || url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest";
}

async function shell(request) {
  const url = new URL(request.url);
  const key = PAGES.has(url.pathname) ? url.pathname : url.pathname + url.search;
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) await keep(cache, key, response.clone());
    return response;
  } catch (err) {
    const kept = await cache.match(key) || (request.mode === "navigate" ? await cache.match("/gallery") : null);
    if (kept) return kept;
    throw err;
  }
}

async function receiveShare(request) {
  const form = await request.formData();
  const files = form.getAll("photos").filter((f) => typeof f === "object" && f.size > 0);
  await smartalbumInbox.put(files);
  return Response.redirect(`/gallery?shared=${files.length}`, 303);
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin) return;
  if (event.request.method === "POST" && url.pathname === "/share-target") {
    event.respondWith(receiveShare(event.request));
    return;
  }
  if (event.request.method !== "GET" || !isShell(url)) return;  // the network, untouched
  event.respondWith(shell(event.request));
});
